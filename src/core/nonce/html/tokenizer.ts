// A streaming HTML tokenizer over bytes (WHATWG HTML §13.2.5), resumable at any byte: it keeps its state
// between chunks and looks at every byte a bounded number of times. It emits only what the tree model
// reads: tags (name, where the name ends, a few attributes), classes of text, comments and doctypes.

import { CharRef, PENDING } from "./char-ref.js";
import { GiveUp } from "./give-up.js";
import * as S from "./states.js";
import { TagToken, MAX_NAME, WANT_SIGNATURE, wantsOf } from "./tag-token.js";
import { tagId } from "./tags.js";
import { attributeStates } from "./tokenizer-attributes.js";
import { markupStates } from "./tokenizer-markup.js";
import { scriptStates } from "./tokenizer-script.js";
import { textStates } from "./tokenizer-text.js";

/** A DOCTYPE token: what decides quirks mode. Strings are cut at MAX_NAME characters (`long` says so). */
export interface DoctypeToken {
  name: string | null;
  publicId: string | null;
  systemId: string | null;
  forceQuirks: boolean;
  long: boolean;
}

/** The tree model, as the tokenizer sees it. */
export interface TokenSink {
  /** A start tag; the answer is the state to go on in (DATA, RCDATA, RAWTEXT, SCRIPT_DATA or PLAINTEXT). */
  startTag(tag: TagToken): number;
  endTag(tag: TagToken): void;
  /** A run of characters of one class (WHITESPACE, NUL or OTHER_CHAR). */
  chars(kind: number): void;
  comment(): void;
  doctype(token: DoctypeToken): void;
  /** False when no character, of any class, would change the model's state now: text can be skipped. */
  charsMatter(): boolean;
  /** Set after <pre>, <listing> and <textarea>: a line feed as the very next token is dropped. */
  ignoreLF: boolean;
  /** Whether "<![CDATA[" opens a CDATA section here (the adjusted current node is not HTML). */
  cdataAllowed(): boolean;
}

/** Counts the work done: bytes examined and steps of the tree model. */
export interface Meter {
  steps: number;
}

/**
 * The work budget: a body may cost STEPS_PER_BYTE steps per byte read so far, plus a first allowance.
 * Real pages use about two; past the budget the model gives up, so no body costs more, whatever it holds.
 */
export const STEPS_PER_BYTE = 8;
export const STEPS_ALLOWANCE = 1 << 20;

/** A start tag held back longer than this (its end not yet seen) makes the stamper give up. */
export const MAX_TAG_BYTES = 64 * 1024;

/** A state function: reads from `p`, returns where it stopped (it may have changed `t.state`). */
export type StateFn = (t: Tokenizer, b: Uint8Array, p: number, end: number) => number;

export const LT = 0x3c;
export const GT = 0x3e;
export const SLASH = 0x2f;
export const AMP = 0x26;
export const LF = 0x0a;
export const CR = 0x0d;

/** ASCII whitespace as the tokenizer sees it (a CR is a line feed after preprocessing). */
export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0c || c === 0x0d;
}

/** An ASCII letter. */
export function isAlpha(c: number): boolean {
  return (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
}

/** Start tags whose bytes are held back until their end, because a nonce may go after their name. */
const HELD = new Set(["script", "style", "link"]);

/** The tokenizer of one body: feed it chunks in order; it calls the sink for every token. */
export class Tokenizer {
  state = S.DATA;
  /** Absolute offset of the current chunk's first byte. */
  base = 0;
  readonly tag = new TagToken();
  readonly doctype: DoctypeToken = { name: null, publicId: null, systemId: null, forceQuirks: false, long: false };
  readonly ref = new CharRef();
  /** The tag or attribute name being read (lower-cased), and whether it holds bytes that make it uncertain. */
  name = "";
  nameFuzzy = false;
  /** Where the current attribute's value goes (tag-token SINK_*), and whether its raw bytes are kept. */
  valueSink = 0;
  keepRaw = false;
  valueOpen = false;
  /** A character reference is being read inside an attribute value. */
  inRef = false;
  /** RCDATA or RAWTEXT: where the shared text end-tag states go back to. */
  textState = S.RCDATA;
  lastStartTag = "";
  /** How much of an end tag's name matches the last start tag's, and whether it still does. */
  matched = 0;
  matching = true;
  /** Progress towards "script" in the double-escape states. */
  escapeMatched = 0;
  escapeMatching = true;
  /** Progress through "--", "DOCTYPE", "[CDATA[", "PUBLIC" or "SYSTEM". */
  keyword = "";
  keywordAt = 0;
  /** The class of the pending run of characters (-1: none). */
  run = -1;
  /** Characters cannot change the model now: text is skipped to the next "<". */
  fast = false;
  afterToken = true;
  dropLF = false;
  /** In CDATA: the byte before, and whether the "]" that may close the section followed a non-ASCII byte. */
  lastByte = 0;
  bracketAfterHigh = false;
  /** Absolute offset of the "<" of the tag being read. */
  lt = 0;
  /** Absolute offset from which output waits for the current start tag's decision, or -1. */
  hold = -1;
  /** Absolute offset of the first byte not yet read completely (where a failure happened, if one did). */
  position = 0;
  /** Absolute offset just past the ">" of the tag being emitted (or last emitted). */
  tagEnd = 0;
  /** Absolute offset of the first byte fed (after a byte order mark), or -1 before the first feed. */
  private origin = -1;
  /** Set (by the stamper, from the sink) to stop `feed` right after the token being emitted. */
  pause = false;

  constructor(
    readonly sink: TokenSink,
    readonly meter: Meter,
  ) {}

  /** Tokenize one chunk, or its beginning up to a token after which `pause` was set: how many bytes were read. */
  feed(b: Uint8Array): number {
    let p = 0;
    const end = b.length;
    const meter = this.meter;
    if (this.origin < 0) this.origin = this.base;
    // The budget is enforced where each tag is emitted (see charge), at offsets that do not depend on the
    // chunking; this looser check per state call is only a backstop that no body reaches first.
    const backstop = 2 * (STEPS_ALLOWANCE + STEPS_PER_BYTE * (this.base - this.origin));
    while (p < end) {
      this.position = this.base + p;
      const fn = STATES[this.state];
      if (fn === undefined) throw new Error(`tokenizer state ${this.state}`);
      const next = fn(this, b, p, end);
      // A byte costs a step whichever call reads it; a call that reads none (a state switch) costs one.
      meter.steps += next === p ? 1 : next - p;
      p = next;
      if (meter.steps > backstop + 2 * STEPS_PER_BYTE * p) throw new GiveUp(`the body needs more than ${STEPS_PER_BYTE} steps a byte`);
      if (this.pause) break;
    }
    this.base += p;
    this.position = this.base;
    return p;
  }

  /** A character of class `kind` in text; false once characters stop mattering (switch to skipping). */
  produce(kind: number, isLF: boolean, isCR: boolean): boolean {
    if (this.afterToken) {
      this.afterToken = false;
      if (this.sink.ignoreLF) {
        this.sink.ignoreLF = false;
        if (isLF) {
          this.dropLF = isCR;
          return true;
        }
      }
    }
    if (kind !== this.run) {
      if (this.run >= 0) {
        this.sink.chars(this.run);
        if (!this.sink.charsMatter()) {
          this.run = -1;
          this.fast = true;
          return false;
        }
      }
      this.run = kind;
    }
    return true;
  }

  /** Hand pending characters to the model before a token. */
  flushRun(): void {
    if (this.run >= 0) this.sink.chars(this.run);
    this.run = -1;
  }

  /** A token was emitted: the next character is the first after it. */
  tokenDone(): void {
    this.afterToken = true;
    this.dropLF = false;
    this.fast = !this.sink.charsMatter();
  }

  /** Start a tag at the "<" seen at `lt`. */
  beginTag(end: boolean): void {
    this.tag.reset(end, this.lt);
    this.name = "";
    this.nameFuzzy = false;
  }

  /** The tag name ended at absolute offset `at`; `id` is its tag id when already known (else -1). */
  endTagName(at: number, id = -1): void {
    const tag = this.tag;
    tag.name = this.name;
    tag.fuzzy = this.nameFuzzy;
    tag.id = this.nameFuzzy ? 0 : id >= 0 ? id : tagId(this.name);
    tag.nameEnd = at;
    if (!tag.end) {
      tag.wants = wantsOf(tag.name);
      if (HELD.has(tag.name)) this.hold = at;
    }
  }

  /** Add a byte to the name being read, as the name states do (ASCII upper case lowered, NUL as U+FFFD). */
  nameByte(c: number): void {
    if (this.name.length >= MAX_NAME) {
      this.nameFuzzy = true;
      return;
    }
    if (c === 0 || c >= 0x80) this.nameFuzzy = true;
    this.name += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
  }

  /** An attribute's name is complete: route its value. */
  beginValue(): void {
    this.valueSink = this.tag.wants === 0 ? 0 : this.tag.attribute(this.name, this.nameFuzzy);
    this.keepRaw = (this.tag.wants & WANT_SIGNATURE) !== 0;
    this.valueOpen = true;
  }

  endValue(): void {
    if (!this.valueOpen) return;
    this.valueOpen = false;
    if (this.inRef) {
      this.inRef = false;
      this.tag.decoded(this.ref.finish());
    }
    if (this.tag.wants !== 0) this.tag.endValue();
  }

  /**
   * The work budget, checked as each tag is emitted: the steps so far (the bytes up to the tag's ">" at
   * `gt`, counted as if read in one chunk, and the model's steps) against STEPS_PER_BYTE a byte plus the
   * allowance. Checked here, the answer is the same however the body was cut.
   */
  private charge(gt: number): void {
    const read = gt + 1 - this.origin;
    const steps = this.meter.steps - (this.position - this.origin) + read;
    if (steps > STEPS_ALLOWANCE + STEPS_PER_BYTE * read)
      throw new GiveUp(`the body needs more than ${STEPS_PER_BYTE} steps a byte`, this.lt);
  }

  /** Emit the current tag, whose ">" is at `p` in the chunk, and go on in the state the model chooses. */
  emitTag(p: number): void {
    const gt = this.base + p;
    // A held start tag longer than the cap is given up on by its length alone, as the stamper does when
    // the tag is still open after that many bytes: the same answer for any chunking.
    if (this.hold >= 0 && gt + 1 - this.hold > MAX_TAG_BYTES) throw new GiveUp(`a start tag longer than ${MAX_TAG_BYTES} bytes`, this.hold);
    this.charge(gt);
    this.tagEnd = gt + 1;
    this.endValue();
    this.flushRun();
    const tag = this.tag;
    tag.complete();
    if (tag.end) {
      this.sink.endTag(tag);
      this.state = S.DATA;
    } else {
      this.lastStartTag = tag.name;
      this.state = this.sink.startTag(tag);
      if (this.state === S.RCDATA || this.state === S.RAWTEXT) this.textState = this.state;
    }
    this.hold = -1;
    this.tokenDone();
  }

  emitComment(): void {
    this.flushRun();
    this.sink.comment();
    this.state = S.DATA;
    this.tokenDone();
  }
}

function data(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  if (t.fast) {
    const lt = b.indexOf(LT, p);
    if (lt === -1) return end;
    t.lt = t.base + lt;
    t.state = S.TAG_OPEN;
    return lt + 1;
  }
  for (; p < end; p++) {
    const c = b[p] ?? 0;
    if (c === LT) {
      t.lt = t.base + p;
      t.state = S.TAG_OPEN;
      return p + 1;
    }
    if (c === AMP) {
      t.ref.begin();
      t.state = S.CHARACTER_REFERENCE;
      return p + 1;
    }
    if (t.dropLF) {
      t.dropLF = false;
      if (c === LF) continue;
    }
    const kind = c === 0 ? S.NUL : isSpace(c) ? S.WHITESPACE : S.OTHER_CHAR;
    if (!t.produce(kind, c === LF || c === CR, c === CR)) return p + 1;
  }
  return end;
}

function characterReference(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  for (; p < end; p++) {
    const r = t.ref.step(b[p] ?? 0);
    if (r === PENDING) continue;
    const code = r >>> 1;
    t.state = S.DATA;
    if (!t.fast) t.produce(isSpace(code) ? S.WHITESPACE : S.OTHER_CHAR, code === LF, false);
    return (r & 1) === 1 ? p + 1 : p;
  }
  return end;
}

function plaintext(_t: Tokenizer, _b: Uint8Array, _p: number, end: number): number {
  // Nothing after <plaintext> is markup: no tag can follow, so nothing here is read.
  return end;
}

function tagOpen(t: Tokenizer, b: Uint8Array, p: number): number {
  const c = b[p] ?? 0;
  if (c === 0x21) {
    t.state = S.MARKUP_DECLARATION_OPEN;
    t.keyword = "";
    t.keywordAt = 0;
    return p + 1;
  }
  if (c === SLASH) {
    t.state = S.END_TAG_OPEN;
    return p + 1;
  }
  if (isAlpha(c)) {
    t.beginTag(false);
    t.state = S.TAG_NAME;
    return p;
  }
  if (c === 0x3f) {
    t.state = S.BOGUS_COMMENT;
    return p;
  }
  // "<" followed by anything else is text.
  t.state = S.DATA;
  if (!t.fast) t.produce(S.OTHER_CHAR, false, false);
  return p;
}

function endTagOpen(t: Tokenizer, b: Uint8Array, p: number): number {
  const c = b[p] ?? 0;
  if (isAlpha(c)) {
    t.beginTag(true);
    t.state = S.TAG_NAME;
    return p;
  }
  if (c === GT) {
    t.state = S.DATA;
    return p + 1;
  }
  t.state = S.BOGUS_COMMENT;
  return p;
}

function tagName(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  const from = p;
  let plain = true;
  let c = 0;
  for (; p < end; p++) {
    c = b[p] ?? 0;
    if (isSpace(c) || c === SLASH || c === GT) break;
    if ((c >= 0x41 && c <= 0x5a) || c === 0 || c >= 0x80) plain = false;
  }
  // Most names are short, lower-case ASCII and within one chunk: one string for the whole of it.
  let id = -1;
  if (plain && t.name === "" && p - from <= MAX_NAME) {
    const slot = internName(b, from, p);
    t.name = NAMES[slot] ?? "";
    id = IDS[slot] ?? -1;
  } else {
    for (let i = from; i < p; i++) t.nameByte(b[i] ?? 0);
  }
  if (p === end) return end;
  t.endTagName(t.base + p, id);
  if (c === GT) t.emitTag(p);
  else t.state = c === SLASH ? S.SELF_CLOSING_START_TAG : S.BEFORE_ATTRIBUTE_NAME;
  return p + 1;
}

/**
 * Names seen before, in slots by a hash of their bytes: most tags reuse a few dozen names, one string
 * each, with its tag id (so neither the string nor the id lookup is made again per tag).
 */
const NAMES: string[] = new Array<string>(1024).fill("");
const IDS = new Int32Array(1024);

/** The slot of the lower-case ASCII name in b[from, to): NAMES holds it, the same string every time it is seen. */
function internName(b: Uint8Array, from: number, to: number): number {
  let h = to - from;
  for (let i = from; i < to; i++) h = Math.imul(h ^ (b[i] ?? 0), 0x01000193);
  const slot = (h >>> 22) & 1023;
  const known = NAMES[slot] ?? "";
  if (known.length === to - from) {
    let same = true;
    for (let i = from; i < to && same; i++) same = known.charCodeAt(i - from) === b[i];
    if (same) return slot;
  }
  let name = "";
  for (let i = from; i < to; i++) name += String.fromCharCode(b[i] ?? 0);
  NAMES[slot] = name;
  IDS[slot] = tagId(name);
  return slot;
}

const STATES: StateFn[] = [];
STATES[S.DATA] = data;
STATES[S.CHARACTER_REFERENCE] = characterReference;
STATES[S.PLAINTEXT] = plaintext;
STATES[S.TAG_OPEN] = tagOpen;
STATES[S.END_TAG_OPEN] = endTagOpen;
STATES[S.TAG_NAME] = tagName;
for (const table of [textStates, scriptStates, attributeStates, markupStates]) {
  for (const [state, fn] of table) STATES[state] = fn;
}
