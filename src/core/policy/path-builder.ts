// One reading of a request path: the builder that decodes, splits, merges and folds it in one pass, with
// the switches that choose between the readings origins disagree on (canonical-path.ts enumerates them).

/** Work done, for tests that bound it: characters examined and strings built. */
export interface PathWork {
  chars: number;
  builds: number;
}

/** Which way to read each spelling origins disagree on. All false is the main reading. */
export interface ReadingSwitches {
  /** An encoded / or \ stays inside its segment (Express, Tomcat, Apache) instead of splitting it (nginx). */
  readonly keepEncoded: boolean;
  /** Non-UTF-8 escapes read byte by byte as Latin-1, overlong 2-byte forms as ASCII (legacy decoders). */
  readonly legacyBytes: boolean;
  /** A segment that is a dot segment only once `;params` or trailing dots go is a name, not a step up. */
  readonly dotNames: boolean;
}

/** What a reading met that another reading would read differently. */
export interface PathFeatures {
  encodedSeparator: boolean;
  nonUtf8: boolean;
  dotLike: boolean;
}

export type Built =
  { readonly ok: true; readonly path: string; readonly features: PathFeatures } | { readonly ok: false; readonly reason: string };

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const PERCENT = 0x25;
const SEMICOLON = 0x3b;
const DOT = 0x2e;
const SPACE = 0x20;

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

class Refusal extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "Refusal";
  }
}

/**
 * The long way, in one pass over the raw path: decode each run of escapes, split on / and \ (and, unless
 * `keepEncoded`, on decoded ones), drop ;params, trim trailing dots and spaces, resolve dot segments that
 * decoding or splitting revealed, merge empty segments, then fold case once. Plain characters are copied as
 * slices, not one by one.
 */
export class PathBuilder {
  private segments: string[] = [];
  private segment = "";
  /** The segment as written, params and trailing dots included: what an origin that does not merge sees. */
  private whole = "";
  private inParams = false;
  private trailingSlash = false;
  private readonly features: PathFeatures = { encodedSeparator: false, nonUtf8: false, dotLike: false };

  constructor(
    private readonly raw: string,
    private readonly foldCase: boolean,
    private readonly switches: ReadingSwitches,
    private readonly work: PathWork,
  ) {}

  build(): Built {
    this.work.builds += 1;
    try {
      if (this.raw.charCodeAt(0) !== SLASH && this.raw.charCodeAt(0) !== BACKSLASH) throw new Refusal("a path starting with /");
      this.walk();
      this.endSegment();
    } catch (error) {
      if (error instanceof Refusal) return { ok: false, reason: error.reason };
      throw error;
    }
    const joined = this.segments.length === 0 ? "/" : `/${this.segments.join("/")}${this.trailingSlash ? "/" : ""}`;
    return { ok: true, path: this.foldCase ? foldPathCase(joined, this.work) : joined, features: this.features };
  }

  private walk(): void {
    const raw = this.raw;
    let plain = 1;
    let i = 1;
    while (i < raw.length) {
      this.work.chars += 1;
      const c = raw.charCodeAt(i);
      if (c > 0x20 && c < 0x7f && c !== SLASH && c !== BACKSLASH && c !== PERCENT && c !== SEMICOLON) {
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
    this.bytes(bytes);
    return i;
  }

  /**
   * Decoded bytes: each valid UTF-8 sequence as its character; each byte of an invalid one (Latin-1, an
   * overlong form, a truncated sequence) kept as an escape, or read the legacy way.
   */
  private bytes(bytes: readonly number[]): void {
    let i = 0;
    while (i < bytes.length) {
      const b = bytes[i] ?? 0;
      const length = b < 0x80 ? 1 : utf8Length(bytes, i);
      if (length > 0) {
        this.char(length === 1 ? String.fromCharCode(b) : UTF8.decode(new Uint8Array(bytes.slice(i, i + length))), true);
        i += length;
        continue;
      }
      this.features.nonUtf8 = true;
      const next = bytes[i + 1] ?? 0;
      const overlong = (b === 0xc0 || b === 0xc1) && next >= 0x80 && next <= 0xbf;
      if (!this.switches.legacyBytes) {
        // Kept as an escape (lower-case hex): no pattern holds a %, so only wildcards match it.
        this.append(`%${b.toString(16).padStart(2, "0")}`);
      } else if (overlong) {
        // The decoders behind the old IIS traversal read C0 AF as "/".
        this.char(String.fromCharCode(((b & 1) << 6) | (next & 0x3f)), true);
        i++;
      } else {
        this.char(String.fromCharCode(b), true);
      }
      i++;
    }
  }

  private surrogate(i: number): number {
    const c = this.raw.charCodeAt(i);
    const next = this.raw.charCodeAt(i + 1);
    if (c >= 0xdc00 || !(next >= 0xdc00 && next <= 0xdfff)) throw new Refusal("an unpaired surrogate");
    this.text(this.raw.slice(i, i + 2));
    return i + 2;
  }

  /** Plain text: no separator, escape, ; or control character in it. */
  private text(text: string): void {
    if (text === "") return;
    this.whole += text;
    if (!this.inParams) this.segment += text;
  }

  private append(text: string): void {
    this.whole += text;
    if (!this.inParams) this.segment += text;
  }

  /** One character that needs a look: raw or decoded from an escape. */
  private char(ch: string, decoded: boolean): void {
    const c = ch.charCodeAt(0);
    // A C origin (and many file systems) ends the path at NUL: what follows would be read two ways.
    if (c === 0) throw new Refusal("a NUL character (%00), where C origins cut the path short");
    if (ch === "/" || ch === "\\") {
      if (!decoded) return this.endSegment();
      this.features.encodedSeparator = true;
      if (!this.switches.keepEncoded) return this.endSegment();
      return this.append(ch === "/" ? "%2f" : "%5c");
    }
    if (ch === ";") this.inParams = true;
    this.append(decoded && ch === "%" ? "%25" : ch);
  }

  /** Close the segment: trim trailing dots and spaces, resolve or keep a dot segment, drop an empty one. */
  private endSegment(): void {
    const { segment, whole } = this;
    this.segment = "";
    this.whole = "";
    this.inParams = false;
    let end = segment.length;
    while (end > 0 && (segment.charCodeAt(end - 1) === DOT || segment.charCodeAt(end - 1) === SPACE)) end--;
    this.work.chars += segment.length - end + 1;
    if (end > 0) return this.push(end === segment.length ? segment : segment.slice(0, end));
    if (segment === "") {
      // Empty, or only ;params: merged like //, as Tomcat drops the params and nginx merges slashes.
      this.trailingSlash = true;
      return;
    }
    // Only dots and spaces (or nothing) before any ;params. A plain . or .. (left by decoding or splitting)
    // is resolved by every origin; anything else is a name to some origins and a step to others.
    const plain = whole === "." || whole === "..";
    if (!plain) this.features.dotLike = true;
    if (!plain && this.switches.dotNames) return this.push(whole);
    // Tomcat steps up for `..;x`, Win32 for `..` followed by spaces; `...` stays where it is (Win32 drops the dots).
    if (segment.trimEnd() === "..") this.segments.pop();
    this.trailingSlash = true;
  }

  private push(name: string): void {
    this.segments.push(name);
    this.trailingSlash = false;
  }
}

/** The length of the valid UTF-8 sequence at `i` (strictly: no overlong form, no surrogate), or 0. */
function utf8Length(bytes: readonly number[], i: number): number {
  const b = bytes[i] ?? 0;
  const [length, low, high] =
    b >= 0xc2 && b <= 0xdf
      ? [2, 0x80, 0xbf]
      : b === 0xe0
        ? [3, 0xa0, 0xbf]
        : b === 0xed
          ? [3, 0x80, 0x9f]
          : b >= 0xe1 && b <= 0xef
            ? [3, 0x80, 0xbf]
            : b === 0xf0
              ? [4, 0x90, 0xbf]
              : b === 0xf4
                ? [4, 0x80, 0x8f]
                : b >= 0xf1 && b <= 0xf3
                  ? [4, 0x80, 0xbf]
                  : [0, 0, 0];
  if (length === 0) return 0;
  const second = bytes[i + 1] ?? 0;
  if (second < low || second > high) return 0;
  for (let k = 2; k < length; k++) {
    const c = bytes[i + k] ?? 0;
    if (c < 0x80 || c > 0xbf) return 0;
  }
  return length;
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
