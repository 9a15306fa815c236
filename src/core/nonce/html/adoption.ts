// The adoption agency algorithm (§13.2.6.4.7, end tags of formatting elements): it can move elements on
// the stack of open elements and take foreign ones off it, so it is followed step by step (with its outer
// loop of 8 and its inner counter of 3). Only its effects on the stack and the list are kept.

import type { FormattingEntry } from "./formatting.js";
import { K_SCOPE, OpenElement } from "./open-elements.js";
import { HTML, SPECIAL } from "./tags.js";
import type { TreeBuilder } from "./tree.js";

function copy(n: OpenElement): OpenElement {
  return new OpenElement(n.name, n.id, HTML, n.bits, n.fuzzy);
}

function entryFor(node: OpenElement, like: FormattingEntry): FormattingEntry {
  return { node, signature: like.signature, hash: like.hash, fuzzy: like.fuzzy, depth: like.depth, prev: null, next: null };
}

/** Run the algorithm for the formatting element `subject`; false means "act as any other end tag" instead. */
export function adoption(tb: TreeBuilder, subject: { readonly id: number; readonly name: string }): boolean {
  const open = tb.open;
  const list = tb.list;
  const top = open.top;
  if (top !== null && top.ns === HTML && top.name === subject.name && top.entry === null) {
    open.pop();
    return true;
  }
  for (let outer = 0; outer < 8; outer++) {
    const fe = list.lastAfterMarker(subject);
    if (fe === null) return false;
    const feNode = fe.node;
    if (!feNode.onStack) {
      list.remove(fe);
      return true;
    }
    if (!open.hasNode(K_SCOPE, feNode)) return true;
    let furthest: OpenElement | null = feNode.above;
    while (furthest !== null && (furthest.bits & SPECIAL) === 0) {
      tb.meter.steps++;
      furthest = furthest.above;
    }
    if (furthest === null) {
      open.popTo(feNode);
      list.remove(fe);
      return true;
    }
    adopt(tb, fe, furthest);
  }
  return true;
}

/** Steps 4.9 on: move the nodes between the formatting element and the furthest block. */
function adopt(tb: TreeBuilder, fe: FormattingEntry, furthest: OpenElement): void {
  const open = tb.open;
  const list = tb.list;
  const feNode = fe.node;
  // Where the new formatting element's entry goes: fe's own place, or right after this entry.
  let bookmark: FormattingEntry | null = null;
  let node = furthest;
  let lastNode = furthest;
  for (let inner = 1; ; inner++) {
    tb.meter.steps++;
    // The element below (older than) node; a removed node keeps its link for this walk.
    const next = node.below;
    if (next === null || next === feNode) break;
    node = next;
    if (inner > 3 && node.entry !== null) list.remove(node.entry);
    const entry = node.entry;
    if (entry === null) {
      open.remove(node);
      continue;
    }
    const fresh = copy(node);
    const freshEntry = entryFor(fresh, entry);
    list.replace(entry, freshEntry);
    open.replace(node, fresh);
    node = fresh;
    if (lastNode === furthest) bookmark = freshEntry;
    lastNode = node;
  }
  // A new element for the formatting element's token goes into the list at the bookmark, and onto the
  // stack right above the furthest block.
  const fresh = copy(feNode);
  const entry = entryFor(fresh, fe);
  if (bookmark === null) {
    list.replace(fe, entry);
  } else {
    list.remove(fe);
    list.insertAfter(bookmark, entry);
  }
  open.remove(feNode);
  open.insertAbove(furthest, fresh);
}
