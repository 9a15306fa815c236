// Load time, for validate and explain: what a resolved policy's source bundles still need from it. These are
// warnings, not errors: the policy is valid and applied; the service may just not work (or not as hoped).

import type { AppliedBundle, ResolvedCsp, ResolvedPolicy } from "../policy/types.js";
import { SOURCE_BUNDLES } from "./bundles.js";

/** One warning about a bundle in a resolved policy. */
export interface BundleWarning {
  /** The bundle's name. */
  readonly bundle: string;
  /** Where it was allowed: the layer, then the field (`KV.rules[1] /shop/*: csp.allow[0]`). */
  readonly where: string;
  readonly message: string;
}

/** The warnings about the bundles of one resolved policy (its enforced and Report-Only CSPs). */
export function bundleWarnings(resolved: ResolvedPolicy): BundleWarning[] {
  const warnings: BundleWarning[] = [];
  const seen = new Set<string>();
  for (const csp of [resolved.csp, resolved.cspReportOnly]) {
    for (const applied of csp?.bundles ?? []) {
      for (const message of problems(applied, csp, resolved)) {
        const where = `${applied.from}: ${applied.path}`;
        const key = `${where}\n${message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        warnings.push({ bundle: applied.name, where, message });
      }
    }
  }
  return warnings;
}

function problems(applied: AppliedBundle, csp: ResolvedCsp | null, resolved: ResolvedPolicy): string[] {
  const bundle = SOURCE_BUNDLES.get(applied.name);
  if (bundle === undefined || csp === null) return [];
  const out: string[] = [];
  const nonce = resolved.nonce;
  if (bundle.needs === "nonce" && nonce?.scripts !== true) {
    out.push(
      `${bundle.title} runs an inline script, which this policy blocks: turn on a script nonce ("nonce": {}; in marked mode ` +
        "mark that script) or allow the script's hash; the bundle's hosts alone do not make it work",
    );
  }
  const hosts = (bundle.sources["script-src"] ?? []).filter((source) => !source.startsWith("'"));
  if (nonce?.scripts === true && nonce.strictDynamic && hosts.length > 0) {
    out.push(
      `with 'strict-dynamic', browsers ignore host sources in script-src (${hosts.join(" ")}): ${bundle.title}'s loader ` +
        `<script> must carry the nonce (${nonce.mode === "marked" ? "mark it" : "blanket mode stamps it"}); the hosts only serve older browsers`,
    );
  }
  return out;
}
