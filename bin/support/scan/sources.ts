// From what the browser loaded to CSP source expressions: exact origins, 'self' for the site's own, the
// data: and blob: schemes where they are harmless, and sha256 hashes of inline code. Never `*` or a bare scheme
// such as https:, which would allow every host.

import { createHash } from "node:crypto";
import { cspSourceProblem } from "../../../src/core/csp/parse-csp.js";

/** The directive a policy needs for an effective directive a violation named, or undefined when the scan does not allow it by source. */
export function policyDirective(effective: string): string | undefined {
  switch (effective) {
    case "script-src":
    case "script-src-elem":
      return "script-src";
    case "style-src":
    case "style-src-elem":
      return "style-src";
    case "child-src":
      // Only browsers without frame-src/worker-src name it; frame-src is what frames need today.
      return "frame-src";
    case "style-src-attr":
    case "img-src":
    case "font-src":
    case "connect-src":
    case "media-src":
    case "frame-src":
    case "fenced-frame-src":
    case "worker-src":
    case "manifest-src":
    case "base-uri":
    case "form-action":
      return effective;
    default:
      return undefined;
  }
}

/** Schemes a policy may allow in these directives: an image or a font from data: cannot run code. */
const SCHEME_DIRECTIVES: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ["data:", new Set(["img-src", "font-src", "media-src"])],
  ["blob:", new Set(["img-src", "font-src", "media-src", "worker-src", "connect-src"])],
]);

/** A source for a load, or why there is none. */
export type SourceResult = { readonly ok: true; readonly source: string } | { readonly ok: false; readonly reason: string };

/**
 * The source expression that allows `blocked` (a violation's blocked URI, or a request's URL) in `directive`
 * on a page of `site` (an origin): 'self' for the site's own origin, else the exact origin.
 */
export function sourceFor(blocked: string, directive: string, site: string): SourceResult {
  const bare = blocked.toLowerCase();
  const scheme = bare === "data" || bare === "blob" ? `${bare}:` : undefined;
  let url: URL | undefined;
  if (scheme === undefined) {
    try {
      url = new URL(blocked);
    } catch {
      return { ok: false, reason: `"${blocked}" is not a URL` };
    }
  }
  const protocol = scheme ?? url?.protocol ?? "";
  if (protocol === "data:" || protocol === "blob:") {
    const allowed = SCHEME_DIRECTIVES.get(protocol)?.has(directive) === true;
    return allowed
      ? { ok: true, source: protocol }
      : { ok: false, reason: `${protocol} in ${directive}: anything a page can write into a ${protocol} URL would be allowed` };
  }
  if (url === undefined || !["http:", "https:", "ws:", "wss:"].includes(protocol)) {
    return { ok: false, reason: `${protocol} URLs are not the site's to allow (a browser extension, or a browser page)` };
  }
  const source = url.origin === site ? "'self'" : url.origin;
  const problem = cspSourceProblem("sources", source);
  return problem === undefined
    ? { ok: true, source }
    : { ok: false, reason: `${source} cannot be written as a CSP source: expected ${problem}` };
}

/** `'sha256-…'` of inline code, hashed as UTF-8 the way browsers hash it. */
export function hashSource(code: string): string {
  return `'sha256-${createHash("sha256").update(code, "utf8").digest("base64")}'`;
}
