// Blanket-mode stamping: give this response's nonce to every script, style, stylesheet and script/style
// preload element the browser's HTML parser creates, as the bytes stream by. The body goes through a
// tokenizer and a model of tree construction of our own (html/), which see what the browser sees:
// foreign content, raw text, templates, tables, misnested formatting. ` nonce="…"` goes right after the
// tag name; no other byte changes. Where the model cannot be certain, it stops and the rest passes as is.

import { concatBytes } from "../shared/bytes.js";
import { errorMessage } from "../shared/text.js";
import type { ChunkTransformer } from "./body-driver.js";
import { GiveUp } from "./html/give-up.js";
import type { OpenElement } from "./html/open-elements.js";
import { REL_MODULEPRELOAD, REL_PRELOAD, REL_STYLESHEET, type TagToken } from "./html/tag-token.js";
import { HTML, SVG, T } from "./html/tags.js";
import { MAX_TAG_BYTES, Tokenizer, type Meter } from "./html/tokenizer.js";
import { TEXT, TreeBuilder } from "./html/tree.js";
import { copyTree } from "./html/tree-copy.js";
import { RAWTEXT } from "./html/states.js";
import { sameState } from "./html/tree-equal.js";

/** What to stamp. */
export interface StampTargets {
  readonly scripts: boolean;
  readonly styles: boolean;
}

export { MAX_TAG_BYTES } from "./html/tokenizer.js";

/** What became of a body: how many elements got the nonce, and where and why stamping stopped, if it did. */
export interface StampOutcome {
  readonly stamped: number;
  readonly gaveUp: { readonly at: number; readonly reason: string } | null;
  /** The body began with a UTF-16 byte order mark and went through untouched. */
  readonly utf16: boolean;
}

/** A ChunkTransformer that also says what it did. */
export interface TagStamper extends ChunkTransformer {
  outcome(): StampOutcome;
}

export interface StamperOptions {
  /** Counts bytes examined and tree operations (tests bound the work by the input's size). */
  readonly meter?: Meter;
  /** Called once, when the stamper gives up on a body. */
  readonly onGiveUp?: (reason: string, at: number) => void;
  /**
   * False: keep the scripting-off model to the end of the body, as before reconvergence existed (the
   * tests' reference for the same output). Default true: drop it once both models are in the same state.
   */
  readonly reconverge?: boolean;
}

/** Whether the element the parser created for `tag` gets the nonce. */
function wantsNonce(node: OpenElement, tag: TagToken, targets: StampTargets): boolean {
  // Chromium honours a nonce on SVG <script> and <style> (test/e2e/blanket-browser.test.ts shows it), so
  // those are stamped too when the parser creates them.
  if (node.ns === SVG) {
    return node.name === "script" ? targets.scripts : node.name === "style" && targets.styles;
  }
  if (node.ns !== HTML) return false;
  if (node.id === T.script) return targets.scripts;
  if (node.id === T.style) return targets.styles;
  if (node.id !== T.link) return false;
  const as = tag.as;
  const scriptish = as === null || as === "" || as === "script";
  return (
    ((tag.rel & REL_STYLESHEET) !== 0 && targets.styles) ||
    ((tag.rel & REL_MODULEPRELOAD) !== 0 && targets.scripts && scriptish) ||
    ((tag.rel & REL_PRELOAD) !== 0 && ((targets.scripts && as === "script") || (targets.styles && as === "style")))
  );
}

/** The tree model, noting where each element it creates for a start tag wants the nonce. */
class StampingTree extends TreeBuilder {
  readonly stamps: number[] = [];
  /** Called before a <noscript> start tag is processed (the model still as it was before it). */
  beforeNoscript: ((tag: TagToken) => void) | null = null;
  /** Called after a </noscript> end tag was processed. */
  afterNoscript: (() => void) | null = null;
  /** Scripting on: where each <noscript> read as raw text starts and ends (its text is markup with scripting off). */
  readonly noscripts: number[] = [];

  constructor(
    meter: Meter,
    readonly targets: StampTargets,
    scripting = true,
  ) {
    super(meter, scripting);
  }

  override startTag(tag: TagToken): number {
    if (tag.id === T.noscript) this.beforeNoscript?.(tag);
    const next = super.startTag(tag);
    const node = this.created;
    if (node !== null && wantsNonce(node, tag, this.targets)) this.stamps.push(tag.nameEnd);
    if (node !== null && node.id === T.noscript && next === RAWTEXT) this.noscripts.push(tag.nameEnd, Number.POSITIVE_INFINITY);
    return next;
  }

  override endTag(tag: TagToken): void {
    const last = this.noscripts.length - 1;
    if (this.mode === TEXT && tag.id === T.noscript && this.noscripts[last] === Number.POSITIVE_INFINITY) this.noscripts[last] = tag.start;
    super.endTag(tag);
    if (tag.id === T.noscript) this.afterNoscript?.();
  }
}

/** The scripting-off model, from the first <noscript> on: its own tree, tokenizer and meter. */
interface Shadow {
  readonly tree: StampingTree;
  readonly tokenizer: Tokenizer;
  readonly meter: Meter;
  /** Absolute offset where it started. */
  readonly from: number;
}

const ESC = 0x1b;

/** Where and why a model gave up. */
interface Failure {
  readonly reason: string;
  readonly at: number;
}

class Stamper implements TagStamper {
  /** The scripting-on model's own meter: its budget checks must not see the other model's work. */
  private readonly meter: Meter = { steps: 0 };
  private readonly tree: StampingTree;
  private readonly tokenizer: Tokenizer;
  private shadow: Shadow | null = null;
  /** Steps of scripting-off models dropped at reconvergence, and of the state comparisons. */
  private retired = 0;
  private readonly compared: Meter = { steps: 0 };
  private readonly nonceAttribute: Uint8Array;
  /** Bytes not yet sent, oldest first, with the absolute offset each starts at. */
  private readonly pending: { bytes: Uint8Array; start: number }[] = [];
  private received = 0;
  private sent = 0;
  /** Where both parses agree a nonce goes, in order; the next to insert; how many were inserted in all. */
  private readonly stamps: number[] = [];
  private next = 0;
  private stampsDone = 0;
  /** How far each model's stamps (and the scripting-on model's noscript spans) have been settled. */
  private settledOn = 0;
  private settledOff = 0;
  private noscriptAt = 0;
  private head: Uint8Array | null = new Uint8Array(0);
  private stopped = false;
  private gaveUp: { at: number; reason: string } | null = null;
  private utf16 = false;
  private afterEsc = false;

  constructor(
    targets: StampTargets,
    nonce: string,
    private readonly options: StamperOptions,
  ) {
    this.tree = new StampingTree(this.meter, targets);
    this.tokenizer = new Tokenizer(this.tree, this.meter);
    this.tree.beforeNoscript = (tag) => this.startShadow(tag);
    this.nonceAttribute = asciiBytes(` nonce="${nonce}"`);
  }

  transform(chunk: Uint8Array, enqueue: (chunk: Uint8Array) => void): void {
    if (chunk.length === 0) return;
    this.pending.push({ bytes: chunk, start: this.received });
    this.received += chunk.length;
    if (this.head !== null) {
      // The byte order mark may come split across chunks: decide on the first three bytes.
      const head = concatBytes([this.head, chunk]);
      if (head.length < 3) {
        this.head = head;
        return;
      }
      this.head = null;
      this.start(head);
    } else {
      this.read(chunk, this.received - chunk.length);
    }
    this.send(enqueue, false);
  }

  flush(enqueue: (chunk: Uint8Array) => void): void {
    if (this.head !== null) {
      const head = this.head;
      this.head = null;
      this.start(head);
    }
    this.send(enqueue, true);
  }

  outcome(): StampOutcome {
    return { stamped: this.stampsDone, gaveUp: this.gaveUp, utf16: this.utf16 };
  }

  /** The first bytes: a UTF-16 byte order mark means no stamping at all; a UTF-8 one is not content. */
  private start(head: Uint8Array): void {
    if ((head[0] === 0xfe && head[1] === 0xff) || (head[0] === 0xff && head[1] === 0xfe)) {
      this.utf16 = true;
      this.stopped = true;
      return;
    }
    const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
    this.tokenizer.base = bom;
    this.read(head.subarray(bom), bom);
  }

  /**
   * Before the first <noscript>, the parses with scripting on and off are the same. From it on, a second
   * model follows the scripting-off parse (a browser with JavaScript disabled reads noscript's contents as
   * markup): a copy of the model as it is now, given the same tag, then the same bytes, until both are
   * in the same state after a </noscript> (reconverge) and one model suffices again.
   */
  private startShadow(tag: TagToken): void {
    if (this.shadow !== null) return;
    // The stamps before this tag are the same in both parses: settled from this model alone.
    this.settle(tag.start);
    const meter: Meter = { steps: 0 };
    const tree = new StampingTree(meter, this.tree.targets, false);
    copyTree(this.tree, tree);
    const state = tree.startTag(tag);
    const tokenizer = new Tokenizer(tree, meter);
    tokenizer.base = this.tokenizer.tagEnd;
    tokenizer.state = state;
    tokenizer.lastStartTag = tag.name;
    tokenizer.tokenDone();
    if (this.options.reconverge !== false) tree.afterNoscript = () => (tokenizer.pause = true);
    this.shadow = { tree, tokenizer, meter, from: tokenizer.base };
    // This model stops right after the tag too: from here on the two read in step (see feedBoth).
    this.tokenizer.pause = true;
  }

  /** Tokenize bytes starting at absolute offset `at` with both models, up to an ISO-2022-JP escape if there is one. */
  private read(bytes: Uint8Array, at: number): void {
    if (this.stopped) return;
    let end = bytes.length;
    if (this.afterEsc && isEscapeSequence(bytes[0])) end = 0;
    for (let i = bytes.indexOf(ESC); i !== -1 && end === bytes.length; i = bytes.indexOf(ESC, i + 1)) {
      if (isEscapeSequence(bytes[i + 1])) end = i;
    }
    this.afterEsc = bytes[bytes.length - 1] === ESC;
    const slice = end === bytes.length ? bytes : bytes.subarray(0, end);
    let failure = this.feedBoth(slice, at);
    if (failure === null && end < bytes.length) {
      failure = { reason: "an ISO-2022-JP escape sequence: ASCII bytes may not mean ASCII characters", at: at + end };
    }
    if (this.options.meter !== undefined)
      this.options.meter.steps = this.meter.steps + (this.shadow?.meter.steps ?? 0) + this.retired + this.compared.steps;
    if (failure !== null) this.stop(failure.reason, failure.at);
  }

  /**
   * Feed `bytes` (at absolute offset `at`) to the model, and to the scripting-off one while there is one.
   * Both read the same bytes in step: the scripting-off model first, up to the next </noscript> it reads,
   * then the other up to the same byte; there the two may be in the same state, and one is dropped.
   */
  private feedBoth(bytes: Uint8Array, at: number): Failure | null {
    let p = 0;
    while (p < bytes.length) {
      const shadow = this.shadow;
      if (shadow === null) {
        // Up to the end, or to a <noscript> start tag, after which a scripting-off model reads too.
        const result = this.feed(this.tokenizer, bytes.subarray(p), at + p);
        if (typeof result !== "number") return result;
        this.tokenizer.pause = false;
        p += result;
        if (p === bytes.length) return this.tooLong(this.tokenizer);
        continue;
      }
      const off = this.feed(shadow.tokenizer, bytes.subarray(p), at + p);
      // When the scripting-off model gave up, the other still reads the whole: the stamps before that
      // point are only settled once both have seen them.
      const q = typeof off === "number" ? p + off : bytes.length;
      const on = this.feed(this.tokenizer, bytes.subarray(p, q), at + p);
      const failures = [off, on].filter((f): f is Failure => typeof f !== "number");
      if (q === bytes.length) {
        // Held start tags are measured once both have read all there is (as when fed whole).
        if (typeof on === "number") failures.push(...[this.tooLong(this.tokenizer)].filter((f) => f !== null));
        if (typeof off === "number") failures.push(...[this.tooLong(shadow.tokenizer)].filter((f) => f !== null));
      }
      if (failures.length > 0) return failures.reduce((a, b) => (b.at < a.at ? b : a));
      p = q;
      if (shadow.tokenizer.pause) this.reconverge(shadow, at + p);
    }
    return null;
  }

  /**
   * At offset `at`, both models just past a token: if they are in the same state, settle the stamps so
   * far and drop the scripting-off model. The comparisons walk the stacks; they may cost at most one
   * step per byte the scripting-off model has read, so a body full of </noscript> cannot make them add up.
   */
  private reconverge(shadow: Shadow, at: number): void {
    shadow.tokenizer.pause = false;
    if (this.compared.steps > at - shadow.from) return;
    const on = { tokenizer: this.tokenizer, tree: this.tree };
    if (!sameState(on, shadow, this.compared)) return;
    this.settle(at);
    if (this.stopped || this.settledOn !== this.tree.stamps.length || this.settledOff !== shadow.tree.stamps.length) return;
    this.retired += shadow.meter.steps;
    this.shadow = null;
    this.settledOff = 0;
  }

  /** A start tag the model has held back for longer than the cap, once it has read all there is. */
  private tooLong(tokenizer: Tokenizer): Failure | null {
    const hold = tokenizer.hold;
    return hold >= 0 && this.received - hold > MAX_TAG_BYTES
      ? { reason: `a start tag longer than ${MAX_TAG_BYTES} bytes`, at: hold }
      : null;
  }

  /** Feed one model: how many bytes it read (all, unless it paused after a token), or where and why it gave up. */
  private feed(tokenizer: Tokenizer, bytes: Uint8Array, at: number): number | Failure {
    try {
      return tokenizer.feed(bytes);
    } catch (error) {
      const where = error instanceof GiveUp && error.at !== null ? error.at : Math.min(tokenizer.position, at + bytes.length);
      return { reason: error instanceof GiveUp ? error.reason : `the model failed: ${errorMessage(error)}`, at: where };
    }
  }

  private stop(reason: string, at: number): void {
    if (this.stopped) {
      // The two parses were found to disagree before the point where a model had given up: that is where
      // stamping ended (nothing after it was settled), whatever the chunking.
      if (this.gaveUp !== null && at < this.gaveUp.at) this.gaveUp = { at, reason };
      return;
    }
    this.stopped = true;
    this.gaveUp = { at, reason };
    this.options.onGiveUp?.(reason, at);
  }

  /**
   * Settle the stamps before `limit`: a nonce goes where both parses put one. Where the scripting-on parse
   * stamps a tag the scripting-off one does not (it reads text there), or the scripting-off parse stamps a
   * tag outside a noscript that the other does not, the two disagree on where tags are: give up there.
   * A tag only the scripting-off parse sees inside a noscript (raw text with scripting on) is left alone.
   */
  private settle(limit: number): void {
    this.trim();
    const on = this.tree.stamps;
    const shadow = this.shadow;
    if (shadow === null) {
      while (this.settledOn < on.length && (on[this.settledOn] ?? limit) < limit) this.stamps.push(on[this.settledOn++] ?? 0);
      return;
    }
    const off = shadow.tree.stamps;
    const spans = this.tree.noscripts;
    for (;;) {
      const a = this.settledOn < on.length ? (on[this.settledOn] ?? limit) : limit;
      const b = this.settledOff < off.length ? (off[this.settledOff] ?? limit) : limit;
      const p = Math.min(a, b);
      if (p >= limit || (this.gaveUp !== null && p >= this.gaveUp.at)) return;
      if (a === b) {
        this.stamps.push(p);
        this.settledOn++;
        this.settledOff++;
        continue;
      }
      if (a < b) return this.stop("a tag the parse with scripting disabled reads as text (inside a <noscript>)", p);
      while ((spans[this.noscriptAt + 1] ?? Number.POSITIVE_INFINITY) < p) this.noscriptAt += 2;
      const inside = (spans[this.noscriptAt] ?? Number.POSITIVE_INFINITY) < p && p < (spans[this.noscriptAt + 1] ?? 0);
      if (!inside) return this.stop("the parses with scripting enabled and disabled disagree on where tags are", p);
      this.settledOff++;
    }
  }

  /** Drop the settled part of the models' lists now and then, so they stay short on long bodies. */
  private trim(): void {
    if (this.settledOn > 4096) {
      this.tree.stamps.splice(0, this.settledOn);
      this.settledOn = 0;
    }
    const shadow = this.shadow;
    if (shadow !== null && this.settledOff > 4096) {
      shadow.tree.stamps.splice(0, this.settledOff);
      this.settledOff = 0;
    }
    if (this.noscriptAt > 4096) {
      this.tree.noscripts.splice(0, this.noscriptAt);
      this.noscriptAt = 0;
    }
  }

  /** Send what is decided: everything before a held start tag, with the nonce where the models put one. */
  private send(enqueue: (chunk: Uint8Array) => void, final: boolean): void {
    this.settle(this.decided(final));
    // settle may have given up: then everything received goes, with the stamps settled before that point.
    const limit = this.decided(final);
    if (this.sent >= limit) return;
    const stamps = this.stamps;
    let last = this.next;
    while (last < stamps.length && (stamps[last] ?? limit) < limit) last++;
    const first = this.pending[0];
    if (last === this.next && first !== undefined && first.start === this.sent && first.start + first.bytes.length === limit) {
      // Nothing to insert in a whole chunk: it goes on as it came.
      this.pending.shift();
      this.sent = limit;
      enqueue(first.bytes);
      return;
    }
    const out = new Uint8Array(limit - this.sent + (last - this.next) * this.nonceAttribute.length);
    let at = 0;
    while (this.sent < limit) {
      const stamp = this.next < last ? (stamps[this.next] ?? limit) : limit;
      at = this.copy(out, at, stamp);
      if (this.next < last) {
        out.set(this.nonceAttribute, at);
        at += this.nonceAttribute.length;
        this.next++;
        this.stampsDone++;
      }
    }
    if (this.next > 4096) {
      stamps.splice(0, this.next);
      this.next = 0;
    }
    enqueue(out);
  }

  /** Where the decided bytes end: all received, but for a start tag a model still holds back. */
  private decided(final: boolean): number {
    if (final || this.stopped) return this.received;
    let limit = this.received;
    const on = this.tokenizer.hold;
    const off = this.shadow?.tokenizer.hold ?? -1;
    if (on >= 0 && on < limit) limit = on;
    if (off >= 0 && off < limit) limit = off;
    return limit;
  }

  /** Copy the pending bytes up to absolute offset `to` into `out` at `at`; returns where the copy ended. */
  private copy(out: Uint8Array, at: number, to: number): number {
    while (this.sent < to) {
      const first = this.pending[0];
      if (first === undefined) throw new Error("the stamper lost bytes it had not sent");
      const chunkEnd = first.start + first.bytes.length;
      const end = Math.min(to, chunkEnd);
      const from = this.sent - first.start;
      const length = end - this.sent;
      if (length > 32) out.set(first.bytes.subarray(from, from + length), at);
      else for (let i = 0; i < length; i++) out[at + i] = first.bytes[from + i] ?? 0;
      at += length;
      this.sent = end;
      if (end === chunkEnd) this.pending.shift();
    }
    return at;
  }
}

/** The bytes of `text`: a nonce is base64, so one byte a character, without a TextEncoder per response. */
function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return new TextEncoder().encode(text);
    out[i] = c;
  }
  return out;
}

function isEscapeSequence(byte: number | undefined): boolean {
  return byte === 0x24 || byte === 0x28;
}

/**
 * A transformer that stamps `nonce` onto the elements the targets select, as the browser's parser
 * creates them. A body that starts with a UTF-16 byte order mark passes untouched. Should the model meet
 * anything it cannot be certain of (see StampOutcome.gaveUp), the rest of the body passes as it came.
 */
export function tagStampTransformer(targets: StampTargets, nonce: string, options: StamperOptions = {}): TagStamper {
  return new Stamper(targets, nonce, options);
}
