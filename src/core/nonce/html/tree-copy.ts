// A copy of a tree model's whole state in another: how the stamper starts its scripting-off model at the
// first <noscript>, where the two parses can begin to differ (until then they are the same).

import { OpenElement } from "./open-elements.js";
import type { TreeBuilder } from "./tree.js";

/** Copy `from`'s state into `to`, a fresh model (its own stack, list and pointers, none shared). */
export function copyTree(from: TreeBuilder, to: TreeBuilder): void {
  const copies = new Map<OpenElement, OpenElement>();
  const copyOf = (n: OpenElement): OpenElement => {
    let copy = copies.get(n);
    if (copy === undefined) {
      copy = new OpenElement(n.name, n.id, n.ns, n.bits, n.fuzzy);
      copies.set(n, copy);
    }
    return copy;
  };
  // The stack from the bottom up: each push sets the copy's scope boundaries as the original's were set.
  let bottom = from.open.top;
  while (bottom?.below != null) bottom = bottom.below;
  for (let n = bottom; n !== null; n = n.above) {
    to.meter.steps++;
    to.open.push(copyOf(n));
  }
  to.list.copyFrom(from.list, copyOf);
  to.head = from.head === null ? null : copyOf(from.head);
  to.form = from.form === null ? null : copyOf(from.form);
  to.mode = from.mode;
  to.original = from.original;
  to.templateModes.push(...from.templateModes);
  to.framesetOk = from.framesetOk;
  to.quirks = from.quirks;
  to.tableTextDirty = from.tableTextDirty;
  to.ignoreLF = from.ignoreLF;
}
