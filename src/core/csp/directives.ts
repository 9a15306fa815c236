// Content-Security-Policy's vocabulary: the directives browsers act on, the shape of each value, the fetch
// directives' fallbacks, and how a directive is split into tokens.

/** How a directive's value is written. */
export type DirectiveKind =
  | "sources" // a source list: 'self', https:, *.example.com, 'sha256-…'
  | "ancestors" // frame-ancestors: hosts, schemes, 'self', 'none' only
  | "flag" // no value: upgrade-insecure-requests
  | "sandbox" // allow-* tokens, possibly none
  | "uris" // report-uri
  | "token" // report-to: one endpoint name
  | "tokens"; // require-trusted-types-for, trusted-types, webrtc

/** The directives of CSP Level 3 that browsers act on, with the shape of their value. */
export const CSP_DIRECTIVES: ReadonlyMap<string, DirectiveKind> = new Map<string, DirectiveKind>([
  ["default-src", "sources"],
  ["script-src", "sources"],
  ["script-src-elem", "sources"],
  ["script-src-attr", "sources"],
  ["style-src", "sources"],
  ["style-src-elem", "sources"],
  ["style-src-attr", "sources"],
  ["img-src", "sources"],
  ["font-src", "sources"],
  ["connect-src", "sources"],
  ["media-src", "sources"],
  ["object-src", "sources"],
  ["frame-src", "sources"],
  ["child-src", "sources"],
  ["worker-src", "sources"],
  ["manifest-src", "sources"],
  ["fenced-frame-src", "sources"],
  ["base-uri", "sources"],
  ["form-action", "sources"],
  ["frame-ancestors", "ancestors"],
  ["sandbox", "sandbox"],
  ["upgrade-insecure-requests", "flag"],
  ["block-all-mixed-content", "flag"],
  ["report-uri", "uris"],
  ["report-to", "token"],
  ["require-trusted-types-for", "tokens"],
  ["trusted-types", "tokens"],
  ["webrtc", "tokens"],
]);

/** Where a fetch directive falls back to when it is absent (CSP3 §6.8.3), nearest first. */
export const CSP_FALLBACKS: ReadonlyMap<string, readonly string[]> = new Map([
  ["script-src-elem", ["script-src", "default-src"]],
  ["script-src-attr", ["script-src", "default-src"]],
  ["script-src", ["default-src"]],
  ["style-src-elem", ["style-src", "default-src"]],
  ["style-src-attr", ["style-src", "default-src"]],
  ["style-src", ["default-src"]],
  ["worker-src", ["child-src", "script-src", "default-src"]],
  ["frame-src", ["child-src", "default-src"]],
  ["fenced-frame-src", ["frame-src", "child-src", "default-src"]],
  ["child-src", ["default-src"]],
  ["img-src", ["default-src"]],
  ["font-src", ["default-src"]],
  ["connect-src", ["default-src"]],
  ["media-src", ["default-src"]],
  ["object-src", ["default-src"]],
  ["manifest-src", ["default-src"]],
]);

/** A directive's value in a compiled policy: its sources in order, or `true` for a flag directive. */
export type DirectiveValue = readonly string[] | true;

/** An ordered map of directive name (lower case) to value: the compiled form of one policy. */
export type DirectiveMap = ReadonlyMap<string, DirectiveValue>;

/**
 * Split on ASCII whitespace only (tab, LF, FF, CR, space), as CSP3 §2.2 parses a directive: a no-break
 * space or U+2028 is part of a token to a browser, so a name it touches is no directive at all.
 */
export function asciiTokens(text: string): string[] {
  return text.split(/[\t\n\f\r ]+/).filter((t) => t !== "");
}
