// Path patterns in the `_headers` convention (/embed/*, /users/:id), compiled once into an index so a
// request finds its rules without scanning them all.

/** Why a pattern is not valid, or undefined when it is. */
export function pathPatternProblem(pattern: string): string | undefined {
  if (!pattern.startsWith("/")) return "a path starting with / (e.g. /embed/* or /users/:id)";
  if (/[?#]/.test(pattern)) return "a path without a query or fragment (rules match the path only)";
  if (/\s/.test(pattern)) return "a path without whitespace";
  if (/\*\*/.test(pattern)) return "a single * (it already matches across slashes)";
  for (const segment of pattern.split("/").slice(1)) {
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

/**
 * The path as rules see it: percent-decoded segment by segment, except encoded `/` and `\`, which stay
 * encoded so a segment can never turn into two (`/embed%2F..%2Fadmin` is one segment, not `/admin`).
 */
export function rulePath(pathname: string): string {
  if (!pathname.includes("%")) return pathname;
  return pathname
    .split("/")
    .map((segment) => {
      try {
        return decodeURIComponent(segment.replace(/%(2f|5c)/gi, "%25$1"));
      } catch {
        return segment;
      }
    })
    .join("/");
}

interface TrieNode {
  readonly literal: Map<string, TrieNode>;
  param: TrieNode | undefined;
  /** Rules whose pattern ends at this node. */
  readonly exact: number[];
  /** Rules whose pattern ends with /* below this node: they match anything under it. */
  readonly splat: number[];
}

function node(): TrieNode {
  return { literal: new Map(), param: undefined, exact: [], splat: [] };
}

/** Compiled patterns: `match(path)` returns the indices of every matching pattern, ascending. */
export interface PathIndex {
  match(path: string): number[];
}

/**
 * Build the index. Segment patterns (literals, `:id`, a trailing `*`) go into a trie walked once per
 * request; patterns with `*` inside a segment (`/assets/*.js`) fall back to regular expressions.
 * A trailing slash on either side is ignored, except after `*`.
 */
export function compilePathIndex(patterns: readonly string[]): PathIndex {
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
  return {
    match(path: string): number[] {
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
    },
  };
}

/**
 * Walk the trie along the path's segments, from `pos` (just after a "/") to `end` (the path without a
 * trailing slash). A segment remains while pos <= end: "/" holds one empty segment, "/a/b" two.
 */
function walk(at: TrieNode, path: string, pos: number, end: number, trailingSlash: boolean, out: number[]): void {
  // A splat here matches whatever is left, as long as something follows the slash (or the path ends in one).
  if (at.splat.length > 0 && (pos <= end || trailingSlash)) for (const index of at.splat) out.push(index);
  if (pos > end) {
    for (const index of at.exact) out.push(index);
    return;
  }
  let next = path.indexOf("/", pos);
  if (next === -1 || next > end) next = end;
  const segment = path.slice(pos, next);
  const literal = at.literal.get(segment);
  if (literal !== undefined) walk(literal, path, next + 1, end, trailingSlash, out);
  if (at.param !== undefined && segment !== "") walk(at.param, path, next + 1, end, trailingSlash, out);
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
