// Load the configuration from the environment once per isolate, log each bad version once, and keep
// serving the layers that are good.

import { compileLayers, type SourcedLayer } from "./core/compile-policy.js";
import { defaultPolicyDocument } from "./core/defaults.js";
import { parseEnv, prefixPath, type EnvConfig } from "./core/parse-env.js";
import type { CompiledPolicy } from "./core/policy.js";
import type { PolicyIssue } from "./core/result.js";
import type { Env } from "./env.js";

export interface LoadedConfig {
  readonly env: EnvConfig;
  readonly policy: CompiledPolicy;
}

/** The built-in defaults compiled, enforced and Report-Only: what serves when nothing else can. */
export const DEFAULT_POLICIES = {
  enforce: compileLayers([{ from: "defaults", layer: defaultPolicyDocument() }], { reportOnly: false }).policy,
  reportOnly: compileLayers([{ from: "defaults", layer: defaultPolicyDocument() }], { reportOnly: true }).policy,
};

const byEnv = new WeakMap<object, LoadedConfig>();
let last: { raw: readonly unknown[]; config: LoadedConfig } | undefined;
const logged = new Set<string>();

function rawValues(env: Env): readonly unknown[] {
  return [env.ORIGIN_URL, env.ORIGIN_TIMEOUT_MS, env.POLICY, env.CSP_REPORT_ONLY];
}

/** The configuration for these bindings: parsed and compiled on first use, then cached for the isolate. */
export function loadConfig(env: Env): LoadedConfig {
  const cached = byEnv.get(env);
  if (cached !== undefined) return cached;
  const raw = rawValues(env);
  if (last !== undefined && last.raw.every((value, i) => value === raw[i])) {
    byEnv.set(env, last.config);
    return last.config;
  }
  const config = compileConfig(env);
  byEnv.set(env, config);
  last = { raw, config };
  return config;
}

function compileConfig(env: Env): LoadedConfig {
  const { config, issues } = parseEnv(env as unknown as Readonly<Record<string, unknown>>);
  logIssuesOnce("env", issues);
  const layers: SourcedLayer[] = [{ from: "defaults", layer: defaultPolicyDocument() }];
  if (config.policy !== undefined) layers.push({ from: "POLICY", layer: config.policy });
  const { policy, rejected } = compileLayers(layers, { reportOnly: config.reportOnly });
  for (const layer of rejected) {
    logIssuesOnce(layer.from, layer.issues.map((issue) => ({ ...issue, path: prefixPath(layer.from, issue.path) })));
  }
  return { env: config, policy };
}

/** One structured line per distinct set of issues, so a bad version is reported once, not per request. */
export function logIssuesOnce(source: string, issues: readonly PolicyIssue[]): void {
  if (issues.length === 0) return;
  const line = JSON.stringify({ level: "error", event: "config.invalid", source, applied: false, issues });
  if (logged.has(line)) return;
  if (logged.size > 256) logged.clear();
  logged.add(line);
  console.error(line);
}
