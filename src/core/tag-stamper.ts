// Blanket-mode stamping: give every script, style, stylesheet and script/style preload start tag this
// response's nonce, as the bytes stream by. A small HTML tokenizer of our own, not HTMLRewriter: lol-html
// runs in strict mode in workerd and aborts mid-stream on markup it finds ambiguous (`<select><style>`),
// which cuts the page off after its headers have gone out. This scanner cannot abort: it only ever
// finds start tags and skips comments and raw text, and passes every other byte through as it came.

import { transformStream, type ChunkTransformer } from "./chunk-transform.js";

/** What to stamp. */
export interface StampTargets {
  readonly scripts: boolean;
  readonly styles: boolean;
}

const LT = 0x3c; // <
const GT = 0x3e; // >
const SLASH = 0x2f; // /
const BANG = 0x21; // !
const QUESTION = 0x3f; // ?
const DASH = 0x2d; // -
const EQUALS = 0x3d; // =
const DQUOTE = 0x22;
const SQUOTE = 0x27;

/** A start tag longer than this is passed through unstamped rather than held back. */
export const MAX_TAG_BYTES = 64 * 1024;

/** Elements whose content is text up to their end tag (HTML §13.2.5.2 RAWTEXT/RCDATA/script data). */
const RAW_TEXT = new Set(["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript"]);

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0c || byte === 0x0d;
}

function isLetter(byte: number | undefined): boolean {
  return byte !== undefined && ((byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a));
}

function lower(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte;
}

/** Bytes as a lower-case string: names and the few values read (rel, as), all short. */
function ascii(bytes: Uint8Array, from: number, to: number): string {
  let out = "";
  for (let i = from; i < to; i++) out += String.fromCharCode(lower(bytes[i] ?? 0));
  return out;
}

/** Tags whose attributes are read: the stamped ones, and font (in foreign content it may break out). */
const READS_ATTRIBUTES = new Set(["script", "style", "link", "font"]);

interface Attribute {
  readonly name: string;
  /** Where the attribute starts (its name) and ends (after its value), for removing it. */
  readonly start: number;
  readonly end: number;
  readonly value: string;
}

interface StartTag {
  readonly name: string;
  readonly nameEnd: number;
  /** Index just past the closing `>`. */
  readonly end: number;
  readonly attributes: readonly Attribute[];
}

/**
 * Tokenize the start tag at `at` (input[at] is `<`, input[at + 1] a letter) as HTML does (§13.2.5.8 on):
 * a quote only opens a value right after `=`. Undefined when the tag does not end within the input.
 */
function readStartTag(input: Uint8Array, at: number): StartTag | undefined {
  let i = at + 1;
  while (i < input.length && !isSpace(input[i]) && input[i] !== SLASH && input[i] !== GT) i++;
  const name = i - at - 1 <= 16 ? ascii(input, at + 1, i) : "";
  const nameEnd = i;
  const attributes: Attribute[] = [];
  // Most tags are neither stamped nor inspected: find their end without building their attributes.
  const keep = READS_ATTRIBUTES.has(name);
  for (;;) {
    while (i < input.length && (isSpace(input[i]) || input[i] === SLASH)) i++;
    if (i >= input.length) return undefined;
    if (input[i] === GT) return { name, nameEnd, end: i + 1, attributes };
    const start = i;
    // The first character of a name may be "=" (it is part of the name then, §13.2.5.32).
    i++;
    while (i < input.length && !isSpace(input[i]) && input[i] !== SLASH && input[i] !== GT && input[i] !== EQUALS) i++;
    const attrName = keep ? ascii(input, start, i) : "";
    let j = i;
    while (j < input.length && isSpace(input[j])) j++;
    if (j >= input.length) return undefined;
    if (input[j] !== EQUALS) {
      if (keep) attributes.push({ name: attrName, start, end: i, value: "" });
      continue;
    }
    j++;
    while (j < input.length && isSpace(input[j])) j++;
    if (j >= input.length) return undefined;
    const quote = input[j];
    let valueStart: number;
    let valueEnd: number;
    if (quote === DQUOTE || quote === SQUOTE) {
      valueStart = j + 1;
      valueEnd = input.indexOf(quote, valueStart);
      if (valueEnd === -1) return undefined;
      i = valueEnd + 1;
    } else {
      valueStart = j;
      valueEnd = j;
      while (valueEnd < input.length && !isSpace(input[valueEnd]) && input[valueEnd] !== GT) valueEnd++;
      if (valueEnd >= input.length) return undefined;
      i = valueEnd;
    }
    if (keep) attributes.push({ name: attrName, start, end: i, value: ascii(input, valueStart, valueEnd) });
  }
}

/** Whether a start tag gets the nonce: scripts, styles, stylesheets, and preloads of either. */
function wantsNonce(tag: StartTag, targets: StampTargets): boolean {
  if (tag.name === "script") return targets.scripts;
  if (tag.name === "style") return targets.styles;
  if (tag.name !== "link") return false;
  const rel = ` ${tag.attributes.find((a) => a.name === "rel")?.value.split(/[\t\n\f\r ]+/).join(" ") ?? ""} `;
  const as = tag.attributes.find((a) => a.name === "as")?.value.trim() ?? "";
  if (rel.includes(" stylesheet ")) return targets.styles;
  if (rel.includes(" modulepreload ")) return targets.scripts && (as === "" || as === "script");
  if (rel.includes(" preload ")) return (targets.scripts && as === "script") || (targets.styles && as === "style");
  return false;
}

/** The tag's bytes with ` nonce="…"` right after its name, and any nonce attribute it had removed. */
function stampedTag(input: Uint8Array, at: number, tag: StartTag, nonceAttribute: Uint8Array): Uint8Array {
  const kept: [number, number][] = [];
  let from = tag.nameEnd;
  for (const attribute of tag.attributes) {
    if (attribute.name !== "nonce") continue;
    kept.push([from, attribute.start]);
    from = attribute.end;
  }
  kept.push([from, tag.end]);
  const size = tag.nameEnd - at + nonceAttribute.length + kept.reduce((n, [a, b]) => n + b - a, 0);
  const out = new Uint8Array(size);
  out.set(input.subarray(at, tag.nameEnd), 0);
  let offset = tag.nameEnd - at;
  out.set(nonceAttribute, offset);
  offset += nonceAttribute.length;
  for (const [a, b] of kept) {
    out.set(input.subarray(a, b), offset);
    offset += b - a;
  }
  return out;
}

/**
 * Where the scanner is. `foreign` is the stack of open <svg> and <math> elements: inside them script and
 * style are elements like any other (their content is markup, not raw text), though an SVG script runs.
 */
type Foreign = readonly string[];
type State =
  | { readonly kind: "data"; readonly foreign: Foreign }
  | { readonly kind: "comment"; readonly foreign: Foreign }
  | { readonly kind: "cdata"; readonly foreign: Foreign }
  | { readonly kind: "raw"; readonly name: string; readonly foreign: Foreign; readonly escape?: ScriptEscape }
  | { readonly kind: "plaintext"; readonly foreign: Foreign };

/** Where script text is in HTML's escape states (§13.2.5.15–27): plain, `<!--`-escaped, or double-escaped. */
type ScriptEscape = 0 | 1 | 2;

const NONE: Foreign = [];
const DATA: State = { kind: "data", foreign: NONE };
const FOREIGN_ROOTS = new Set(["svg", "math"]);
/** HTML start tags that end foreign content (§13.2.6.5, "any other start tag" breakout list). */
const BREAKOUT = new Set(
  "b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u ul var".split(" "),
);
/** Elements inside which HTML rules apply again (HTML and MathML text integration points, §13.2.6.3). */
const INTEGRATION: Readonly<Record<string, ReadonlySet<string>>> = {
  svg: new Set(["foreignobject", "desc", "title"]),
  math: new Set(["mi", "mo", "mn", "ms", "mtext"]),
};


/** The foreign stack after a start tag, and whether HTML rules (raw text) apply to that tag. */
function enter(foreign: Foreign, tag: StartTag, selfClosing: boolean): { foreign: Foreign; html: boolean } {
  const top = foreign.at(-1);
  if (top === "svg" || top === "math") {
    const font = tag.name === "font" && tag.attributes.some((a) => a.name === "color" || a.name === "face" || a.name === "size");
    if (BREAKOUT.has(tag.name) || font) return { foreign: NONE, html: true };
    if (selfClosing) return { foreign, html: false };
    if (FOREIGN_ROOTS.has(tag.name)) return { foreign: [...foreign, tag.name], html: false };
    if (INTEGRATION[top]?.has(tag.name) === true) return { foreign: [...foreign, `html:${tag.name}`], html: false };
    return { foreign, html: false };
  }
  if (FOREIGN_ROOTS.has(tag.name) && !selfClosing) return { foreign: [...foreign, tag.name], html: false };
  return { foreign, html: true };
}

/**
 * Find `</name` followed by a tag-ending byte, case-insensitively: its index, or where a match might start
 * but is cut off by the end of the input (`partial`), or neither.
 */
function findEndTag(input: Uint8Array, from: number, name: string): { index: number; partial: boolean } | undefined {
  let at = input.indexOf(LT, from);
  while (at !== -1) {
    if (at + 2 + name.length >= input.length) return { index: at, partial: true };
    if (input[at + 1] === SLASH) {
      let match = true;
      for (let k = 0; k < name.length; k++) {
        if (lower(input[at + 2 + k] ?? 0) !== name.charCodeAt(k)) {
          match = false;
          break;
        }
      }
      const after = input[at + 2 + name.length];
      if (match && (isSpace(after) || after === SLASH || after === GT)) return { index: at, partial: false };
    }
    at = input.indexOf(LT, at + 1);
  }
  return undefined;
}


const SCRIPT = [0x73, 0x63, 0x72, 0x69, 0x70, 0x74]; // "script"

/** True when `script` (any case) followed by a tag-ending byte starts at `at`; undefined when cut off. */
function scriptNameAt(input: Uint8Array, at: number): boolean | undefined {
  if (at + SCRIPT.length >= input.length) return undefined;
  for (let k = 0; k < SCRIPT.length; k++) if (lower(input[at + k] ?? 0) !== SCRIPT[k]) return false;
  const after = input[at + SCRIPT.length];
  return isSpace(after) || after === SLASH || after === GT;
}

/**
 * Find where a script's text ends, following the escape states browsers use: after `<!--`, a nested
 * `<script>` makes the next `</script>` part of the text, not its end, until `-->`. Returns the index of
 * the real `</script`, or where a decision is cut off by the end of the input, or that the text runs on.
 */
function findScriptEnd(
  input: Uint8Array,
  from: number,
  escape: ScriptEscape,
): { kind: "end" | "partial"; index: number; escape: ScriptEscape } | { kind: "more"; escape: ScriptEscape } {
  let state = escape;
  let i = from;
  while (i < input.length) {
    const lt = input.indexOf(LT, i);
    const dash = state === 0 ? -1 : input.indexOf(DASH, i);
    if (lt === -1 && dash === -1) return { kind: "more", escape: state };
    const at = dash !== -1 && (lt === -1 || dash < lt) ? dash : lt;
    if (at + 3 >= input.length) return { kind: "partial", index: at, escape: state };
    if (input[at] === DASH) {
      if (input[at + 1] === DASH && input[at + 2] === GT) {
        state = 0;
        i = at + 3;
      } else i = at + 1;
      continue;
    }
    const next = input[at + 1];
    if (state === 0 && next === BANG && input[at + 2] === DASH && input[at + 3] === DASH) {
      state = 1;
      // From the second dash, so "<!-->" and "<!--->" close again at once, as they do in a browser.
      i = at + 2;
      continue;
    }
    if (next === SLASH) {
      const named = scriptNameAt(input, at + 2);
      if (named === undefined) return { kind: "partial", index: at, escape: state };
      if (named && state !== 2) return { kind: "end", index: at, escape: state };
      if (named) {
        state = 1;
        i = at + 2 + SCRIPT.length;
        continue;
      }
    } else if (state === 1) {
      const named = scriptNameAt(input, at + 1);
      if (named === undefined) return { kind: "partial", index: at, escape: state };
      if (named) {
        state = 2;
        i = at + 1 + SCRIPT.length;
        continue;
      }
    }
    i = at + 1;
  }
  return { kind: "more", escape: state };
}

const CDATA = [0x3c, 0x21, 0x5b, 0x43, 0x44, 0x41, 0x54, 0x41, 0x5b]; // "<![CDATA["

function startsWith(input: Uint8Array, at: number, bytes: readonly number[]): boolean {
  if (at + bytes.length > input.length) return false;
  return bytes.every((byte, k) => input[at + k] === byte);
}

/** True when the input ends inside what could still become `bytes` at `at`. */
function isPrefixOf(input: Uint8Array, at: number, bytes: readonly number[]): boolean {
  for (let k = 0; at + k < input.length && k < bytes.length; k++) if (input[at + k] !== bytes[k]) return false;
  return at + bytes.length > input.length;
}

/**
 * Where a comment ends: just past "-->" or "--!>" (both close a comment, §13.2.5.50–52); or where a
 * possible end is cut off by the end of the input; or that it runs on.
 */
function commentEnd(input: Uint8Array, from: number): { kind: "end" | "partial"; index: number } | { kind: "more" } {
  let at = input.indexOf(DASH, from);
  while (at !== -1) {
    if (at + 2 >= input.length) return { kind: "partial", index: at };
    if (input[at + 1] === DASH) {
      if (input[at + 2] === GT) return { kind: "end", index: at + 3 };
      if (input[at + 2] === BANG) {
        if (at + 3 >= input.length) return { kind: "partial", index: at };
        if (input[at + 3] === GT) return { kind: "end", index: at + 4 };
      }
    }
    at = input.indexOf(DASH, at + 1);
  }
  return { kind: "more" };
}

/**
 * One step of the scanner over `input`: the bytes safe to send (in pieces) and the tail to hold back
 * until more arrives. Pure, so it is tested in Node over any chunking.
 */
export function scanTags(
  input: Uint8Array,
  state: State,
  targets: StampTargets,
  nonceAttribute: Uint8Array,
  final: boolean,
): { pieces: Uint8Array[]; rest: Uint8Array; state: State } {
  const pieces: Uint8Array[] = [];
  let sent = 0;
  let i = 0;
  let current = state;
  const hold = (from: number) => ({ pieces: flush(from), rest: input.subarray(from), state: current });
  const flush = (to: number): Uint8Array[] => {
    if (to > sent) pieces.push(input.subarray(sent, to));
    sent = to;
    return pieces;
  };
  while (i < input.length) {
    if (current.kind === "plaintext") {
      i = input.length;
      break;
    }
    if (current.kind === "comment") {
      const close = commentEnd(input, i);
      if (close.kind === "partial" && !final) return hold(close.index);
      if (close.kind !== "end") {
        i = input.length;
        break;
      }
      i = close.index;
      current = { kind: "data", foreign: current.foreign };
      continue;
    }
    if (current.kind === "cdata") {
      // Text up to "]]>" (foreign content only; in HTML "<![CDATA[" is a bogus comment).
      const close = input.indexOf(GT, i);
      let end = -1;
      for (let at = close; at !== -1; at = input.indexOf(GT, at + 1)) {
        if (at - 2 >= i && input[at - 1] === 0x5d && input[at - 2] === 0x5d) {
          end = at + 1;
          break;
        }
      }
      if (end === -1) {
        if (!final) return hold(Math.max(i, input.length - 2));
        i = input.length;
        break;
      }
      i = end;
      current = { kind: "data", foreign: current.foreign };
      continue;
    }
    if (current.kind === "raw" && current.name === "script") {
      const end = findScriptEnd(input, i, current.escape ?? 0);
      if (end.kind === "partial" && !final) {
        current = { ...current, escape: end.escape };
        return hold(end.index);
      }
      if (end.kind !== "end") {
        current = { ...current, escape: end.escape };
        i = input.length;
        break;
      }
      i = end.index;
      current = { kind: "data", foreign: current.foreign };
      continue;
    }
    if (current.kind === "raw") {
      const close = findEndTag(input, i, current.name);
      if (close === undefined || (close.partial && final)) {
        i = input.length;
        break;
      }
      if (close.partial) return hold(close.index);
      i = close.index;
      current = { kind: "data", foreign: current.foreign };
      continue;
    }
    const lt = input.indexOf(LT, i);
    if (lt === -1) {
      i = input.length;
      break;
    }
    const next = input[lt + 1];
    if (next === undefined) {
      if (!final) return hold(lt);
      i = input.length;
      break;
    }
    if (next === BANG) {
      const top = current.foreign.at(-1);
      const foreign = top === "svg" || top === "math";
      if (foreign && startsWith(input, lt, CDATA)) {
        current = { kind: "cdata", foreign: current.foreign };
        i = lt + CDATA.length;
        continue;
      }
      // Not enough bytes yet to tell a comment ("<!--") or, in foreign content, a CDATA section.
      if (!final && (lt + 4 > input.length || (foreign && isPrefixOf(input, lt, CDATA)))) return hold(lt);
      if (input[lt + 2] === DASH && input[lt + 3] === DASH) {
        current = { kind: "comment", foreign: current.foreign };
        i = lt + 2;
        continue;
      }
    }
    if (next === SLASH && isLetter(input[lt + 2])) {
      // An end tag: tokenized like a start tag (its "attributes" may quote a ">"), then skipped.
      const tag = readStartTag(input, lt + 1);
      if (tag === undefined) {
        if (!final && input.length - lt <= MAX_TAG_BYTES) return hold(lt);
        i = lt + 1;
        continue;
      }
      if (current.foreign.length > 0) {
        // An end tag closes the innermost open foreign root (or integration point) of its name, and
        // everything inside it; one that matches none (</svg> inside <math>) is ignored.
        const open = current.foreign.map((entry) => entry.replace(/^html:/, ""));
        const at = open.lastIndexOf(tag.name);
        if (at !== -1) current = { kind: "data", foreign: current.foreign.slice(0, at) };
      }
      i = tag.end;
      continue;
    }
    if (next === BANG || next === QUESTION || next === SLASH) {
      // A bogus comment or a doctype: nothing to stamp, up to the next ">".
      if (next === SLASH && lt + 2 >= input.length && !final) return hold(lt);
      const close = input.indexOf(GT, lt + 2);
      if (close === -1) {
        if (!final && input.length - lt <= MAX_TAG_BYTES) return hold(lt);
        i = input.length;
        break;
      }
      i = close + 1;
      continue;
    }
    if (!isLetter(next)) {
      i = lt + 1;
      continue;
    }
    const tag = readStartTag(input, lt);
    if (tag === undefined) {
      if (!final && input.length - lt <= MAX_TAG_BYTES) return hold(lt);
      // Too long to be a tag worth holding for: send it as it is and read on after the "<".
      i = lt + 1;
      continue;
    }
    if (wantsNonce(tag, targets)) {
      flush(lt);
      pieces.push(stampedTag(input, lt, tag, nonceAttribute));
      sent = tag.end;
    }
    i = tag.end;
    const entered = enter(current.foreign, tag, input[tag.end - 2] === SLASH);
    current = { kind: "data", foreign: entered.foreign };
    if (!entered.html) continue;
    if (tag.name === "plaintext") current = { kind: "plaintext", foreign: entered.foreign };
    else if (RAW_TEXT.has(tag.name)) current = { kind: "raw", name: tag.name, foreign: entered.foreign };
  }
  return { pieces: flush(input.length), rest: new Uint8Array(0), state: current };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** One chunk from pieces, without a copy when there is one piece. */
function join(pieces: readonly Uint8Array[]): Uint8Array | undefined {
  if (pieces.length === 0) return undefined;
  if (pieces.length === 1) return pieces[0];
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

/**
 * A transformer that stamps `nonce` onto the start tags the targets select. A body that starts with a
 * UTF-16 byte order mark is passed through untouched: ASCII bytes inserted there would corrupt it. Should
 * the scanner itself ever fail, the rest of the body passes through as it came, so the page is never cut.
 */
export function tagStampTransformer(targets: StampTargets, nonce: string): ChunkTransformer {
  const nonceAttribute = new TextEncoder().encode(` nonce="${nonce}"`);
  let state: State = DATA;
  let carry: Uint8Array = new Uint8Array(0);
  let first = true;
  const step = (input: Uint8Array, final: boolean, enqueue: (chunk: Uint8Array) => void) => {
    try {
      const result = scanTags(input, state, targets, nonceAttribute, final);
      state = result.state;
      carry = result.rest;
      const out = join(result.pieces);
      if (out !== undefined) enqueue(out);
    } catch {
      state = { kind: "plaintext", foreign: NONE };
      carry = new Uint8Array(0);
      enqueue(input);
    }
  };
  return {
    transform(chunk, enqueue) {
      const input = concat(carry, chunk);
      if (first) {
        // The byte order mark may arrive split across chunks: decide on the first two bytes.
        if (input.length < 2) {
          carry = input;
          return;
        }
        first = false;
        if ((input[0] === 0xfe && input[1] === 0xff) || (input[0] === 0xff && input[1] === 0xfe)) state = { kind: "plaintext", foreign: NONE };
      }
      step(input, false, enqueue);
    },
    flush(enqueue) {
      if (carry.length > 0) step(carry, true, enqueue);
    },
  };
}

/** The tag stamper as a TransformStream. */
export function createTagStampStream(targets: StampTargets, nonce: string): TransformStream<Uint8Array, Uint8Array> {
  return transformStream(tagStampTransformer(targets, nonce));
}
