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
import { Tokenizer, type Meter } from "./html/tokenizer.js";
import { TreeBuilder } from "./html/tree.js";

/** What to stamp. */
export interface StampTargets {
  readonly scripts: boolean;
  readonly styles: boolean;
}

/** A start tag held back longer than this (its end not yet seen) makes the stamper give up. */
export const MAX_TAG_BYTES = 64 * 1024;

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

  constructor(
    meter: Meter,
    private readonly targets: StampTargets,
  ) {
    super(meter);
  }

  override startTag(tag: TagToken): number {
    const next = super.startTag(tag);
    const node = this.created;
    if (node !== null && wantsNonce(node, tag, this.targets)) this.stamps.push(tag.nameEnd);
    return next;
  }
}

const ESC = 0x1b;

class Stamper implements TagStamper {
  private readonly meter: Meter;
  private readonly tree: StampingTree;
  private readonly tokenizer: Tokenizer;
  private readonly nonceAttribute: Uint8Array;
  /** Bytes not yet sent, oldest first, with the absolute offset each starts at. */
  private readonly pending: { bytes: Uint8Array; start: number }[] = [];
  private received = 0;
  private sent = 0;
  /** The next of tree.stamps to insert, and how many were inserted in all. */
  private next = 0;
  private stampsDone = 0;
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
    this.meter = options.meter ?? { steps: 0 };
    this.tree = new StampingTree(this.meter, targets);
    this.tokenizer = new Tokenizer(this.tree, this.meter);
    this.nonceAttribute = new TextEncoder().encode(` nonce="${nonce}"`);
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

  /** Tokenize bytes starting at absolute offset `at`, up to an ISO-2022-JP escape if there is one. */
  private read(bytes: Uint8Array, at: number): void {
    if (this.stopped) return;
    let end = bytes.length;
    if (this.afterEsc && isEscapeSequence(bytes[0])) end = 0;
    for (let i = bytes.indexOf(ESC); i !== -1 && end === bytes.length; i = bytes.indexOf(ESC, i + 1)) {
      if (isEscapeSequence(bytes[i + 1])) end = i;
    }
    this.afterEsc = bytes[bytes.length - 1] === ESC;
    try {
      this.tokenizer.feed(end === bytes.length ? bytes : bytes.subarray(0, end));
      if (end < bytes.length) throw new GiveUp("an ISO-2022-JP escape sequence: ASCII bytes may not mean ASCII characters");
      if (this.tokenizer.hold >= 0 && this.received - this.tokenizer.hold > MAX_TAG_BYTES) {
        throw new GiveUp(`a start tag longer than ${MAX_TAG_BYTES} bytes`);
      }
    } catch (error) {
      const where = Math.min(this.tokenizer.position, at + end);
      this.stop(error instanceof GiveUp ? error.reason : `the model failed: ${errorMessage(error)}`, where);
    }
  }

  private stop(reason: string, at: number): void {
    this.stopped = true;
    this.gaveUp = { at, reason };
    this.options.onGiveUp?.(reason, at);
  }

  /** Send what is decided: everything before a held start tag, with the nonce where the model put one. */
  private send(enqueue: (chunk: Uint8Array) => void, final: boolean): void {
    const hold = this.tokenizer.hold;
    const limit = final || this.stopped || hold < 0 ? this.received : hold;
    if (this.sent >= limit) return;
    const stamps = this.tree.stamps;
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
