// The stack of open elements (§13.2.4.3) as a linked list, indexed so that every scope question is
// answered without walking it: the stack is cut into segments at each kind of scope boundary, and each
// segment counts the names in it. "Has a p element in button scope" is then a lookup in the current
// node's button-scope segment. Pushes, pops and the adoption agency's moves update the counts in O(1);
// removing a boundary from the middle (a <form>, the head) merges its segment into the one below.

import type { FormattingEntry } from "./formatting.js";
import { GiveUp } from "./give-up.js";
import type { Meter } from "./tokenizer.js";
import { BUTTON_SCOPE, HTML, LI_PASS, LIST_SCOPE, MODE_ROOT, SCOPE, SPECIAL, TABLE_SCOPE, TRACKED, T, type Namespace } from "./tags.js";

/** The deepest stack the model follows; deeper, it gives up (Chromium stops nesting its DOM at 512). */
export const MAX_DEPTH = 1024;

// Segment kinds.
export const K_SCOPE = 0;
export const K_BUTTON = 1;
export const K_LIST = 2;
export const K_TABLE = 3;
/** Cut at special elements: what "any other end tag" in body can reach. */
export const K_SPECIAL = 4;
/** Cut at special elements but address, div and p: what the li, dd and dt start tags walk. */
export const K_ITEM = 5;
/** Cut at HTML elements: the run of foreign elements an end tag in foreign content can close. */
export const K_FOREIGN = 6;
const KINDS = 7;

/** Counts of names in one segment of the stack. */
export class Segment {
  private counts: Map<string, number> | null = null;
  /** Elements whose names hold bytes that may equal another name in ways the bytes cannot tell. */
  fuzzy = 0;

  count(name: string): number {
    return this.counts?.get(name) ?? 0;
  }

  add(node: OpenElement, delta: number): void {
    if (node.fuzzy) this.fuzzy += delta;
    const counts = (this.counts ??= new Map());
    counts.set(node.name, (counts.get(node.name) ?? 0) + delta);
  }
}

/** An element the parser created, while it is (or was) on the stack. */
export class OpenElement {
  below: OpenElement | null = null;
  above: OpenElement | null = null;
  onStack = false;
  readonly seg: Segment[] = [];
  /** The nearest element at or below that "reset the insertion mode appropriately" stops at. */
  root: OpenElement | null = null;
  /** Its entry in the list of active formatting elements, if it has one. */
  entry: FormattingEntry | null = null;

  constructor(
    readonly name: string,
    readonly id: number,
    readonly ns: Namespace,
    readonly bits: number,
    readonly fuzzy: boolean,
  ) {}

  is(id: number): boolean {
    return this.ns === HTML && this.id === id;
  }
}

function isBoundary(kind: number, n: OpenElement): boolean {
  switch (kind) {
    case K_SCOPE:
      return (n.bits & SCOPE) !== 0;
    case K_BUTTON:
      return (n.bits & BUTTON_SCOPE) !== 0;
    case K_LIST:
      return (n.bits & LIST_SCOPE) !== 0;
    case K_TABLE:
      return (n.bits & TABLE_SCOPE) !== 0;
    case K_SPECIAL:
      return (n.bits & SPECIAL) !== 0;
    case K_ITEM:
      return (n.bits & SPECIAL) !== 0 && (n.bits & LI_PASS) === 0;
    default:
      return n.ns === HTML;
  }
}

function isCounted(kind: number, n: OpenElement): boolean {
  if (kind === K_FOREIGN) return n.ns !== HTML;
  if (n.ns !== HTML) return false;
  return kind === K_SPECIAL || (n.bits & TRACKED) !== 0;
}

export class OpenElements {
  top: OpenElement | null = null;
  bottom: OpenElement | null = null;
  depth = 0;
  templates = 0;

  constructor(private readonly meter: Meter) {}

  push(n: OpenElement): void {
    const below = this.top;
    n.below = below;
    n.above = null;
    if (below === null) this.bottom = n;
    else below.above = n;
    this.top = n;
    this.enter(n);
    for (let k = 0; k < KINDS; k++) {
      const seg = below === null || isBoundary(k, n) ? new Segment() : (below.seg[k] ?? new Segment());
      n.seg[k] = seg;
      if (isCounted(k, n)) seg.add(n, 1);
    }
    n.root = (n.bits & MODE_ROOT) !== 0 ? n : (below?.root ?? null);
  }

  pop(): OpenElement {
    const n = this.top;
    if (n === null) throw new GiveUp("popped an empty stack of open elements");
    this.top = n.below;
    if (this.top === null) this.bottom = null;
    else this.top.above = null;
    this.leave(n);
    return n;
  }

  /** Take `n` out of the middle of the stack. Its `below` stays, for the adoption agency's walk. */
  remove(n: OpenElement): void {
    if (n === this.top) {
      this.pop();
      return;
    }
    const below = n.below;
    const above = n.above;
    if (below === null || above === null) throw new GiveUp("removed the root element from the stack");
    below.above = above;
    above.below = below;
    this.leave(n);
    for (let k = 0; k < KINDS; k++) {
      if (!isBoundary(k, n)) continue;
      // Its segment's elements now belong to the segment below.
      const gone = n.seg[k];
      const into = below.seg[k];
      if (into === undefined) continue;
      for (let m: OpenElement | null = above; m !== null && m.seg[k] === gone; m = m.above) {
        this.meter.steps++;
        m.seg[k] = into;
        if (isCounted(k, m)) into.add(m, 1);
      }
    }
    if (n.root === n) {
      for (let m: OpenElement | null = above; m !== null && m.root === n; m = m.above) {
        this.meter.steps++;
        m.root = below.root;
      }
    }
  }

  /** Put `n` right above `anchor` (the adoption agency's new formatting element, above the furthest block). */
  insertAbove(anchor: OpenElement, n: OpenElement): void {
    const above = anchor.above;
    n.below = anchor;
    n.above = above;
    anchor.above = n;
    if (above === null) this.top = n;
    else above.below = n;
    this.enter(n);
    for (let k = 0; k < KINDS; k++) {
      const old = anchor.seg[k] ?? new Segment();
      if (!isBoundary(k, n)) {
        n.seg[k] = old;
      } else {
        // The elements above that were in the anchor's segment are in the new element's now.
        const seg = new Segment();
        n.seg[k] = seg;
        for (let m: OpenElement | null = above; m !== null && m.seg[k] === old; m = m.above) {
          this.meter.steps++;
          m.seg[k] = seg;
          if (isCounted(k, m)) {
            old.add(m, -1);
            seg.add(m, 1);
          }
        }
      }
      if (isCounted(k, n)) n.seg[k]?.add(n, 1);
    }
    n.root = anchor.root;
  }

  /** Put `n` where `old` is (the adoption agency's copy of an element for the same token). */
  replace(old: OpenElement, n: OpenElement): void {
    n.below = old.below;
    n.above = old.above;
    if (old.below === null) this.bottom = n;
    else old.below.above = n;
    if (old.above === null) this.top = n;
    else old.above.below = n;
    for (let k = 0; k < KINDS; k++) n.seg[k] = old.seg[k] ?? new Segment();
    n.root = old.root;
    n.onStack = true;
    old.onStack = false;
  }

  /** Whether an HTML element with this (tracked) name is in the scope of this kind. */
  has(kind: number, name: string): boolean {
    return (this.top?.seg[kind]?.count(name) ?? 0) > 0;
  }

  /** Whether this very element is in the scope of this kind. */
  hasNode(kind: number, n: OpenElement): boolean {
    return n.onStack && this.top !== null && n.seg[kind] === this.top.seg[kind];
  }

  /** The segment of this kind that the current node is in. */
  segment(kind: number): Segment | null {
    return this.top?.seg[kind] ?? null;
  }

  hasHeadingInScope(): boolean {
    return HEADINGS.some((name) => this.has(K_SCOPE, name));
  }

  /** Pop up to and including the first element this matches. */
  popUntil(match: (n: OpenElement) => boolean): void {
    while (this.top !== null) {
      if (match(this.pop())) return;
    }
  }

  /** Pop while the current node matches. */
  popWhile(match: (n: OpenElement) => boolean): void {
    while (this.top !== null && match(this.top)) this.pop();
  }

  private enter(n: OpenElement): void {
    if (this.depth >= MAX_DEPTH) throw new GiveUp(`the stack of open elements is deeper than ${MAX_DEPTH}`);
    n.onStack = true;
    this.depth++;
    if (n.is(T.template)) this.templates++;
    this.meter.steps++;
  }

  private leave(n: OpenElement): void {
    n.onStack = false;
    this.depth--;
    if (n.is(T.template)) this.templates--;
    for (let k = 0; k < KINDS; k++) if (isCounted(k, n)) n.seg[k]?.add(n, -1);
    this.meter.steps++;
  }
}

const HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"];
