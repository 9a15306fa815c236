// What one environment's Worker compiles: its parsed bindings decide the layers (the POLICY var, then the
// KV document) and the options (Report-Only, the collector's report endpoint). The Worker's PolicyStore
// and the CLI (validate, explain, push) both call this, so they cannot drift apart.

import { compilePolicy, type CompileOptions, type PolicyHooks, type PolicySource, type RejectedLayer } from "./compile-policy.js";
import type { EnvConfig } from "./parse-env.js";
import type { CompiledPolicy, PolicyDocument } from "./policy.js";

/** The compile options the bindings imply: CSP_REPORT_ONLY, and REPORT_PATH in every CSP when REPORTS_ENABLED. */
export function environmentOptions(env: EnvConfig): CompileOptions {
  return { reportOnly: env.reportOnly, reportPath: env.reports.enabled ? env.reports.path : undefined };
}

/** The layers over the built-in defaults, lowest first: the POLICY var (when valid), then the KV document. */
export function environmentSources(env: EnvConfig, kvDocument: PolicyDocument | undefined): PolicySource[] {
  const sources: PolicySource[] = [];
  if (env.policy !== undefined) sources.push({ from: "POLICY", document: env.policy });
  if (kvDocument !== undefined) sources.push({ from: "KV", document: kvDocument });
  return sources;
}

/**
 * Compile exactly what the Worker with these bindings compiles for this KV document (undefined: none).
 * A layer that fails in context is rejected with its issues ("POLICY" or "KV"); the layers below serve.
 */
export function compileEnvironment(
  env: EnvConfig,
  kvDocument: PolicyDocument | undefined,
  hooks: PolicyHooks = {},
): { policy: CompiledPolicy; rejected: RejectedLayer[] } {
  return compilePolicy(environmentSources(env, kvDocument), environmentOptions(env), hooks);
}
