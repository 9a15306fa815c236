// Request paths as origin servers route them: one canonical spelling per page, so that a rule written for a
// path holds for every spelling an origin serves as that page, and a spelling origins disagree on is refused.
//
// Why these steps (docs/policy-format.md has the table, per origin):
// - percent-escapes decoded once (nginx, Apache, Tomcat, IIS match on the decoded path);
// - `\` read as `/` (IIS, and the URL parser for http(s) URLs);
// - `;params` dropped from each segment (Tomcat and Spring map /a;jsessionid=1/b to /a/b);
// - empty segments merged (nginx merge_slashes, Apache MergeSlashes, Tomcat);
// - trailing dots and spaces dropped from each segment (Windows, so IIS, serves /admin./ as /admin/);
// - case folded unless the policy says its origin is case-sensitive (IIS, Express's default routing).
// Refused, because origins read them differently or only an attack sends them: an invalid or double-encoded
// escape (IIS's %u, %2561), escapes that are not UTF-8 (overlong /), control characters, and a `.` or `..`
// segment the URL parser left (it resolves plain ones, so only %2F..%2F, ..;/ and the like remain).
// An encoded `/` or `\` is one more disagreement (nginx splits the segment, Express and Tomcat do not), so
// the caller matches both readings and refuses when they differ: `oneSegment` is the second reading.

/** A path in canonical form, or why it cannot be given one. */
export type CanonicalPath =
  | {
      readonly ok: true;
      /** The canonical path: what rules match. */
      readonly path: string;
      /** With an encoded / or \ kept inside its segment (as %2f / %5c): the other reading; else undefined. */
      readonly oneSegment: string | undefined;
    }
  | { readonly ok: false; readonly reason: string };

/** Work done, for tests that bound it: characters examined and strings built. */
export interface PathWork {
  chars: number;
  builds: number;
}

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const PERCENT = 0x25;
const SEMICOLON = 0x3b;
const DOT = 0x2e;
const SPACE = 0x20;

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** What one scan found: nothing to change, only upper-case ASCII letters to fold, or more. */
const enum Scan {
  Canonical,
  UpperCaseOnly,
  Other,
}

/**
 * The canonical form of a request path (the URL's pathname, still percent-encoded). `foldCase` folds
 * letters so /Admin and /admin are one page. A path already canonical is returned as is, after one scan
 * and without building a string; one that only needs lower-casing costs one more native pass. `work`,
 * when given, counts characters examined and strings built.
 */
export function canonicalPath(raw: string, foldCase: boolean, work?: PathWork): CanonicalPath {
  const tally = work ?? { chars: 0, builds: 0 };
  tally.chars += raw.length;
  const scan = scanPath(raw, foldCase);
  if (scan === Scan.Canonical) return { ok: true, path: raw, oneSegment: undefined };
  tally.builds += 1;
  if (scan === Scan.UpperCaseOnly) {
    tally.chars += raw.length;
    return { ok: true, path: raw.toLowerCase(), oneSegment: undefined };
  }
  const split = new PathBuilder(raw, foldCase, false, tally).build();
  if (!split.ok || !split.encodedSeparator) return split.ok ? { ok: true, path: split.path, oneSegment: undefined } : split;
  tally.builds += 1;
  const kept = new PathBuilder(raw, foldCase, true, tally).build();
  return kept.ok ? { ok: true, path: split.path, oneSegment: kept.path } : kept;
}

/**
 * One scan for the fast path. Any `%`, `\`, `;`, control, space or non-ASCII character, an empty segment
 * or a segment ending in `.` (dot segments and trailing dots) needs the builder; upper-case letters
 * alone (when folding) only need lower-casing.
 */
function scanPath(raw: string, foldCase: boolean): Scan {
  if (raw.charCodeAt(0) !== SLASH) return Scan.Other;
  let previous = SLASH;
  let upper = false;
  for (let i = 1; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === SLASH) {
      if (previous === SLASH || previous === DOT) return Scan.Other;
    } else if (c <= 0x20 || c >= 0x7f || c === PERCENT || c === BACKSLASH || c === SEMICOLON) {
      return Scan.Other;
    } else if (foldCase && c >= 0x41 && c <= 0x5a) {
      upper = true;
    }
    previous = c;
  }
  if (previous === DOT) return Scan.Other;
  return upper ? Scan.UpperCaseOnly : Scan.Canonical;
}

type Built =
  { readonly ok: true; readonly path: string; readonly encodedSeparator: boolean } | { readonly ok: false; readonly reason: string };

class Refusal extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "Refusal";
  }
}

/**
 * The long way, in one pass over the raw path: decode each run of escapes, split on / and \ (and, unless
 * `keepEncoded`, on decoded ones), drop ;params, trim trailing dots and spaces, refuse dot segments, merge
 * empty segments, then fold case once. Plain characters are copied as slices, not one by one.
 */
class PathBuilder {
  private out = "";
  private segment = "";
  private inParams = false;
  private trailingSlash = false;
  private encodedSeparator = false;
  /** After a decoded %: how many hex digits have followed it (two would spell another escape). */
  private afterPercent = -1;

  constructor(
    private readonly raw: string,
    private readonly foldCase: boolean,
    private readonly keepEncoded: boolean,
    private readonly work: PathWork,
  ) {}

  build(): Built {
    try {
      if (this.raw.charCodeAt(0) !== SLASH && this.raw.charCodeAt(0) !== BACKSLASH) throw new Refusal("a path starting with /");
      this.walk();
      this.endSegment();
    } catch (error) {
      if (error instanceof Refusal) return { ok: false, reason: error.reason };
      throw error;
    }
    const path = this.out === "" ? "/" : this.trailingSlash ? `${this.out}/` : this.out;
    return { ok: true, path: this.foldCase ? foldPathCase(path, this.work) : path, encodedSeparator: this.encodedSeparator };
  }

  private walk(): void {
    const raw = this.raw;
    let plain = 1;
    let i = 1;
    while (i < raw.length) {
      this.work.chars += 1;
      const c = raw.charCodeAt(i);
      if (c > 0x20 && c < 0x7f && c !== SLASH && c !== BACKSLASH && c !== PERCENT && c !== SEMICOLON && this.afterPercent < 0) {
        i++;
        continue;
      }
      this.text(raw.slice(plain, i));
      if (c === PERCENT) i = this.escapes(i);
      else if (c >= 0xd800 && c <= 0xdfff) i = this.surrogate(i);
      else {
        this.char(raw[i] ?? "", false);
        i++;
      }
      plain = i;
    }
    this.text(raw.slice(plain));
  }

  /** Decode the run of escapes at `i`; returns the index after it. */
  private escapes(start: number): number {
    const raw = this.raw;
    const bytes: number[] = [];
    let i = start;
    while (raw.charCodeAt(i) === PERCENT) {
      this.work.chars += 3;
      const high = hexValue(raw.charCodeAt(i + 1));
      const low = hexValue(raw.charCodeAt(i + 2));
      if (high < 0 || low < 0) throw new Refusal("a % that does not start a two-digit hex escape");
      bytes.push(high * 16 + low);
      i += 3;
    }
    for (const ch of decodeUtf8(bytes)) this.char(ch, true);
    return i;
  }

  private surrogate(i: number): number {
    const c = this.raw.charCodeAt(i);
    const next = this.raw.charCodeAt(i + 1);
    if (c >= 0xdc00 || !(next >= 0xdc00 && next <= 0xdfff)) throw new Refusal("an unpaired surrogate");
    this.checkDoubleEncoding(c, false);
    this.text(this.raw.slice(i, i + 2));
    return i + 2;
  }

  /** Plain text: no separator, escape, ; or control character in it. */
  private text(text: string): void {
    if (text !== "" && !this.inParams) this.segment += text;
  }

  /** One character that needs a look: raw or decoded from an escape. */
  private char(ch: string, decoded: boolean): void {
    const c = ch.charCodeAt(0);
    if (c < 0x20 || c === 0x7f) throw new Refusal(decoded ? "an escape that decodes to a control character" : "a control character");
    this.checkDoubleEncoding(c, decoded);
    if (ch === "/" || ch === "\\") {
      if (!decoded) return this.endSegment();
      this.encodedSeparator = true;
      if (!this.keepEncoded) return this.endSegment();
      if (!this.inParams) this.segment += ch === "/" ? "%2f" : "%5c";
      return;
    }
    if (ch === ";") this.inParams = true;
    if (!this.inParams) this.segment += decoded && ch === "%" ? "%25" : ch;
  }

  /** A decoded % followed by two hex digits spells another escape: an origin that decodes twice reads more. */
  private checkDoubleEncoding(c: number, decoded: boolean): void {
    if (this.afterPercent >= 0) {
      this.afterPercent = hexValue(c) >= 0 ? this.afterPercent + 1 : -1;
      if (this.afterPercent === 2) throw new Refusal("a double-encoded escape (%25 followed by two hex digits)");
    }
    if (decoded && c === PERCENT) this.afterPercent = 0;
  }

  /** Close the segment: trim trailing dots and spaces, refuse a dot segment, drop an empty one. */
  private endSegment(): void {
    const segment = this.segment;
    let end = segment.length;
    while (end > 0 && (segment.charCodeAt(end - 1) === DOT || segment.charCodeAt(end - 1) === SPACE)) end--;
    this.work.chars += segment.length - end + 1;
    if (end === 0 && segment !== "")
      throw new Refusal("a . or .. segment (or one of only dots and spaces) that the URL parser did not resolve");
    this.trailingSlash = end === 0;
    if (end > 0) this.out += `/${end === segment.length ? segment : segment.slice(0, end)}`;
    this.segment = "";
    this.inParams = false;
  }
}

/** Bytes as UTF-8, strictly (no overlong form, no surrogate); ASCII, the common case, without a decoder. */
function decodeUtf8(bytes: readonly number[]): string {
  if (bytes.every((b) => b < 0x80)) {
    let text = "";
    for (const b of bytes) text += String.fromCharCode(b);
    return text;
  }
  try {
    return UTF8.decode(new Uint8Array(bytes));
  } catch {
    throw new Refusal("percent-escapes that do not decode to UTF-8 (an overlong or truncated sequence)");
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/**
 * Fold letter case so every spelling an origin compares case-insensitively becomes one: ASCII by
 * lower-casing, other characters one code point at a time (never by context, so σ and final ς fold alike).
 * Patterns are folded the same way when the policy compiles.
 */
export function foldPathCase(path: string, work?: PathWork): string {
  if (work !== undefined) work.chars += path.length;
  if (/^[\u0000-\u007f]*$/.test(path)) return path.toLowerCase();
  let out = "";
  for (const ch of path) out += ch.charCodeAt(0) < 0x80 ? ch.toLowerCase() : foldCodePoint(ch);
  return out;
}

/**
 * One character's fold: lower(upper(c)) repeated until it stops changing, so that ς, σ and Σ, or K (the
 * Kelvin sign) and k, meet, and a second fold changes nothing. Coarser than any one origin's comparison,
 * which only ever merges spellings: a rule then covers more spellings, never fewer.
 */
export function foldCodePoint(ch: string): string {
  let folded = ch;
  for (let round = 0; round < 4; round++) {
    let next = "";
    for (const c of folded) next += c.toUpperCase().toLowerCase();
    if (next === folded) return folded;
    folded = next;
  }
  return folded;
}
