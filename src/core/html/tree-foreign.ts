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
  tb.open.popWhile((n) => n.ns !== HTML && (n.bits & (MATHML_TEXT_POINT | HTML_POINT)) === 0);
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
  const run = tb.open.segment(K_FOREIGN);
  if (run !== null && tag.fuzzy && run.fuzzy > 0) throw new GiveUp(`cannot tell which foreign element </${tag.name}> closes`);
  if (run !== null && !tag.fuzzy && run.count(tag.name) > 0) {
    tb.open.popUntil((n) => n.ns !== HTML && n.name === tag.name);
    return;
  }
  modeEnd(tb, tag);
}
