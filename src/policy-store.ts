// Load the configuration once per isolate: the environment bindings, then the policy document in Workers
// KV, cached and refreshed in the background. A bad version is logged once and never applied.

import { compilePolicy, type PolicySource } from "./core/compile-policy.js";
import { KNOWN_BINDINGS, parseEnv, prefixPath, type EnvConfig } from "./core/parse-env.js";
import { MAX_POLICY_BYTES, parsePolicyJson } from "./core/parse-policy.js";
import { readCapped } from "./core/read-capped.js";
import type { CompiledPolicy, PolicyDocument, RejectedCombination } from "./core/policy.js";
import type { PolicyIssue } from "./core/result.js";
import type { Env } from "./env.js";

export interface LoadedConfig {
  readonly env: EnvConfig;
  readonly policy: CompiledPolicy;
}

/** Largest policy document read from KV; a bigger one is refused without being read whole. */
export const MAX_DOCUMENT_BYTES = MAX_POLICY_BYTES;
/** How long a KV read may take before the cached policy (or the layers below) keeps serving. */
export const KV_TIMEOUT_MS = 5000;
/** KV's own edge cache for the document; 30 s is the minimum KV accepts. */
const KV_CACHE_TTL_MIN = 30;

/** The built-in defaults compiled, enforced and Report-Only: what serves when nothing else can. */
export const DEFAULT_POLICIES = {
  enforce: compilePolicy([], { reportOnly: false }).policy,
  reportOnly: compilePolicy([], { reportOnly: true }).policy,
};

/** The configuration for these bindings: at once when it is cached, a promise only when KV must be read first. */
export type ConfigLoader = (env: Env, ctx: Pick<ExecutionContext, "waitUntil">) => LoadedConfig | Promise<LoadedConfig>;

export interface LoaderOptions {
  /** Milliseconds since the epoch; injectable so tests can move time. */
  readonly clock?: () => number;
  readonly kvTimeoutMs?: number;
}

/** A loader with its own per-isolate cache. */
export function createConfigLoader(options: LoaderOptions = {}): ConfigLoader {
  const clock = options.clock ?? Date.now;
  const kvTimeoutMs = options.kvTimeoutMs ?? KV_TIMEOUT_MS;
  const byEnv = new WeakMap<object, PolicyStore>();
  let last: { raw: readonly unknown[]; store: PolicyStore } | undefined;
  return (env, ctx) => {
    let store = byEnv.get(env);
    if (store === undefined) {
      const raw = rawValues(env);
      if (last !== undefined && last.raw.every((value, i) => value === raw[i])) store = last.store;
      else {
        store = new PolicyStore(env, clock, kvTimeoutMs);
        last = { raw, store };
      }
      byEnv.set(env, store);
    }
    return store.load(ctx);
  };
}

/** The loader the Worker uses. */
export const loadConfig: ConfigLoader = createConfigLoader();

/** Every binding the configuration is built from: a change in any of them is a new configuration. */
function rawValues(env: Env): readonly unknown[] {
  const bindings = env as unknown as Readonly<Record<string, unknown>>;
  return KNOWN_BINDINGS.map((name) => bindings[name]);
}

/** One isolate's view of one set of bindings. */
class PolicyStore {
  private readonly envConfig: EnvConfig;
  private readonly kv: KVNamespace | undefined;
  private current: LoadedConfig;
  private loadedAt: number | undefined;
  private lastText: string | null | undefined;
  private inflight: Promise<void> | undefined;

  constructor(
    env: Env,
    private readonly clock: () => number,
    private readonly kvTimeoutMs: number,
  ) {
    const { config, issues } = parseEnv(env as unknown as Readonly<Record<string, unknown>>);
    logIssuesOnce("env", issues);
    this.envConfig = config;
    this.kv = env.POLICY_KV;
    this.current = this.compile(undefined);
  }

  /** The current configuration; waits on KV only for the first load, refreshes stale ones in the background. */
  load(ctx: Pick<ExecutionContext, "waitUntil">): LoadedConfig | Promise<LoadedConfig> {
    if (this.kv === undefined) return this.current;
    if (this.loadedAt === undefined) return this.refresh().then(() => this.current);
    if (this.clock() - this.loadedAt >= this.envConfig.cacheSeconds * 1000 && this.inflight === undefined) {
      ctx.waitUntil(this.refresh());
    }
    return this.current;
  }

  private refresh(): Promise<void> {
    this.inflight ??= this.fetchAndCompile().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchAndCompile(): Promise<void> {
    const kv = this.kv;
    if (kv === undefined) return;
    const key = this.envConfig.kvKey;
    let text: string | null;
    try {
      text = await withTimeout(readDocument(kv, key, Math.max(KV_CACHE_TTL_MIN, this.envConfig.cacheSeconds)), this.kvTimeoutMs);
    } catch (error) {
      // Keep serving what we have; try again after one cache period.
      this.loadedAt = this.clock();
      log({ level: "error", event: "kv.unavailable", key, error: error instanceof Error ? error.message : String(error), serving: this.servingLabel() });
      return;
    }
    this.loadedAt = this.clock();
    if (text === this.lastText) return;
    this.lastText = text;
    if (text === null) {
      // The key is gone: the lower layers serve.
      this.current = this.compile(undefined);
      return;
    }
    const parsed = parsePolicyJson(text);
    if (!parsed.ok) {
      logIssuesOnce("KV", parsed.issues, text, this.servingLabel());
      return;
    }
    const next = this.compile(parsed.value, text);
    if (next !== undefined) this.current = next;
  }

  /** Compile env + an optional KV document; undefined when the KV document is rejected (already logged). */
  private compile(document: undefined): LoadedConfig;
  private compile(document: PolicyDocument, text: string): LoadedConfig | undefined;
  private compile(document: PolicyDocument | undefined, text?: string): LoadedConfig | undefined {
    const sources: PolicySource[] = [];
    if (this.envConfig.policy !== undefined) sources.push({ from: "POLICY", document: this.envConfig.policy });
    if (document !== undefined) sources.push({ from: "KV", document });
    const reports = this.envConfig.reports;
    const options = { reportOnly: this.envConfig.reportOnly, reportPath: reports.enabled ? reports.path : undefined, nonceMarker: this.envConfig.nonceMarker };
    const { policy, rejected } = compilePolicy(sources, options, { onRejected: logCombination });
    for (const layer of rejected) {
      if (layer.from === "KV") logIssuesOnce("KV", layer.issues, text, this.servingLabel());
      // The POLICY var is one binding among several: its issues are named like parse issues, POLICY.<path>.
      else logIssuesOnce("env", layer.issues.map((issue) => ({ ...issue, path: prefixPath(layer.from, issue.path) })), undefined, "defaults");
    }
    if (document !== undefined && rejected.some((r) => r.from === "KV")) return undefined;
    return { env: this.envConfig, policy };
  }

  private servingLabel(): string {
    return this.lastText === undefined ? "env policy" : "last good policy";
  }
}

/** Read the document as text, refusing one over MAX_DOCUMENT_BYTES without reading it all. */
async function readDocument(kv: KVNamespace, key: string, cacheTtl: number): Promise<string | null> {
  const stream = await kv.get(key, { type: "stream", cacheTtl });
  if (stream === null) return null;
  const bytes = await readCapped(stream, MAX_DOCUMENT_BYTES);
  if (bytes === undefined) throw new Error(`policy document over ${MAX_DOCUMENT_BYTES} bytes`);
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`KV read took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const logged = new Set<string>();

/** FNV-1a, to remember which versions were logged without keeping their text. */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return `${(hash >>> 0).toString(16)}:${text.length}`;
}

/** One structured line per bad version (or per distinct set of issues), not one per request. */
export function logIssuesOnce(source: string, issues: readonly PolicyIssue[], version?: string, serving?: string): void {
  if (issues.length === 0) return;
  const key = `${source}|${version === undefined ? JSON.stringify(issues) : fingerprint(version)}`;
  if (logged.has(key)) return;
  if (logged.size > 256) logged.clear();
  logged.add(key);
  log({ level: "error", event: "config.invalid", source, applied: false, ...(serving === undefined ? {} : { serving }), issues });
}

function logCombination(rejected: RejectedCombination): void {
  log({ level: "warn", event: "config.rule-conflict", skipped: rejected.rules, issues: rejected.issues });
}

function log(fields: Record<string, unknown>): void {
  console.error(JSON.stringify(fields));
}

