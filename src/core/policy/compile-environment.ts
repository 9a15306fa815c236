// What one environment's Worker compiles: its parsed bindings decide the layers (the POLICY var, then the
// KV document) and the options (Report-Only, the collector's report endpoint). The Worker's PolicyStore
// and the CLI (validate, explain, push) both call this, so they cannot drift apart.

import { cspCap, type Cap } from "./ceilings.js";
import { compilePolicy, type PolicyHooks, type PolicySource } from "./compile-policy.js";
import { type CompileOptions, type RejectedLayer } from "./types.js";
import type { EnvConfig } from "./parse-env.js";
import { isScrubbable } from "../nonce/nonce-marker.js";
import type { CompiledPolicy, PolicyDocument } from "./types.js";

/**
 * The compile options the bindings imply: CSP_REPORT_ONLY, REPORT_PATH in every CSP when REPORTS_ENABLED,
 * and the NONCE_MARKER secret. `assumeSecrets` is for the CLI, which cannot read secrets: a marked nonce
 * without nonce.marker is then taken to use a NONCE_MARKER the Worker has (and the CLI says it needs it).
 */
export function environmentOptions(env: EnvConfig, assumeSecrets = false): CompileOptions {
  return {
    // The CSP ceiling is CSP_REPORT_ONLY that no typo in that binding can turn off.
    reportOnly: env.reportOnly || env.ceilings?.cspReportOnly === true,
    reportPath: env.reports.enabled ? env.reports.path : undefined,
    nonceMarker: env.nonceMarker,
    assumeNonceMarker: assumeSecrets && env.nonceMarker === undefined,
    // While a site rotates its marker NONCE_MARKER holds several: the valid ones are stamped, every one scrubbed.
    alternateMarkers: env.nonceMarkers.filter((m) => m.valid && m.marker !== env.nonceMarker).map((m) => m.marker),
    scrubbedMarkers: env.nonceMarkers.filter((m) => !m.valid && isScrubbable(m.marker)).map((m) => m.marker),
    ceilings: env.ceilings,
  };
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
 * `caps` are the values the environment's CEILINGS lowered, for the Worker's log and the CLI.
 */
export function compileEnvironment(
  env: EnvConfig,
  kvDocument: PolicyDocument | undefined,
  hooks: PolicyHooks = {},
  assumeSecrets = false,
  markers: MarkersNotApplied = {},
): { policy: CompiledPolicy; rejected: RejectedLayer[]; caps: Cap[] } {
  const options = environmentOptions(env, assumeSecrets);
  const scrubbedMarkers = [...(options.scrubbedMarkers ?? []), ...(markers.scrubbed ?? [])];
  const sources = environmentSources(env, kvDocument);
  const compiled = compilePolicy(sources, { ...options, scrubbedMarkers, markedSources: markers.markedSources }, hooks);
  const csp = cspCap(compiled.policy.resolved, env.ceilings, env.reportOnly);
  return csp === undefined ? compiled : { ...compiled, caps: [csp, ...compiled.caps] };
}

/** What the Worker knows of markers outside the layers it compiles: a KV document that does not parse, retired versions. */
export interface MarkersNotApplied {
  /** Markers to neutralise: named by a document that does not parse, or by a version no longer served. */
  readonly scrubbed?: readonly string[];
  /** Sources not compiled that ask for a marked nonce ("KV (not applied)"). */
  readonly markedSources?: readonly string[];
}
