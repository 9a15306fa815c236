// A tag token as the tokenizer hands it to the tree model: its name, where the name ends in the body
// (where a nonce goes), and only the attributes some rule reads: rel and as (stamped links), type (input
// hidden), encoding (annotation-xml), color/face/size (font), and a formatting element's whole set.

import { OTHER } from "./char-ref.js";

/** Longest tag name kept; a longer one is compared as uncertain (no rule names one). */
export const MAX_NAME = 64;
/** Largest attribute set kept for comparing formatting elements; a larger one compares as uncertain. */
export const MAX_SIGNATURE = 1024;

export const REL_STYLESHEET = 1;
export const REL_PRELOAD = 2;
export const REL_MODULEPRELOAD = 4;

/** Which attributes a tag name makes worth reading. */
export const WANT_LINK = 1;
export const WANT_TYPE = 2;
export const WANT_ENCODING = 4;
export const WANT_FONT = 8;
export const WANT_SIGNATURE = 16;

const WANTS = new Map<string, number>([
  ["link", WANT_LINK],
  ["input", WANT_TYPE],
  ["annotation-xml", WANT_ENCODING],
  ["font", WANT_FONT | WANT_SIGNATURE],
  ...["a", "b", "big", "code", "em", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"].map((n) => [n, WANT_SIGNATURE] as const),
]);

/** What to read of a tag's attributes. */
export function wantsOf(name: string): number {
  return WANTS.get(name) ?? 0;
}

// Where the decoded characters of the current attribute's value go.
export const SINK_NONE = 0;
export const SINK_REL = 1;
export const SINK_AS = 2;
export const SINK_TYPE = 3;
export const SINK_ENCODING = 4;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d;
}

/** ASCII-lowercase a code point; OTHER and non-ASCII stay what they are. */
function lower(code: number): number {
  return code >= 0x41 && code <= 0x5a ? code + 0x20 : code;
}

/** The tag being read: one object, reset for every tag (the tree model copies what it keeps). */
export class TagToken {
  end = false;
  name = "";
  /** The name holds NUL or non-ASCII bytes, or is longer than MAX_NAME: it equals another name only in ways the bytes cannot tell. */
  fuzzy = false;
  id = 0;
  selfClosing = false;
  /** Absolute offsets of the "<" and of the byte after the name. */
  start = 0;
  nameEnd = 0;
  wants = 0;
  rel = 0;
  /** as="…", trimmed and lower-cased when it is short ASCII ("" when present and empty); null when absent. */
  as: string | null = null;
  typeHidden = false;
  encodingHtml = false;
  colorFaceSize = false;
  /** A formatting element's attributes in a form two tokens compare by; null when too large to keep. */
  signature: string | null = "";
  /** The signature holds bytes whose decoding depends on the encoding or on character references. */
  signatureFuzzy = false;

  // The attribute being read.
  private seen = 0;
  private sink = SINK_NONE;
  private word = "";
  private wordBad = false;
  private spaces = 0;
  private pairs: { name: string; text: string }[] | null = null;
  private sigSize = 0;
  private sigName = "";
  private sigValue = "";

  /** Reset for a new tag at absolute offset `start`. */
  reset(end: boolean, start: number): void {
    this.end = end;
    this.start = start;
    this.name = "";
    this.fuzzy = false;
    this.id = 0;
    this.selfClosing = false;
    this.wants = 0;
    this.rel = 0;
    this.as = null;
    this.typeHidden = false;
    this.encodingHtml = false;
    this.colorFaceSize = false;
    this.signature = "";
    this.signatureFuzzy = false;
    this.seen = 0;
    this.sink = SINK_NONE;
    this.pairs = null;
    this.sigSize = 0;
  }

  /** An attribute's name is complete: decide where its value goes (the first of duplicate names wins). */
  attribute(name: string, fuzzy: boolean): number {
    this.sink = SINK_NONE;
    if ((this.wants & WANT_SIGNATURE) !== 0) {
      if (fuzzy) this.signatureFuzzy = true;
      this.sigName = name;
      this.sigValue = "";
    }
    const bit = name === "rel" ? 1 : name === "as" ? 2 : name === "type" ? 4 : name === "encoding" ? 8 : 0;
    if (bit === 0 || (this.seen & bit) !== 0) {
      if ((this.wants & WANT_FONT) !== 0 && (name === "color" || name === "face" || name === "size")) this.colorFaceSize = true;
      return this.sink;
    }
    this.seen |= bit;
    if (bit === 1 && (this.wants & WANT_LINK) !== 0) this.sink = SINK_REL;
    else if (bit === 2 && (this.wants & WANT_LINK) !== 0) this.sink = SINK_AS;
    else if (bit === 4 && (this.wants & WANT_TYPE) !== 0) this.sink = SINK_TYPE;
    else if (bit === 8 && (this.wants & WANT_ENCODING) !== 0) this.sink = SINK_ENCODING;
    this.word = "";
    this.wordBad = false;
    this.spaces = 0;
    return this.sink;
  }

  /** A raw value byte, for the signature (decoding happens where a sink needs it). */
  raw(byte: number): void {
    if (byte === 0x26 || byte === 0x0d || byte === 0 || byte >= 0x80) this.signatureFuzzy = true;
    if (this.sigValue.length <= MAX_SIGNATURE) this.sigValue += String.fromCharCode(byte);
  }

  /** A decoded character of the value (a code point, or OTHER). */
  decoded(code: number): void {
    if (this.sink === SINK_REL) {
      if (isSpace(code)) this.endWord();
      else this.grow(code, 16);
    } else if (this.sink === SINK_AS) {
      // Trimmed: leading spaces are dropped, inner and trailing ones held until a character follows.
      if (isSpace(code)) {
        if (this.word !== "" || this.wordBad) this.spaces++;
        return;
      }
      for (; this.spaces > 0; this.spaces--) this.grow(0x20, 16);
      this.grow(code, 16);
    } else if (this.sink !== SINK_NONE) {
      this.grow(code, 24);
    }
  }

  /** The value ended: settle what the sink read. */
  endValue(): void {
    if ((this.wants & WANT_SIGNATURE) !== 0 && this.sigSize <= MAX_SIGNATURE) {
      // Length-prefixed, so no byte inside a name or value can make two different sets print the same.
      const text = `${this.sigName.length}:${this.sigName}${this.sigValue.length}:${this.sigValue}`;
      this.sigSize += text.length;
      (this.pairs ??= []).push({ name: this.sigName, text });
    }
    const value = this.wordBad ? null : this.word;
    if (this.sink === SINK_REL) this.endWord();
    else if (this.sink === SINK_AS) this.as = value ?? "\u0000";
    else if (this.sink === SINK_TYPE) this.typeHidden = value === "hidden";
    else if (this.sink === SINK_ENCODING) this.encodingHtml = value === "text/html" || value === "application/xhtml+xml";
    this.sink = SINK_NONE;
  }

  /** The tag is complete: settle the signature. */
  complete(): void {
    if ((this.wants & WANT_SIGNATURE) === 0) return;
    if (this.sigSize > MAX_SIGNATURE) {
      this.signature = null;
      return;
    }
    const pairs = this.pairs ?? [];
    // Most formatting tags have no attributes or one: no set to sort.
    if (pairs.length <= 1) {
      this.signature = pairs[0]?.text ?? "";
      return;
    }
    let texts = pairs.map((pair) => pair.text);
    if (!this.signatureFuzzy) {
      // Names are plain ASCII here, so duplicates are exactly equal bytes: keep the first, and ignore order,
      // as the comparison of attribute sets does. A fuzzy set is kept as written: equal bytes still mean
      // equal attributes, and anything else is uncertain.
      const seen = new Set<string>();
      texts = pairs
        .filter((pair) => {
          if (seen.has(pair.name)) return false;
          seen.add(pair.name);
          return true;
        })
        .map((pair) => pair.text);
      texts.sort();
    }
    this.signature = texts.join("");
  }

  private grow(code: number, max: number): void {
    if (code === OTHER || code >= 0x80 || this.word.length >= max) this.wordBad = true;
    else this.word += String.fromCharCode(lower(code));
  }

  private endWord(): void {
    if (!this.wordBad) {
      if (this.word === "stylesheet") this.rel |= REL_STYLESHEET;
      else if (this.word === "preload") this.rel |= REL_PRELOAD;
      else if (this.word === "modulepreload") this.rel |= REL_MODULEPRELOAD;
    }
    this.word = "";
    this.wordBad = false;
  }
}
