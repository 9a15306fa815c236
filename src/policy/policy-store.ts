// Load the configuration once per isolate: the environment bindings, then the policy document in Workers
// KV, cached and refreshed in the background. A bad version is logged once and never applied.

import { compilePolicy } from "../core/policy/compile-policy.js";
import {
  ceilingsFailed,
  describeCap,
  parseCeilings,
  STRICTEST_CEILINGS,
  STRICTEST_CEILINGS_SERVE,
  type Cap,
  type Ceilings,
} from "../core/policy/ceilings.js";
import { compileEnvironment } from "../core/policy/compile-environment.js";
import { KNOWN_BINDINGS, parseEnv, type EnvConfig } from "../core/policy/parse-env.js";
import { decodeDocument } from "../core/policy/decode-document.js";
import { MAX_POLICY_BYTES, parsePolicyJson } from "../core/policy/parse-policy.js";
import type { CompiledPolicy, PolicyDocument, RejectedCombination } from "../core/policy/types.js";
import { readCapped } from "../core/shared/read-capped.js";
import { prefixIssues, type PolicyIssue } from "../core/shared/result.js";
import { errorMessage } from "../core/shared/text.js";
import { withTimeout } from "../core/shared/with-timeout.js";
import type { Env } from "../env.js";
import { log, registerSecrets } from "../log.js";
import { markerIntentOf, markersIn, splitMarkerList, type MarkerIntent } from "../core/nonce/nonce-marker.js";

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

/** Fallbacks compiled under CEILINGS, once per parsed configuration or raw CEILINGS value (a site has one or two). */
const cappedFallbacks = new WeakMap<object, CompiledPolicy>();
const rawFallbacks = new Map<string, CompiledPolicy>();

function cappedDefaults(ceilings: Ceilings, reportOnly: boolean): CompiledPolicy {
  return compilePolicy([], { reportOnly: reportOnly || ceilings.cspReportOnly === true, ceilings }).policy;
}

/**
 * What serves when the policy cannot be loaded or planned: the built-in defaults, under the environment's
 * CEILINGS. With a configuration, its parsed ceilings; without one (the loader threw), CEILINGS read from
 * the binding here, and when it is set but does not parse, the strictest reading (STRICTEST_CEILINGS: no
 * HSTS at all, CSP Report-Only), so a fault never sends a longer HSTS than staging allows.
 */
export function fallbackPolicy(env: Env, config: LoadedConfig | undefined): CompiledPolicy {
  if (config !== undefined) {
    const ceilings = config.env.ceilings;
    if (ceilings === undefined) return config.env.reportOnly ? DEFAULT_POLICIES.reportOnly : DEFAULT_POLICIES.enforce;
    let policy = cappedFallbacks.get(config.env);
    if (policy === undefined) {
      policy = cappedDefaults(ceilings, config.env.reportOnly);
      cappedFallbacks.set(config.env, policy);
    }
    return policy;
  }
  try {
    const raw: unknown = env.CEILINGS;
    if (raw === undefined || raw === "") return DEFAULT_POLICIES.enforce;
    const key = typeof raw === "string" ? raw : JSON.stringify(raw);
    let policy = rawFallbacks.get(key);
    if (policy === undefined) {
      const issues: PolicyIssue[] = [];
      const ceilings = parseCeilings(raw, issues);
      policy = issues.length > 0 || ceilings === undefined ? strictestFallback() : cappedDefaults(ceilings, false);
      if (rawFallbacks.size >= 4) rawFallbacks.clear();
      rawFallbacks.set(key, policy);
    }
    return policy;
  } catch {
    // The bindings themselves cannot be read: the fault is already logged by the caller's loader.
    return strictestFallback();
  }
}

let strictest: CompiledPolicy | undefined;
function strictestFallback(): CompiledPolicy {
  strictest ??= cappedDefaults(STRICTEST_CEILINGS, true);
  return strictest;
}

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

/** The Worker's loader: one cache for every request this isolate serves. */
export const isolateConfigLoader: ConfigLoader = createConfigLoader();

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
  /** The version of the KV document `current` was compiled with; undefined while the layers below serve. */
  private currentVersion: string | undefined;
  /** What serves without a KV document: the POLICY var, unless it is unset or was refused. */
  private readonly envServing: string;
  private loadedAt: number | undefined;
  private lastText: string | null | undefined;
  private inflight: Promise<void> | undefined;
  /** The KV document `current` was compiled with (undefined: none), to compile again with markers learnt since. */
  private currentDocument: { readonly document: PolicyDocument; readonly text: string } | undefined;
  /** What a KV document that is not applied asks of markers: they are scrubbed all the same (docs/csp.md). */
  private kvNotApplied: MarkerIntent = { markers: [], marked: false };
  /** Markers of versions served before in this isolate (a marker rotated in KV): still neutralised. Bounded. */
  private readonly retired = new Set<string>();

  constructor(
    env: Env,
    private readonly clock: () => number,
    private readonly kvTimeoutMs: number,
  ) {
    // The secrets first: no line logged from here on may carry a marker, valid or not, from any binding.
    registerSecrets(envMarkers(env));
    const { config, issues } = parseEnv(env as unknown as Readonly<Record<string, unknown>>);
    // A bad CEILINGS serves the strictest ceilings (core/policy/ceilings.ts): the line says so.
    logIssuesOnce("env", issues, undefined, ceilingsFailed(issues) ? { serving: STRICTEST_CEILINGS_SERVE } : undefined);
    this.envConfig = config;
    this.kv = env.POLICY_KV;
    const initial = this.compile(undefined);
    this.current = initial.config;
    this.envServing =
      this.envConfig.policy === undefined || initial.policyRefused ? "built-in defaults" : "POLICY var over the built-in defaults";
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
      const ms = this.kvTimeoutMs;
      const read = readDocument(kv, key, Math.max(KV_CACHE_TTL_MIN, this.envConfig.cacheSeconds));
      text = await withTimeout(read, ms, () => new Error(`KV read took longer than ${ms} ms`));
    } catch (error) {
      // Keep serving what we have; try again after one cache period.
      this.loadedAt = this.clock();
      log({ level: "error", event: "kv.unavailable", key, error: errorMessage(error), ...this.serving() });
      return;
    }
    this.loadedAt = this.clock();
    if (text === this.lastText) return;
    this.lastText = text;
    if (text === null) {
      // The key is gone: the lower layers serve (the markers of the version that served stay scrubbed).
      this.kvNotApplied = { markers: [], marked: false };
      this.currentDocument = undefined;
      this.current = this.compile(undefined).config;
      this.currentVersion = undefined;
      return;
    }
    // Its markers are secrets even if the document is not applied: redacted, and scrubbed whatever serves.
    const intent = markerIntentOf(text);
    registerSecrets(intent.markers);
    const parsed = parsePolicyJson(text);
    const next = parsed.ok ? this.compile(parsed.value, text) : undefined;
    if (!parsed.ok) logIssuesOnce("KV", parsed.issues, text, this.serving());
    if (next !== undefined && parsed.ok) {
      this.kvNotApplied = { markers: [], marked: false };
      this.currentDocument = { document: parsed.value, text };
      this.current = next;
      this.currentVersion = documentVersion(text);
      return;
    }
    // Not applied: what serves (the last good version, or the layers below) is compiled again so that it
    // scrubs this document's markers too, and refuses everything if it asks for a marked nonce no marker serves.
    this.kvNotApplied = intent;
    const last = this.currentDocument;
    this.current = (last === undefined ? undefined : this.compile(last.document, last.text)) ?? this.compile(undefined).config;
  }

  /** Compile env + an optional KV document; undefined when the KV document is rejected (already logged). */
  private compile(document: undefined): { config: LoadedConfig; policyRefused: boolean };
  private compile(document: PolicyDocument, text: string): LoadedConfig | undefined;
  private compile(
    document: PolicyDocument | undefined,
    text?: string,
  ): LoadedConfig | { config: LoadedConfig; policyRefused: boolean } | undefined {
    const markers = {
      scrubbed: [...this.retired, ...this.kvNotApplied.markers],
      markedSources: this.kvNotApplied.marked ? ["the KV document (not applied)"] : [],
    };
    const { policy, rejected, caps } = compileEnvironment(this.envConfig, document, { onRejected: logCombination }, false, markers);
    this.retire(policy);
    for (const layer of rejected) {
      if (layer.from === "KV") logIssuesOnce("KV", layer.issues, text, this.serving());
      // The POLICY var is one binding among several: its issues are named like parse issues, POLICY.<path>.
      else logIssuesOnce("env", prefixIssues(layer.from, layer.issues), undefined, { serving: "built-in defaults" });
    }
    const config = { env: this.envConfig, policy };
    const applied = document === undefined || !rejected.some((r) => r.from === "KV");
    if (applied) logCapsOnce(caps, text);
    if (document === undefined) return { config, policyRefused: rejected.some((r) => r.from === "POLICY") };
    return rejected.some((r) => r.from === "KV") ? undefined : config;
  }

  /** Remember every marker a compiled version scrubs, so that a later version (a marker rotated in KV) scrubs it too. */
  private retire(policy: CompiledPolicy): void {
    const scope = policy.marker;
    if (scope === null) return;
    const all = [scope.value, ...scope.alternates, ...scope.neutralised].flatMap((m) => (m === null ? [] : [m.marker]));
    registerSecrets(all);
    for (const marker of all) if (this.retired.size < RETIRED_MAX) this.retired.add(marker);
  }

  /** What serves while a KV document cannot be applied: the last good version (by its identity), or the layers below. */
  private serving(): Serving {
    return this.currentVersion === undefined
      ? { serving: this.envServing }
      : { serving: "last good KV document", servingVersion: this.currentVersion };
  }
}

/** The log fields that name what serves in place of a configuration that was not applied. */
interface Serving {
  readonly serving: string;
  readonly servingVersion?: string;
}

/** Most retired markers an isolate keeps scrubbing: rotations are rare, and each costs a pass over every body. */
const RETIRED_MAX = 4;

/** Every marker the bindings name, valid or not: NONCE_MARKER's, and those in the POLICY var's text. */
function envMarkers(env: Env): string[] {
  const bindings = env as unknown as Readonly<Record<string, unknown>>;
  const secret = bindings.NONCE_MARKER;
  const policy = bindings.POLICY;
  return [
    ...(typeof secret === "string" ? splitMarkerList(secret) : []),
    ...(typeof policy === "string" ? markerIntentOf(policy).markers : [...markersIn(policy)]),
  ];
}

/** Read the document as text, refusing one over MAX_DOCUMENT_BYTES without reading it all. */
async function readDocument(kv: KVNamespace, key: string, cacheTtl: number): Promise<string | null> {
  const stream = await kv.get(key, { type: "stream", cacheTtl });
  if (stream === null) return null;
  const bytes = await readCapped(stream, MAX_DOCUMENT_BYTES);
  if (bytes === undefined) throw new Error(`policy document over ${MAX_DOCUMENT_BYTES} bytes`);
  return decodeDocument(bytes);
}

const logged = new Set<string>();

/** A KV document's identity in logs: FNV-1a of its text and its length, so versions are told apart without keeping them. */
export function documentVersion(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return `${(hash >>> 0).toString(16)}:${text.length}`;
}

/** One structured line per bad version (or per distinct set of issues), not one per request. */
export function logIssuesOnce(source: string, issues: readonly PolicyIssue[], text?: string, serving?: Serving): void {
  if (issues.length === 0) return;
  const version = text === undefined ? undefined : documentVersion(text);
  const key = `${source}|${version ?? JSON.stringify(issues)}`;
  if (logged.has(key)) return;
  if (logged.size > 256) logged.clear();
  logged.add(key);
  log({
    level: "error",
    event: "config.invalid",
    source,
    ...(version === undefined ? {} : { version }),
    applied: false,
    ...serving,
    issues,
  });
}

/** One line per policy version whose values the CEILINGS lowered: each field, the value asked for, the ceiling. */
function logCapsOnce(caps: readonly Cap[], text: string | undefined): void {
  if (caps.length === 0) return;
  const version = text === undefined ? undefined : documentVersion(text);
  const key = `caps|${version ?? JSON.stringify(caps)}`;
  if (logged.has(key)) return;
  if (logged.size > 256) logged.clear();
  logged.add(key);
  log({
    level: "warn",
    event: "config.capped",
    ...(version === undefined ? {} : { version }),
    caps: caps.map((cap) => ({ field: cap.field, value: cap.value, ceiling: cap.ceiling, from: cap.from, message: describeCap(cap) })),
  });
}

function logCombination(rejected: RejectedCombination): void {
  log({ level: "warn", event: "config.rule-conflict", skipped: rejected.rules, issues: rejected.issues });
}
