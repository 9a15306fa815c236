// The list of active formatting elements (§13.2.4.3), with markers and the Noah's Ark clause, as a linked
// list: the adoption agency removes and inserts entries in the middle, in O(1) each. Counts of the entries
// of each name after the last marker answer "is there one?" without a scan. Attribute sets are compared
// as the tokenizer kept them: exactly when they are plain ASCII, and as uncertain when their decoding
// depends on character references or the document's encoding (the model then gives up).

import { GiveUp } from "./give-up.js";
import { OpenElement } from "./open-elements.js";
import type { TagToken } from "./tag-token.js";
import { HTML, T, TAG_IDS } from "./tags.js";
import type { Meter } from "./tokenizer.js";

/** The longest list the model follows (markers included); longer, it gives up. */
export const MAX_FORMATTING = 64;

/** An entry: the element, and what its start tag said (to make a new element for the same token). */
export interface FormattingEntry {
  node: OpenElement;
  readonly signature: string | null;
  readonly hash: number;
  readonly fuzzy: boolean;
  /** How many markers were in the list when the entry was added: after the last marker while equal. */
  depth: number;
  prev: FormattingEntry | null;
  next: FormattingEntry | null;
}

/** The formatting element names, numbered 0..13 (an index into the counts). */
const SLOTS = new Map(
  ["a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"].map((n, i) => [
    T[n as keyof typeof T],
    i,
  ]),
);
const NAMES = SLOTS.size;
/** SLOTS as an array by tag id: this lookup runs for every formatting element, twice or more. */
const SLOT_OF = new Int8Array(TAG_IDS);
for (const [id, i] of SLOTS) SLOT_OF[id] = i;

function slot(node: OpenElement): number {
  return SLOT_OF[node.id] ?? 0;
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

/** Markers are entries for this stand-in element, which is never on the stack; `isMarker` tells them apart. */
const MARKER_NODE = new OpenElement("", 0, HTML, 0, false);

/** Whether an entry is a marker (scope boundary of the list), not an element. */
export function isMarker(e: FormattingEntry): boolean {
  return e.node === MARKER_NODE;
}

/** The list of active formatting elements of one body. */
export class FormattingList {
  head: FormattingEntry | null = null;
  tail: FormattingEntry | null = null;
  private length = 0;
  private markers = 0;
  /** Entries of each name after the last marker; the counts before each marker, saved. */
  private counts = new Array<number>(NAMES).fill(0);
  private readonly saved: number[][] = [];

  constructor(private readonly meter: Meter) {}

  pushMarker(): void {
    this.append({ node: MARKER_NODE, signature: null, hash: 0, fuzzy: false, depth: this.markers, prev: null, next: null });
    this.saved.push(this.counts);
    this.counts = new Array<number>(NAMES).fill(0);
    this.markers++;
  }

  /** Add an element for `tag`, after removing the oldest of three equal ones (Noah's Ark). */
  add(node: OpenElement, tag: TagToken): void {
    const hash = signatureHash(tag.signature);
    if ((this.counts[slot(node)] ?? 0) >= 3) this.noahsArk(node, tag, hash);
    const entry: FormattingEntry = {
      node,
      signature: tag.signature,
      hash,
      fuzzy: tag.signatureFuzzy,
      depth: this.markers,
      prev: null,
      next: null,
    };
    node.entry = entry;
    this.append(entry);
    this.counted(entry, 1);
  }

  /** The last entry after the last marker whose element has this name. */
  lastAfterMarker(node: { id: number; name: string }): FormattingEntry | null {
    if ((this.counts[SLOT_OF[node.id] ?? 0] ?? 0) === 0) return null;
    for (let e = this.tail; e !== null && !isMarker(e); e = e.prev) {
      this.meter.steps++;
      if (e.node.name === node.name) return e;
    }
    return null;
  }

  remove(e: FormattingEntry): void {
    const prev = e.prev;
    const next = e.next;
    if (prev === null) this.head = next;
    else prev.next = next;
    if (next === null) this.tail = prev;
    else next.prev = prev;
    e.prev = e.next = null;
    this.length--;
    this.counted(e, -1);
    if (!isMarker(e) && e.node.entry === e) e.node.entry = null;
  }

  /** Put `fresh` where `old` is (same name, same place: counts are unchanged). */
  replace(old: FormattingEntry, fresh: FormattingEntry): void {
    fresh.prev = old.prev;
    fresh.next = old.next;
    fresh.depth = old.depth;
    if (old.prev === null) this.head = fresh;
    else old.prev.next = fresh;
    if (old.next === null) this.tail = fresh;
    else old.next.prev = fresh;
    old.prev = old.next = null;
    if (old.node.entry === old) old.node.entry = null;
    fresh.node.entry = fresh;
  }

  /** Put `e` right after `anchor` (the adoption agency's bookmark). */
  insertAfter(anchor: FormattingEntry, e: FormattingEntry): void {
    this.grow();
    e.prev = anchor;
    e.next = anchor.next;
    if (anchor.next === null) this.tail = e;
    else anchor.next.prev = e;
    anchor.next = e;
    e.depth = anchor.depth;
    this.length++;
    this.counted(e, 1);
    e.node.entry = e;
  }

  clearToLastMarker(): void {
    for (let e = this.tail; e !== null; e = this.tail) {
      this.meter.steps++;
      this.remove(e);
      if (isMarker(e)) break;
    }
    this.counts = this.saved.pop() ?? new Array<number>(NAMES).fill(0);
    this.markers = Math.max(0, this.markers - 1);
  }

  /** Whether "reconstruct the active formatting elements" has anything to do. */
  needsReconstruct(): boolean {
    const last = this.tail;
    return last !== null && !isMarker(last) && !last.node.onStack;
  }

  /** Append a copy of every entry of `from` to this (empty) list, each for the node `map` gives. */
  copyFrom(from: FormattingList, map: (node: OpenElement) => OpenElement): void {
    for (let e = from.head; e !== null; e = e.next) {
      this.meter.steps++;
      if (isMarker(e)) {
        this.pushMarker();
        continue;
      }
      const node = map(e.node);
      const entry: FormattingEntry = { ...e, node, depth: this.markers, prev: null, next: null };
      node.entry = entry;
      this.append(entry);
      this.counted(entry, 1);
    }
  }

  /**
   * Whether the bookkeeping beside the entries is the same as `other`'s: the marker count and the counts
   * by name after the last marker and before each marker. They filter lookups (a zero count skips a
   * scan), so two lists with the same entries must also have the same counts to answer alike.
   */
  sameCounts(other: FormattingList): boolean {
    if (this.markers !== other.markers || this.length !== other.length || this.saved.length !== other.saved.length) return false;
    const same = (a: readonly number[], b: readonly number[]): boolean => a.every((n, i) => n === b[i]);
    return same(this.counts, other.counts) && this.saved.every((counts, i) => same(counts, other.saved[i] ?? []));
  }

  private noahsArk(node: OpenElement, tag: TagToken, hash: number): void {
    let equal = 0;
    let uncertain = 0;
    let earliest: FormattingEntry | null = null;
    for (let e = this.tail; e !== null && !isMarker(e); e = e.prev) {
      this.meter.steps++;
      const result = compare(e, node.name, tag, hash);
      if (result === EQUAL) {
        equal++;
        earliest = e;
      } else if (result === UNCERTAIN) {
        uncertain++;
      }
    }
    if (equal + uncertain < 3) return;
    if (uncertain > 0) throw new GiveUp(`cannot tell whether <${node.name}> repeats an open formatting element's attributes`);
    if (earliest !== null) this.remove(earliest);
  }

  private append(e: FormattingEntry): void {
    this.grow();
    e.prev = this.tail;
    e.next = null;
    if (this.tail === null) this.head = e;
    else this.tail.next = e;
    this.tail = e;
    this.length++;
  }

  /** Keep the counts after the last marker (an entry is after it while its depth is the marker count). */
  private counted(e: FormattingEntry, delta: number): void {
    if (isMarker(e) || e.depth !== this.markers) return;
    const i = slot(e.node);
    this.counts[i] = (this.counts[i] ?? 0) + delta;
  }

  private grow(): void {
    if (this.length >= MAX_FORMATTING) throw new GiveUp(`the list of active formatting elements is longer than ${MAX_FORMATTING}`);
  }
}
