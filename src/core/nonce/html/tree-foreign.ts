// Tokens in foreign content (§13.2.6.5): elements take the namespace of the adjusted current node, a
// breakout start tag (or </br>, </p>) pops back to HTML or an integration point, and an end tag closes
// the nearest foreign element of its name above the first HTML element, or goes to the insertion mode.

import { GiveUp } from "./give-up.js";
import { K_FOREIGN } from "./open-elements.js";
import type { TagToken } from "./tag-token.js";
import { BREAKOUT, HTML, HTML_POINT, MATHML_TEXT_POINT, T, tagBits } from "./tags.js";
import type { TreeBuilder } from "./tree.js";
import { modeEnd, modeStart } from "./tree-modes.js";

function popToHtml(tb: TreeBuilder): void {
  tb.open.popForeign(MATHML_TEXT_POINT | HTML_POINT);
}

/** A start tag in foreign content. */
export function foreignStart(tb: TreeBuilder, tag: TagToken): void {
  const breakout = (tagBits(HTML, tag.id) & BREAKOUT) !== 0 || (tag.id === T.font && tag.colorFaceSize);
  if (breakout) {
    popToHtml(tb);
    modeStart(tb, tag);
    return;
  }
  const top = tb.open.top;
  if (top === null) throw new GiveUp("foreign content without an element");
  tb.insertForeign(tag, top.ns);
  // Self-closing foreign elements (an SVG <script/> included) are popped at once.
  if (tag.selfClosing) tb.open.pop();
}

/** An end tag in foreign content. */
export function foreignEnd(tb: TreeBuilder, tag: TagToken): void {
  if (tag.id === T.br || tag.id === T.p) {
    popToHtml(tb);
    modeEnd(tb, tag);
    return;
  }
  if (tag.fuzzy && tb.open.uncertain(K_FOREIGN, tag.name)) throw new GiveUp(`cannot tell which foreign element </${tag.name}> closes`);
  const node = tb.open.find(K_FOREIGN, tag.name);
  if (node !== null) tb.open.popTo(node);
  else modeEnd(tb, tag);
}
