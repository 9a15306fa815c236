// Per request: whether an origin's CSP header restricts anything, so that a `default` action keeps only a
// real policy of the site's own, never one that protects nothing.

import { asciiTokens, CSP_DIRECTIVES } from "./directives.js";

/**
 * True when a CSP header value (possibly several policies joined by commas) contains at least one
 * directive a browser would act on; an origin value for which this is false counts as absent.
 */
export function isEffectiveCsp(value: string): boolean {
  return hasDirectiveIn(value, CSP_DIRECTIVES);
}

/**
 * Directives that restrict what a page may do: every fetch directive, base-uri, form-action,
 * frame-ancestors, sandbox and require-trusted-types-for. Reporting (report-uri, report-to), upgrading
 * (upgrade-insecure-requests, block-all-mixed-content) and naming (trusted-types, webrtc) restrict nothing
 * a script injection needs.
 */
export const RESTRICTING_DIRECTIVES: ReadonlySet<string> = new Set([
  ...[...CSP_DIRECTIVES].filter(([, kind]) => kind === "sources" || kind === "ancestors" || kind === "sandbox").map(([name]) => name),
  "require-trusted-types-for",
]);

/**
 * True when a CSP header value (possibly several policies joined by commas) has a directive that
 * restricts something. Under the `default` action only such an origin CSP counts as the site's own: a
 * lone `report-uri /csp` must not replace the built-in default-src, object-src and base-uri.
 */
export function cspRestricts(value: string): boolean {
  return hasDirectiveIn(value, RESTRICTING_DIRECTIVES);
}

/** Whether any directive of any policy in a CSP header value is named in `names` (lower case). */
function hasDirectiveIn(value: string, names: { has(name: string): boolean }): boolean {
  for (const policy of value.split(",")) {
    for (const directive of policy.split(";")) {
      const [name = ""] = asciiTokens(directive);
      if (names.has(name.toLowerCase())) return true;
    }
  }
  return false;
}
