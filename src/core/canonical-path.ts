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

// Decoded /, \ and % are marked with control characters while the path is taken apart: a real control
// character refuses the path, so a marker can never be mistaken for one.
const ENCODED_SLASH = "\u0001";
const ENCODED_BACKSLASH = "\u0002";
const ENCODED_PERCENT = "\u0003";

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The canonical form of a request path (the URL's pathname, still percent-encoded). `foldCase` folds
 * letters so /Admin and /admin are one page. A path already canonical is returned as is, after one scan
 * and without building a string. `work`, when given, counts characters examined (natively linear steps
 * such as split and join are charged their length) and strings built.
 */
export function canonicalPath(raw: string, foldCase: boolean, work?: PathWork): CanonicalPath {
  const tally = work ?? { chars: 0, builds: 0 };
  tally.chars += raw.length;
  if (isCanonical(raw, foldCase)) return { ok: true, path: raw, oneSegment: undefined };
  tally.builds += 1;
  const decoded = decode(raw, tally);
  if (!decoded.ok) return decoded;
  const split = decoded.text.replace(/[\u0001\u0002]/g, "/");
  tally.chars += decoded.text.length;
  const path = normalise(split, foldCase, tally);
  if (!path.ok) return path;
  if (split === decoded.text) return { ok: true, path: path.path, oneSegment: undefined };
  tally.builds += 1;
  const oneSegment = normalise(decoded.text, foldCase, tally);
  return oneSegment.ok ? { ok: true, path: path.path, oneSegment: oneSegment.path } : oneSegment;
}

/**
 * One scan: true when nothing would change. Any `%`, `\`, `;`, control, space or non-ASCII character,
 * an empty segment, a segment ending in `.` (dot segments and trailing dots) or, when folding, an upper-case
 * letter sends the path the long way.
 */
function isCanonical(raw: string, foldCase: boolean): boolean {
  if (raw.charCodeAt(0) !== SLASH) return false;
  let previous = SLASH;
  for (let i = 1; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === SLASH) {
      if (previous === SLASH || previous === DOT) return false;
    } else if (c <= 0x20 || c >= 0x7f || c === PERCENT || c === BACKSLASH || c === SEMICOLON || (foldCase && c >= 0x41 && c <= 0x5a)) {
      return false;
    }
    previous = c;
  }
  return previous !== DOT;
}

type Decoded = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly reason: string };

/** Decode every escape once, marking decoded /, \\ and %; refuse what no two origins read alike. */
function decode(raw: string, work: PathWork): Decoded {
  let text = "";
  let start = 0;
  let i = 0;
  while (i < raw.length) {
    work.chars += 1;
    const c = raw.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return refuse("a control character");
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = raw.charCodeAt(i + 1);
      if (c >= 0xdc00 || !(next >= 0xdc00 && next <= 0xdfff)) return refuse("an unpaired surrogate");
      i += 2;
      continue;
    }
    if (c !== PERCENT) {
      i++;
      continue;
    }
    text += raw.slice(start, i);
    // A run of escapes decodes together: a multi-byte character is spelled as several.
    const bytes: number[] = [];
    while (raw.charCodeAt(i) === PERCENT) {
      work.chars += 3;
      const high = hexValue(raw.charCodeAt(i + 1));
      const low = hexValue(raw.charCodeAt(i + 2));
      if (high < 0 || low < 0) return refuse("a % that does not start a two-digit hex escape");
      bytes.push(high * 16 + low);
      i += 3;
    }
    const run = decodeRun(bytes, work);
    if (!run.ok) return run;
    text += run.text;
    start = i;
  }
  text += raw.slice(start);
  return doubleEncoded(text, work) ? refuse("a double-encoded escape (%25 followed by two hex digits)") : { ok: true, text };
}

function decodeRun(bytes: readonly number[], work: PathWork): Decoded {
  let text: string;
  try {
    text = UTF8.decode(new Uint8Array(bytes));
  } catch {
    return refuse("percent-escapes that do not decode to UTF-8 (an overlong or truncated sequence)");
  }
  let marked = "";
  for (const ch of text) {
    work.chars += 1;
    const c = ch.charCodeAt(0);
    if (c < 0x20 || c === 0x7f) return refuse("an escape that decodes to a control character");
    marked += ch === "/" ? ENCODED_SLASH : ch === "\\" ? ENCODED_BACKSLASH : ch === "%" ? ENCODED_PERCENT : ch;
  }
  return { ok: true, text: marked };
}

/** A decoded % that, with what follows, spells another escape: an origin that decodes twice reads more. */
function doubleEncoded(text: string, work: PathWork): boolean {
  work.chars += text.length;
  for (let at = text.indexOf(ENCODED_PERCENT); at !== -1; at = text.indexOf(ENCODED_PERCENT, at + 1)) {
    if (hexValue(text.charCodeAt(at + 1)) >= 0 && hexValue(text.charCodeAt(at + 2)) >= 0) return true;
  }
  return false;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

type Normalised = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly reason: string };

/** Split on / and \\, drop ;params, refuse dot segments, trim trailing dots and spaces, merge empties, fold. */
function normalise(decoded: string, foldCase: boolean, work: PathWork): Normalised {
  work.chars += decoded.length;
  const parts = decoded.split(/[/\\]/);
  if (parts[0] !== "") return refuse("a path starting with /");
  const kept: string[] = [];
  let trailingSlash = false;
  for (let p = 1; p < parts.length; p++) {
    const segment = canonicalSegment(parts[p] ?? "", work);
    if (segment === undefined) return refuse("a . or .. segment (or one of only dots and spaces) that the URL parser did not resolve");
    trailingSlash = segment === "";
    if (segment !== "") kept.push(segment);
  }
  let path = `/${kept.join("/")}${trailingSlash && kept.length > 0 ? "/" : ""}`;
  if (path.length > 1) path = path.replaceAll(ENCODED_SLASH, "%2f").replaceAll(ENCODED_BACKSLASH, "%5c").replaceAll(ENCODED_PERCENT, "%25");
  work.chars += 4 * path.length;
  return { ok: true, path: foldCase ? foldPathCase(path, work) : path };
}

/**
 * One segment without its ;params and trailing dots and spaces; "" for an empty one (merged away);
 * undefined for a dot segment, which the caller refuses. A loop, not a regular expression: /[. ]+$/
 * backtracks in quadratic time over a long run of dots.
 */
function canonicalSegment(part: string, work: PathWork): string | undefined {
  const semicolon = part.indexOf(";");
  const segment = semicolon === -1 ? part : part.slice(0, semicolon);
  let end = segment.length;
  while (end > 0 && (segment.charCodeAt(end - 1) === DOT || segment.charCodeAt(end - 1) === 0x20)) end--;
  work.chars += part.length;
  if (end === 0) return segment === "" ? "" : undefined;
  return end === segment.length ? segment : segment.slice(0, end);
}

function refuse(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/**
 * Fold letter case so every spelling an origin compares case-insensitively becomes one: ASCII by
 * lower-casing, other characters one code point at a time (never by context, so σ and final ς fold alike).
 * Patterns are folded the same way when the policy compiles.
 */
export function foldPathCase(path: string, work?: PathWork): string {
  if (work !== undefined) work.chars += path.length;
  // eslint-disable-next-line no-control-regex -- the ASCII range, control characters included
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
