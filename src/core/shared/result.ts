// The Result type shared by every parse* function: a value, or every issue found.

import { cut } from "./text.js";

/** One problem found while loading configuration: where, what was expected, and what was there. */
export interface PolicyIssue {
  /** Field path inside the document, e.g. `headers["X-Frame-Options"].action`; "" for the whole document. */
  readonly path: string;
  /** What was expected, with a likely fix where one exists. */
  readonly message: string;
  /** The offending value, rendered and cut short. */
  readonly received: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly PolicyIssue[] };

/** Longest rendering of a bad value in an issue. */
export const RECEIVED_MAX = 80;

/** True for a plain object (not null, not an array): a JSON object to read fields from. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON.stringify as it behaves: undefined for undefined, a function or a symbol (its lib type says string). */
export function jsonText(value: unknown): string | undefined {
  return JSON.stringify(value);
}

/** Render a value for an issue message: JSON where possible, whole (callers that redact cut it afterwards). */
export function renderValue(value: unknown): string {
  try {
    // Only what JSON cannot hold reaches String(): undefined, a function, a symbol.
    return jsonText(value) ?? String(value);
  } catch {
    // A BigInt, or a cycle: neither comes out of JSON or TOML, but nothing here may throw.
    return Object.prototype.toString.call(value);
  }
}

/** Render a bad value for an issue message: JSON where possible, cut to a readable length. */
export function renderReceived(value: unknown): string {
  return cut(renderValue(value), RECEIVED_MAX);
}

/** Join a base path and a key the way issue paths are written: `a.b`, `a["X-Y"]`, `a[2]`. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return base === "" ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

/** Prefix an issue path with where the document came from: `POLICY.hsts.maxAge`, `POLICY["X-A"]`, `rules[2]`. */
export function prefixPath(prefix: string, path: string): string {
  if (path === "") return prefix;
  return path.startsWith("[") ? `${prefix}${path}` : `${prefix}.${path}`;
}

/** The issues with their paths prefixed (prefixPath). */
export function prefixIssues(prefix: string, issues: readonly PolicyIssue[]): PolicyIssue[] {
  return issues.map((issue) => ({ ...issue, path: prefixPath(prefix, issue.path) }));
}

/** Levenshtein distance, for "did you mean" hints on short identifiers. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      const left = prev[j - 1] ?? 0;
      prev[j] = Math.min(up + 1, left + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

/** The closest candidate to `input` (case-insensitive), if it is close enough to be a likely typo. */
export function suggest(input: string, candidates: Iterable<string>): string | undefined {
  const needle = input.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    const score = editDistance(needle, candidate.toLowerCase());
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  const limit = Math.max(2, Math.floor(needle.length / 3));
  return bestScore <= limit ? best : undefined;
}

/** " (did you mean `x`?)" or "". */
export function didYouMean(input: string, candidates: Iterable<string>): string {
  const hit = suggest(input, candidates);
  return hit === undefined ? "" : ` (did you mean \`${hit}\`?)`;
}
