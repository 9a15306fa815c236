// Rendering a CSP once per policy version: a directive map to a header value, and the map a resolved
// policy renders from (its directives, plus the nonce source and the collector's report endpoint).

import type { ResolvedCsp, ResolvedNonce } from "../policy/types.js";
import { CSP_FALLBACKS, type DirectiveMap, type DirectiveValue } from "./directives.js";

/** The Reporting API endpoint name the collector is registered under. */
export const REPORT_ENDPOINT_NAME = "csp-endpoint";

/** Where the nonce goes in a rendered value; never valid in a header, so it cannot clash with content. */
export const NONCE_SLOT = "\u0000";

/** Render a directive map as a header value; `https` false drops the directives that only make sense on https. */
export function renderCsp(directives: DirectiveMap, https: boolean): string {
  const parts: string[] = [];
  for (const [name, value] of directives) {
    if (!https && (name === "upgrade-insecure-requests" || name === "block-all-mixed-content")) continue;
    parts.push(value === true ? name : value.length === 0 ? name : `${name} ${value.join(" ")}`);
  }
  return parts.join("; ");
}

/** The directive map a policy is rendered from: its own, plus the nonce (at NONCE_SLOT) and the report endpoint. */
export function directivesFor(csp: ResolvedCsp, nonce: ResolvedNonce | null, reportPath: string | undefined): Map<string, DirectiveValue> {
  const map = new Map<string, DirectiveValue>([...csp.directives].map(([k, d]) => [k, d.value]));
  if (nonce !== null) {
    const source = `'nonce-${NONCE_SLOT}'`;
    if (nonce.scripts) {
      stampDirective(map, "script-src", nonce.strictDynamic ? [source, "'strict-dynamic'"] : [source]);
      if (map.has("script-src-elem")) stampDirective(map, "script-src-elem", [source]);
    }
    if (nonce.styles) {
      stampDirective(map, "style-src", [source]);
      if (map.has("style-src-elem")) stampDirective(map, "style-src-elem", [source]);
    }
  }
  if (reportPath !== undefined && !map.has("report-uri") && !map.has("report-to")) {
    map.set("report-uri", [reportPath]);
    map.set("report-to", [REPORT_ENDPOINT_NAME]);
  }
  return map;
}

/**
 * Add nonce sources to a directive. An absent directive starts from its fallback (script-src from
 * default-src), so the nonce adds to what was allowed; with nothing to fall back on, the directive is
 * created, since asking for a nonce is asking for scripts (or styles) to be limited to it.
 */
function stampDirective(map: Map<string, DirectiveValue>, name: string, sources: readonly string[]): void {
  let current = map.get(name);
  for (const fallback of CSP_FALLBACKS.get(name) ?? []) {
    if (current !== undefined) break;
    current = map.get(fallback);
  }
  const kept = current === undefined || current === true ? [] : current.filter((s) => s.toLowerCase() !== "'none'");
  map.set(name, [...kept, ...sources.filter((s) => !kept.includes(s))]);
}
