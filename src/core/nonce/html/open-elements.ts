// The stack of open elements (§13.2.4.3) as a linked list, indexed so that no scope question costs work
// proportional to the depth. For each kind of scope, every element points at the nearest boundary of that
// kind at or below it; a question walks from the current node down to that boundary. Short walks are the
// rule on real pages; when a walk is long, the boundary gets a count of the names in its segment, kept up
// to date from then on, and later questions about that segment are lookups. The adoption agency's moves
// and the removal of an element from the middle (a <form>, the head) keep the pointers and counts right.

import type { FormattingEntry } from "./formatting.js";
import { GiveUp } from "./give-up.js";
import type { Meter } from "./tokenizer.js";
import {
  BUTTON_SCOPE,
  HTML,
  LI_PASS,
  LIST_SCOPE,
  MODE_ROOT,
  SCOPE,
  SPECIAL,
  TABLE_SCOPE,
  T,
  TAG_IDS,
  tagId,
  type Namespace,
} from "./tags.js";

/** The deepest stack the model follows; deeper, it gives up (Chromium stops nesting its DOM at 512). */
export const MAX_DEPTH = 1024;
/** A walk longer than this makes the segment keep counts. */
const LAZY = 16;

// Scope kinds.
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

/** Counts of the names in one segment (kept once a walk there was long): by tag id, others by name. */
class Counts {
  private readonly ids = new Int32Array(TAG_IDS);
  private names: Map<string, number> | null = null;
  /** Elements whose names hold bytes that may equal another name in ways the bytes cannot tell. */
  fuzzy = 0;

  count(name: string): number {
    const id = tagId(name);
    return id !== 0 ? (this.ids[id] ?? 0) : (this.names?.get(name) ?? 0);
  }

  add(n: OpenElement, delta: number): void {
    if (n.fuzzy) this.fuzzy += delta;
    if (n.id !== 0) {
      this.ids[n.id] = (this.ids[n.id] ?? 0) + delta;
      return;
    }
    const names = (this.names ??= new Map<string, number>());
    names.set(n.name, (names.get(n.name) ?? 0) + delta);
  }
}

/** An element the parser created, while it is (or was) on the stack. */
export class OpenElement {
  below: OpenElement | null = null;
  above: OpenElement | null = null;
  onStack = false;
  /** Per scope kind, the nearest boundary at or below (itself when it is one). */
  readonly kb: OpenElement[];
  /** Bit k set: this element is a boundary of scope kind k. */
  readonly boundaries: number;
  /** Per scope kind, counts for the segment this element is the boundary of, once kept. */
  counts: (Counts | null)[] | null = null;
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
  ) {
    this.kb = [this, this, this, this, this, this, this];
    this.boundaries = boundaryBits(ns, bits);
  }

  is(id: number): boolean {
    return this.id === id && this.ns === HTML;
  }
}

/** Which scope kinds an element with these category bits is a boundary of, as bits by kind. */
function boundaryBits(ns: Namespace, bits: number): number {
  return (
    ((bits & SCOPE) !== 0 ? 1 << K_SCOPE : 0) |
    ((bits & BUTTON_SCOPE) !== 0 ? 1 << K_BUTTON : 0) |
    ((bits & LIST_SCOPE) !== 0 ? 1 << K_LIST : 0) |
    ((bits & TABLE_SCOPE) !== 0 ? 1 << K_TABLE : 0) |
    ((bits & SPECIAL) !== 0 ? 1 << K_SPECIAL : 0) |
    ((bits & (SPECIAL | LI_PASS)) === SPECIAL ? 1 << K_ITEM : 0) |
    (ns === HTML ? 1 << K_FOREIGN : 0)
  );
}

function isBoundary(kind: number, n: OpenElement): boolean {
  return (n.boundaries & (1 << kind)) !== 0;
}

/** Whether a question of this kind can be about `n`: HTML elements, but foreign ones for K_FOREIGN. */
function isCounted(kind: number, n: OpenElement): boolean {
  return kind === K_FOREIGN ? n.ns !== HTML : n.ns === HTML;
}

function countsOf(boundary: OpenElement, kind: number): Counts | null {
  return boundary.counts?.[kind] ?? null;
}

/** The stack of open elements of one body, with its scope indexes. */
export class OpenElements {
  top: OpenElement | null = null;
  bottom: OpenElement | null = null;
  depth = 0;
  templates = 0;
  /** Whether any segment keeps counts (until then, pushes and pops have none to update). */
  private counting = false;

  constructor(private readonly meter: Meter) {}

  push(n: OpenElement): void {
    const below = this.top;
    n.below = below;
    n.above = null;
    if (below === null) this.bottom = n;
    else below.above = n;
    this.top = n;
    this.enter(n);
    for (let k = 0; k < KINDS; k++) this.place(n, k, below);
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
      if (n.kb[k] !== n) continue;
      // The elements of its segment join the segment below.
      const into = below.kb[k] ?? below;
      const counts = countsOf(into, k);
      for (let m: OpenElement | null = above; m !== null && m.kb[k] === n; m = m.above) {
        this.meter.steps++;
        m.kb[k] = into;
        if (counts !== null && isCounted(k, m)) counts.add(m, 1);
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
      const old = anchor.kb[k] ?? anchor;
      this.place(n, k, anchor);
      if (n.kb[k] !== n) continue;
      // The elements above that were in the anchor's segment are in the new element's now.
      const counts = countsOf(old, k);
      for (let m: OpenElement | null = above; m !== null && m.kb[k] === old; m = m.above) {
        this.meter.steps++;
        m.kb[k] = n;
        if (counts !== null && isCounted(k, m)) counts.add(m, -1);
      }
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
    for (let k = 0; k < KINDS; k++) {
      const boundary = old.kb[k] ?? old;
      n.kb[k] = boundary === old ? n : boundary;
      if (boundary !== old) continue;
      n.counts = old.counts;
      for (let m = n.above; m !== null && m.kb[k] === old; m = m.above) {
        this.meter.steps++;
        m.kb[k] = n;
      }
    }
    n.root = old.root;
    n.onStack = true;
    old.onStack = false;
  }

  /**
   * The topmost element named `name` in the current node's segment of this kind, or null. For callers
   * that pop what the walk passed (so a long walk is paid for by the pops); `has` is for the others.
   */
  find(kind: number, name: string): OpenElement | null {
    const top = this.top;
    if (top === null) return null;
    const boundary = top.kb[kind] ?? top;
    const counts = countsOf(boundary, kind);
    if (counts !== null && counts.count(name) === 0) return null;
    let walked = 0;
    for (let m: OpenElement | null = top; m !== null; m = m.below) {
      walked++;
      if (m.name === name && isCounted(kind, m)) {
        this.meter.steps += walked;
        return m;
      }
      if (m === boundary) break;
    }
    this.meter.steps += walked;
    if (walked > LAZY) this.keepCounts(boundary, kind);
    return null;
  }

  /** Whether an HTML element with this name is in the scope of this kind. */
  has(kind: number, name: string): boolean {
    const top = this.top;
    if (top === null) return false;
    const boundary = top.kb[kind] ?? top;
    let counts = countsOf(boundary, kind);
    if (counts === null) {
      let walked = 0;
      for (let m: OpenElement | null = top; m !== null && walked <= LAZY; m = m.below) {
        walked++;
        if (m.name === name && isCounted(kind, m)) {
          this.meter.steps += walked;
          return true;
        }
        if (m === boundary) {
          this.meter.steps += walked;
          return false;
        }
      }
      this.meter.steps += walked;
      // A long walk: from now on this segment keeps counts, and this question is a lookup.
      this.keepCounts(boundary, kind);
      counts = countsOf(boundary, kind);
    }
    return (counts?.count(name) ?? 0) > 0;
  }

  /** Whether this very element is in the scope of this kind. */
  hasNode(kind: number, n: OpenElement): boolean {
    return n.onStack && this.top !== null && n.kb[kind] === this.top.kb[kind];
  }

  /**
   * Whether the current segment of this kind holds an element whose name may or may not equal `name`
   * (an uncertain name, see Counts.fuzzy, with other bytes): only bytes that are equal are surely equal.
   */
  uncertain(kind: number, name: string): boolean {
    const top = this.top;
    if (top === null) return false;
    const boundary = top.kb[kind] ?? top;
    this.keepCounts(boundary, kind);
    const counts = countsOf(boundary, kind);
    return counts !== null && counts.fuzzy > counts.count(name);
  }

  hasHeadingInScope(): boolean {
    return HEADINGS.some((name) => this.has(K_SCOPE, name));
  }

  /** Pop up to and including `n`. */
  popTo(n: OpenElement): void {
    while (this.top !== null && this.pop() !== n);
  }

  /** Pop up to and including the first HTML element with this id. */
  popToHtml(id: number): void {
    for (;;) {
      const n = this.top;
      if (n === null) return;
      this.pop();
      if (n.id === id && n.ns === HTML) return;
    }
  }

  /** Pop while the current node has a bit of `bits` (and is HTML) and is not named `except`. */
  popHtmlWith(bits: number, except: string): void {
    for (;;) {
      const n = this.top;
      if (n === null || n.ns !== HTML || (n.bits & bits) === 0 || n.name === except) return;
      this.pop();
    }
  }

  /** Pop while the current node is not an HTML element with a bit of `bits`. */
  popUntilHtmlWith(bits: number): void {
    for (;;) {
      const n = this.top;
      if (n === null || (n.ns === HTML && (n.bits & bits) !== 0)) return;
      this.pop();
    }
  }

  /** Pop while the current node is foreign and no integration point (`points` are the bits that make one). */
  popForeign(points: number): void {
    for (;;) {
      const n = this.top;
      if (n === null || n.ns === HTML || (n.bits & points) !== 0) return;
      this.pop();
    }
  }

  /** Set `n`'s boundary of this kind, and count it where its segment keeps counts. */
  private place(n: OpenElement, kind: number, below: OpenElement | null): void {
    if (below === null || isBoundary(kind, n)) {
      n.kb[kind] = n;
      return;
    }
    const boundary = below.kb[kind] ?? below;
    n.kb[kind] = boundary;
    if (!this.counting) return;
    const counts = countsOf(boundary, kind);
    if (counts !== null && isCounted(kind, n)) {
      this.meter.steps++;
      counts.add(n, 1);
    }
  }

  /** Count the names of the segment `boundary` heads, and keep the count from now on. */
  private keepCounts(boundary: OpenElement, kind: number): void {
    if (countsOf(boundary, kind) !== null) return;
    this.counting = true;
    const counts = new Counts();
    for (let m: OpenElement | null = boundary; m !== null && (m === boundary || m.kb[kind] === boundary); m = m.above) {
      this.meter.steps++;
      if (isCounted(kind, m)) counts.add(m, 1);
    }
    (boundary.counts ??= [])[kind] = counts;
  }

  private enter(n: OpenElement): void {
    if (this.depth >= MAX_DEPTH) throw new GiveUp(`the stack of open elements is deeper than ${MAX_DEPTH}`);
    n.onStack = true;
    this.depth++;
    if (n.id === T.template && n.ns === HTML) this.templates++;
    // A push sets seven boundaries: it counts as much as a few bytes do.
    this.meter.steps += 4;
  }

  private leave(n: OpenElement): void {
    n.onStack = false;
    this.depth--;
    if (n.id === T.template && n.ns === HTML) this.templates--;
    this.meter.steps += 2;
    if (!this.counting) return;
    for (let k = 0; k < KINDS; k++) {
      const boundary = n.kb[k];
      if (boundary === undefined || boundary === n) continue;
      const counts = countsOf(boundary, k);
      if (counts !== null && isCounted(k, n)) {
        this.meter.steps++;
        counts.add(n, -1);
      }
    }
  }
}

const HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"];
