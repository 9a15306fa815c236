// Content-Security-Policy: the directive catalogue, source validation, and rendering a directive map to a header.

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

const KEYWORDS = new Set([
  "'self'",
  "'none'",
  "'unsafe-inline'",
  "'unsafe-eval'",
  "'strict-dynamic'",
  "'unsafe-hashes'",
  "'report-sample'",
  "'unsafe-allow-redirects'",
  "'wasm-unsafe-eval'",
  "'inline-speculation-rules'",
  "'trusted-types-eval'",
]);
const UNQUOTED_KEYWORDS = new Map([...KEYWORDS].map((k) => [k.slice(1, -1), k]));
const SANDBOX_TOKENS = new Set([
  "allow-downloads",
  "allow-forms",
  "allow-modals",
  "allow-orientation-lock",
  "allow-pointer-lock",
  "allow-popups",
  "allow-popups-to-escape-sandbox",
  "allow-presentation",
  "allow-same-origin",
  "allow-scripts",
  "allow-storage-access-by-user-activation",
  "allow-top-navigation",
  "allow-top-navigation-by-user-activation",
  "allow-top-navigation-to-custom-protocols",
]);

const SCHEME_SOURCE = /^[A-Za-z][A-Za-z0-9+.-]*:$/;
// scheme://host:port/path, each part optional except the host; host may start with "*." or be "*".
const HOST_SOURCE =
  /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/)?(?:\*|(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(?::(?:\d{1,5}|\*))?(?:\/[^\s;,'"]*)?$/;
const HASH_SOURCE = /^'sha(?:256|384|512)-[A-Za-z0-9+/_-]+={0,2}'$/;
const NONCE_SOURCE = /^'nonce-[A-Za-z0-9+/_-]+={0,2}'$/;
const TOKEN = /^[A-Za-z0-9!#$%&*+.^_`|~-]+$/;

/** Why `source` is not valid in a directive of this kind, or undefined when it is. */
export function cspSourceProblem(kind: DirectiveKind, source: string): string | undefined {
  if (source === "") return "a non-empty source";
  if (/[;,]/.test(source)) return "a single source: `;` ends a directive and `,` starts a new policy";
  if (/\s/.test(source)) return "a single source without whitespace (give each source as its own array item)";
  if (/[^\x21-\x7e]/.test(source)) return "printable ASCII (encode international hosts as punycode)";
  switch (kind) {
    case "sources":
    case "ancestors":
      return sourceExpressionProblem(kind, source);
    case "sandbox":
      return SANDBOX_TOKENS.has(source) ? undefined : `a sandbox token: ${[...SANDBOX_TOKENS].join(", ")}`;
    case "uris":
      return /^(?:https?:\/\/[^\s'"]+|\/[^\s'"]*)$/.test(source)
        ? undefined
        : "an absolute http(s) URL or a path starting with /";
    case "token":
    case "tokens":
      return TOKEN.test(source) || /^'[a-z-]+'$/.test(source) ? undefined : "a token";
    case "flag":
      return "no value";
  }
}

function sourceExpressionProblem(kind: "sources" | "ancestors", source: string): string | undefined {
  const lower = source.toLowerCase();
  if (source.startsWith("'")) {
    if (KEYWORDS.has(lower)) {
      if (kind === "ancestors" && lower !== "'self'" && lower !== "'none'") {
        return "'self', 'none', a host or a scheme: frame-ancestors takes no other keyword";
      }
      return undefined;
    }
    if (HASH_SOURCE.test(source)) {
      return kind === "ancestors" ? "a host, a scheme, 'self' or 'none': frame-ancestors takes no hashes" : undefined;
    }
    if (NONCE_SOURCE.test(source)) {
      return "no fixed nonce: one written in the policy is the same on every response and protects nothing (the `nonce` field gives each response a fresh one)";
    }
    return `a quoted keyword (${[...KEYWORDS].join(" ")}), 'sha256-…' or a host`;
  }
  const keyword = UNQUOTED_KEYWORDS.get(lower);
  if (keyword !== undefined) return `the keyword in single quotes: did you mean \`${keyword}\`?`;
  if (lower.startsWith("nonce-") || /^sha(256|384|512)-/.test(lower)) {
    return `the source in single quotes: did you mean \`'${source}'\`?`;
  }
  if (source === "*" || SCHEME_SOURCE.test(source) || HOST_SOURCE.test(source)) return undefined;
  return "a host (example.com, *.example.com, https://cdn.example.com:443/path), a scheme (https:) or *";
}

/** A directive's value in a compiled policy: its sources in order, or `true` for a flag directive. */
export type DirectiveValue = readonly string[] | true;

/** An ordered map of directive name (lower case) to value: the compiled form of one policy. */
export type DirectiveMap = ReadonlyMap<string, DirectiveValue>;

/** Render a directive map as a header value; `https` false drops the directives that only make sense on https. */
export function renderCsp(directives: DirectiveMap, https: boolean): string {
  const parts: string[] = [];
  for (const [name, value] of directives) {
    if (!https && (name === "upgrade-insecure-requests" || name === "block-all-mixed-content")) continue;
    parts.push(value === true ? name : value.length === 0 ? name : `${name} ${value.join(" ")}`);
  }
  return parts.join("; ");
}

/**
 * True when a CSP header value (possibly several policies joined by commas) contains at least one
 * directive a browser would act on; an origin value for which this is false counts as absent.
 */
export function isEffectiveCsp(value: string): boolean {
  for (const policy of value.split(",")) {
    for (const directive of policy.split(";")) {
      const [name = ""] = asciiTokens(directive);
      if (CSP_DIRECTIVES.has(name.toLowerCase())) return true;
    }
  }
  return false;
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
  for (const policy of value.split(",")) {
    for (const directive of policy.split(";")) {
      const [name = ""] = asciiTokens(directive);
      if (RESTRICTING_DIRECTIVES.has(name.toLowerCase())) return true;
    }
  }
  return false;
}

/**
 * Split on ASCII whitespace only (tab, LF, FF, CR, space), as CSP3 §2.2 parses a directive: a no-break
 * space or U+2028 is part of a token to a browser, so a name it touches is no directive at all.
 */
function asciiTokens(text: string): string[] {
  return text.split(/[\t\n\f\r ]+/).filter((t) => t !== "");
}

/**
 * Problems with a directive's whole source list (each source is checked on its own by cspSourceProblem):
 * the same rules for a policy document and for a CSP string, so import and validate agree.
 */
export function sourceListProblems(kind: DirectiveKind, sources: readonly string[], mode: "replace" | "add"): { index: number | undefined; message: string }[] {
  const problems: { index: number | undefined; message: string }[] = [];
  if (sources.length === 0 && kind !== "sandbox") {
    problems.push({ index: undefined, message: mode === "add" ? "at least one source to add" : `at least one source ("'none'" to allow nothing)` });
  }
  if (kind === "token" && sources.length > 1) problems.push({ index: undefined, message: "one endpoint name: report-to takes a single token" });
  const lowered = new Set<string>();
  sources.forEach((source, index) => {
    const problem = cspSourceProblem(kind, source);
    if (problem !== undefined) problems.push({ index, message: problem });
    else if (lowered.has(source.toLowerCase())) problems.push({ index, message: "each source once" });
    lowered.add(source.toLowerCase());
  });
  if (sources.length > 1 && lowered.has("'none'")) {
    problems.push({ index: undefined, message: "'none' alone: with other sources it is ignored, or it contradicts them" });
  }
  if (mode === "add" && lowered.has("'none'")) {
    problems.push({ index: undefined, message: "sources to allow: adding 'none' is meaningless (remove the directive or replace it)" });
  }
  return problems;
}

/** One problem found in a CSP string, located by directive. */
export interface CspStringProblem {
  readonly directive: string;
  readonly message: string;
  readonly received: string;
}

/**
 * Parse one serialized policy ("default-src 'self'; img-src *") into an ordered directive map, with the
 * problems a policy author would want to hear about (unknown or repeated directives, bad sources).
 */
export function parseCspString(value: string): { directives: Map<string, DirectiveValue>; problems: CspStringProblem[] } {
  const directives = new Map<string, DirectiveValue>();
  const problems: CspStringProblem[] = [];
  if (value.includes(",")) {
    problems.push({ directive: "", message: "one policy: `,` separates policies; give each its own header", received: value });
  }
  for (const raw of value.split(/[;,]/)) {
    const [first, ...sources] = asciiTokens(raw);
    if (first === undefined) continue;
    const name = first.toLowerCase();
    const kind = CSP_DIRECTIVES.get(name);
    if (kind === undefined) {
      problems.push({ directive: name, message: "a known CSP directive", received: first });
      continue;
    }
    if (directives.has(name)) {
      problems.push({ directive: name, message: "each directive once (browsers ignore the repeat)", received: raw.trim() });
      continue;
    }
    if (kind === "flag") {
      if (sources.length > 0) problems.push({ directive: name, message: "no value", received: sources.join(" ") });
      directives.set(name, true);
      continue;
    }
    for (const { index, message } of sourceListProblems(kind, sources, "replace")) {
      problems.push({ directive: name, message, received: index === undefined ? sources.join(" ") : (sources[index] ?? "") });
    }
    directives.set(name, sources);
  }
  return { directives, problems };
}
