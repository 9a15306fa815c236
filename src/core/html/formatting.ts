// The list of active formatting elements (§13.2.4.3), with markers and the Noah's Ark clause. Attribute
// sets are compared as the tokenizer kept them: exactly when they are plain ASCII, and as uncertain when
// their decoding depends on character references or the document's encoding (the model then gives up).

import { GiveUp } from "./give-up.js";
import type { OpenElement } from "./open-elements.js";
import type { TagToken } from "./tag-token.js";
import type { Meter } from "./tokenizer.js";

/** The longest list the model follows (markers included); longer, it gives up. */
export const MAX_FORMATTING = 64;

/** An entry: the element, and what its start tag said (to make a new element for the same token). */
export interface FormattingEntry {
  node: OpenElement;
  readonly signature: string | null;
  readonly hash: number;
  readonly fuzzy: boolean;
}

const EQUAL = 0;
const DIFFERENT = 1;
const UNCERTAIN = 2;

function compare(e: FormattingEntry, name: string, tag: TagToken, hash: number): number {
  if (e.node.name !== name) return DIFFERENT;
  if (e.signature === null || tag.signature === null) return UNCERTAIN;
  if (e.hash === hash && e.signature === tag.signature) return EQUAL;
  return e.fuzzy || tag.signatureFuzzy ? UNCERTAIN : DIFFERENT;
}

/** A hash of a signature, so most comparisons of long ones cost nothing. */
export function signatureHash(signature: string | null): number {
  if (signature === null) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < signature.length; i++) h = Math.imul(h ^ signature.charCodeAt(i), 0x01000193);
  return h;
}

export class FormattingList {
  /** Oldest first; null is a marker. */
  readonly items: (FormattingEntry | null)[] = [];

  constructor(private readonly meter: Meter) {}

  pushMarker(): void {
    this.grow();
    this.items.push(null);
  }

  /** Add an element for `tag`, after removing the oldest of three equal ones (Noah's Ark). */
  add(node: OpenElement, tag: TagToken): void {
    const hash = signatureHash(tag.signature);
    let equal = 0;
    let uncertain = 0;
    let earliest = -1;
    for (let i = this.items.length - 1; i >= 0; i--) {
      this.meter.steps++;
      const e = this.items[i];
      if (e === null || e === undefined) break;
      const result = compare(e, node.name, tag, hash);
      if (result === EQUAL) {
        equal++;
        earliest = i;
      } else if (result === UNCERTAIN) {
        uncertain++;
      }
    }
    if (equal + uncertain >= 3) {
      if (uncertain > 0) throw new GiveUp(`cannot tell whether <${node.name}> repeats an open formatting element's attributes`);
      const gone = this.items[earliest];
      if (gone !== null && gone !== undefined) this.remove(gone);
    }
    this.grow();
    const entry: FormattingEntry = { node, signature: tag.signature, hash, fuzzy: tag.signatureFuzzy };
    node.entry = entry;
    this.items.push(entry);
  }

  /** The last entry after the last marker whose element has this name. */
  lastAfterMarker(name: string): FormattingEntry | null {
    for (let i = this.items.length - 1; i >= 0; i--) {
      this.meter.steps++;
      const e = this.items[i];
      if (e === null || e === undefined) return null;
      if (e.node.name === name) return e;
    }
    return null;
  }

  remove(e: FormattingEntry): void {
    const i = this.indexOf(e);
    if (i >= 0) this.items.splice(i, 1);
    if (e.node.entry === e) e.node.entry = null;
  }

  indexOf(e: FormattingEntry): number {
    this.meter.steps += this.items.length;
    return this.items.indexOf(e);
  }

  /** Put `e` at index `i` (the adoption agency's bookmark). */
  insertAt(i: number, e: FormattingEntry): void {
    this.grow();
    this.items.splice(i, 0, e);
    e.node.entry = e;
  }

  clearToLastMarker(): void {
    for (;;) {
      const e = this.items.pop();
      this.meter.steps++;
      if (e === undefined || e === null) return;
      if (e.node.entry === e) e.node.entry = null;
    }
  }

  /** Whether "reconstruct the active formatting elements" has anything to do. */
  needsReconstruct(): boolean {
    const last = this.items[this.items.length - 1];
    return last !== undefined && last !== null && !last.node.onStack;
  }

  private grow(): void {
    if (this.items.length >= MAX_FORMATTING) throw new GiveUp(`the list of active formatting elements is longer than ${MAX_FORMATTING}`);
  }
}
