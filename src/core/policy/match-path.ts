// Path patterns in the `_headers` convention (/embed/*, /users/:id), compiled once into an index so a
// request finds its rules without scanning them all, on the canonical form of its path (canonical-path.ts).

import { canonicalPath, foldPathCase, type PathReading, type PathWork } from "./canonical-path.js";

/** Why a pattern is not valid, or undefined when it is. */
export function pathPatternProblem(pattern: string): string | undefined {
  if (!pattern.startsWith("/")) return "a path starting with / (e.g. /embed/* or /users/:id)";
  if (/[?#]/.test(pattern)) return "a path without a query or fragment (rules match the path only)";
  if (/\s/.test(pattern)) return "a path without whitespace";
  if (/\*\*/.test(pattern)) return "a single * (it already matches across slashes)";
  // A request path is matched in canonical form, which never holds these: a pattern with one would never match.
  if (/[\u0000-\u001f\u007f]/.test(pattern)) return "a path without control characters";
  if (pattern.includes("%"))
    return "the characters themselves, not percent-escapes (/café, not /caf%C3%A9): paths are decoded before matching";
  if (pattern.includes(";")) return "a path without ; (path parameters such as ;jsessionid are dropped before matching)";
  if (pattern.includes("\\")) return "/ rather than \\ (a backslash in a request path is read as /)";
  const segments = pattern.split("/").slice(1);
  for (const [i, segment] of segments.entries()) {
    if (segment === "" && i < segments.length - 1) return "no empty segment (// in a request path is read as /)";
    if (/^\.{1,2}$/.test(segment)) return "no . or .. segment (requests that still hold one are refused)";
    if (/[. ]$/.test(segment)) return "no segment ending in a dot or a space (/admin. is read as /admin, as IIS serves it)";
    if (segment.startsWith(":") && !/^:[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) {
      return "a placeholder such as :id (letters, digits and _), filling a whole segment";
    }
    if (segment.length > 1 && segment.includes(":") && !segment.startsWith(":")) {
      return "a placeholder filling a whole segment (/users/:id, not /users/id-:id)";
    }
  }
  return undefined;
}

/**
 * How specific a pattern is: more literal characters (outside `*` and `:placeholders`) is more specific;
 * between equals, fewer wildcards. Used to order matching rules, so the most specific applies last.
 */
export function patternSpecificity(pattern: string): readonly [number, number] {
  let literal = 0;
  let wildcards = 0;
  for (const segment of pattern.split("/")) {
    if (segment.startsWith(":")) {
      wildcards++;
      continue;
    }
    for (const c of segment) {
      if (c === "*") wildcards++;
      else literal++;
    }
  }
  // Slashes are literal too.
  literal += pattern.split("/").length - 1;
  return [literal, -wildcards];
}

interface TrieNode {
  readonly literal: Map<string, TrieNode>;
  param: TrieNode | undefined;
  /** Rules whose pattern ends at this node. */
  readonly exact: number[];
  /** Rules whose pattern ends with /* below this node: they match anything under it. */
  readonly splat: number[];
  /** Lengths of the literal children that end a pattern: the stems worth trying in `name.ext`. */
  readonly stems: Set<number>;
}

function node(): TrieNode {
  return { literal: new Map(), param: undefined, exact: [], splat: [], stems: new Set() };
}

/** Note, on every node, which literal children end a pattern, so `login.json` tries only the stem `login`. */
function noteStems(at: TrieNode): void {
  for (const [key, child] of at.literal) {
    if (key !== "" && (child.exact.length > 0 || child.splat.length > 0)) at.stems.add(key.length);
    noteStems(child);
  }
  if (at.param !== undefined) noteStems(at.param);
}

/** Where a request path lands: its canonical form and the patterns it matches, or why it is refused. */
export type PathRoute =
  | {
      readonly ok: true;
      readonly path: string;
      readonly rules: readonly number[];
      /** The other readings checked (each selects the same rules), for `explain`. */
      readonly readings: readonly PathReading[];
      readonly index: PathIndex;
    }
  | { readonly ok: false; readonly reason: string; readonly index: PathIndex };

/** Compiled patterns. */
export interface PathIndex {
  /** Whether /Admin and /admin are different pages (the policy's `paths.caseSensitive`). */
  readonly caseSensitive: boolean;
  /**
   * Read a request path (as received, still percent-encoded) every way an origin might and find the
   * patterns each reading matches. Refused: a path with an invalid escape or NUL, or whose readings select
   * different rules (the page would get the rules of a reading the origin does not use). With no patterns
   * at all nothing depends on the path, so nothing is refused.
   */
  route(path: string, work?: PathWork): PathRoute;
  /** The indices of every pattern matching a path already in canonical form, ascending. */
  match(canonical: string): number[];
}

export interface PathIndexOptions {
  readonly caseSensitive: boolean;
}

const NO_READINGS: readonly PathReading[] = [];

/**
 * Build the index. Segment patterns (literals, `:id`, a trailing `*`) go into a trie walked once per
 * request; patterns with `*` inside a segment (`/assets/*.js`) fall back to regular expressions.
 * A trailing slash on either side is ignored. Unless case-sensitive, patterns are folded here, once, the
 * way request paths are folded per request.
 */
export function compilePathIndex(patterns: readonly string[], options: PathIndexOptions = { caseSensitive: false }): PathIndex {
  const match = compileMatcher(options.caseSensitive ? patterns : patterns.map((p) => foldPathCase(p)));
  const index: PathIndex = {
    caseSensitive: options.caseSensitive,
    match,
    route(path, work) {
      if (patterns.length === 0) return { ok: true, path, rules: [], readings: NO_READINGS, index };
      const canonical = canonicalPath(path, !options.caseSensitive, work);
      if (!canonical.ok) return { ok: false, reason: canonical.reason, index };
      const rules = match(canonical.path);
      for (const reading of canonical.readings) {
        const other = match(reading.path);
        if (!sameIndices(rules, other)) {
          const reason = `its readings select different rules: ${canonical.path} matches ${named(patterns, rules)}, but read ${reading.how} it is ${reading.path}, which matches ${named(patterns, other)}`;
          return { ok: false, reason, index };
        }
      }
      return { ok: true, path: canonical.path, rules, readings: canonical.readings, index };
    },
  };
  return index;
}

function named(patterns: readonly string[], rules: readonly number[]): string {
  return rules.length === 0 ? "no rule" : rules.map((i) => patterns[i] ?? "?").join(" and ");
}

function sameIndices(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function compileMatcher(patterns: readonly string[]): (path: string) => number[] {
  const root = node();
  const regexps: Fallback[] = [];
  patterns.forEach((pattern, index) => {
    const segments = trimSlash(pattern).split("/").slice(1);
    const last = segments.at(-1);
    const middle = last === "*" ? segments.slice(0, -1) : segments;
    if (middle.some((s) => s.includes("*"))) {
      regexps.push({ index, regexp: patternRegExp(pattern), ...literalEnds(pattern) });
      return;
    }
    let at = root;
    for (const segment of middle) {
      if (segment.startsWith(":")) {
        at.param ??= node();
        at = at.param;
      } else {
        let next = at.literal.get(segment);
        if (next === undefined) {
          next = node();
          at.literal.set(segment, next);
        }
        at = next;
      }
    }
    (last === "*" ? at.splat : at.exact).push(index);
  });
  noteStems(root);
  return (path: string): number[] => {
    const out: number[] = [];
    const trailingSlash = path.length > 1 && path.endsWith("/");
    walk(root, path, 1, trailingSlash ? path.length - 1 : path.length, trailingSlash, out);
    for (const { index, regexp, prefix, suffix, suffixSlash } of regexps) {
      // Most paths fail the literal ends (/assets/*.js needs "/assets/" and ".js"): no regex runs.
      if (path.startsWith(prefix) && (path.endsWith(suffix) || path.endsWith(suffixSlash)) && regexp.test(path)) out.push(index);
    }
    // The trie holds each pattern once and a path reaches each node once: no repeats to remove. A few
    // indices at most: an insertion sort, without the cost of a comparator call per step.
    for (let i = 1; i < out.length; i++) {
      const value = out[i] ?? 0;
      let j = i - 1;
      while (j >= 0 && (out[j] ?? 0) > value) {
        out[j + 1] = out[j] ?? 0;
        j--;
      }
      out[j + 1] = value;
    }
    return out;
  };
}

/**
 * Walk the trie along the path's segments, from `pos` (just after a "/") to `end` (the path without a
 * trailing slash). A segment remains while pos <= end: "/" holds one empty segment, "/a/b" two.
 * What a pattern matches is closed under what origins route to the same handler: `/x/*` matches `/x`
 * (Express's app.use, Spring's trailing slash), and a pattern matching `/x` matches `/x/...` (PATH_INFO,
 * mounted apps) and `/x.ext` (Rails' `(.:format)`, Spring's suffix match, Apache MultiViews).
 */
function walk(at: TrieNode, path: string, pos: number, end: number, trailingSlash: boolean, out: number[]): void {
  for (const index of at.splat) out.push(index);
  if (pos > end) {
    for (const index of at.exact) out.push(index);
    return;
  }
  // Below a pattern's last segment: the pattern's page with more path (the root pattern `/` is a literal "").
  if (pos > 1) for (const index of at.exact) out.push(index);
  let next = path.indexOf("/", pos);
  if (next === -1 || next > end) next = end;
  const segment = path.slice(pos, next);
  if (at.stems.size > 0) stems(at, segment, out);
  const literal = at.literal.get(segment);
  if (literal !== undefined) walk(literal, path, next + 1, end, trailingSlash, out);
  if (at.param !== undefined && segment !== "") walk(at.param, path, next + 1, end, trailingSlash, out);
}

/** `name.ext` (and `name.a.b`) is `name` to the origins above: the rules ending at child `name` apply. */
function stems(at: TrieNode, segment: string, out: number[]): void {
  for (let dot = segment.indexOf(".", 1); dot !== -1; dot = segment.indexOf(".", dot + 1)) {
    if (!at.stems.has(dot)) continue;
    const child = at.literal.get(segment.slice(0, dot));
    if (child === undefined) continue;
    for (const index of child.splat) out.push(index);
    for (const index of child.exact) out.push(index);
  }
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

interface Fallback {
  readonly index: number;
  readonly regexp: RegExp;
  /** The pattern's literal start and end, checked before the regular expression. */
  readonly prefix: string;
  readonly suffix: string;
  readonly suffixSlash: string;
}

/** The literal text before the first and after the last wildcard (`*` or `:name`). */
function literalEnds(pattern: string): { prefix: string; suffix: string; suffixSlash: string } {
  const parts = pattern.split(/\*|:[A-Za-z_][A-Za-z0-9_]*/);
  const suffix = parts.length > 1 ? (parts.at(-1) ?? "") : "";
  return { prefix: parts[0] ?? "", suffix, suffixSlash: `${suffix}/` };
}

function patternRegExp(pattern: string): RegExp {
  let source = "";
  for (const part of pattern.split(/(\*|:[A-Za-z_][A-Za-z0-9_]*)/)) {
    if (part === "*") source += ".*";
    else if (part.startsWith(":")) source += "[^/]+";
    else source += part.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}/?$`);
}
