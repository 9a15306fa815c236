// CSP validation at load time: each source against its directive's kind, a whole source list, and a
// serialized policy parsed into a directive map (the CLI's import and check read origin CSPs with it).

import { asciiTokens, CSP_DIRECTIVES, type DirectiveKind, type DirectiveValue } from "./directives.js";
import { schemeNearMiss } from "./scheme-near-miss.js";

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
      return /^(?:https?:\/\/[^\s'"]+|\/[^\s'"]*)$/.test(source) ? undefined : "an absolute http(s) URL or a path starting with /";
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
  const scheme = schemeNearMiss(source);
  if (scheme !== undefined) return scheme;
  if (source === "*" || SCHEME_SOURCE.test(source) || HOST_SOURCE.test(source)) return undefined;
  return "a host (example.com, *.example.com, https://cdn.example.com:443/path), a scheme (https:) or *";
}

/**
 * Problems with a directive's whole source list (each source is checked on its own by cspSourceProblem):
 * the same rules for a policy document and for a CSP string, so import and validate agree.
 */
export function sourceListProblems(
  kind: DirectiveKind,
  sources: readonly string[],
  mode: "replace" | "add",
): { index: number | undefined; message: string }[] {
  const problems: { index: number | undefined; message: string }[] = [];
  if (sources.length === 0 && kind !== "sandbox") {
    problems.push({
      index: undefined,
      message: mode === "add" ? "at least one source to add" : `at least one source ("'none'" to allow nothing)`,
    });
  }
  if (kind === "token" && sources.length > 1)
    problems.push({ index: undefined, message: "one endpoint name: report-to takes a single token" });
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
