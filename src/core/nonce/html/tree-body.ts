// The "in body" insertion mode (§13.2.6.4.7): the rules for start and end tags, with <select>, <option>,
// <optgroup>, <hr> and <input> as the current standard has them since customizable <select>. Long on
// purpose: one case per rule, in the standard's order, so that it reads against the standard.

import { adoption } from "./adoption.js";
import { GiveUp } from "./give-up.js";
import { K_BUTTON, K_ITEM, K_LIST, K_SCOPE, K_SPECIAL } from "./open-elements.js";
import * as S from "./states.js";
import type { TagToken } from "./tag-token.js";
import { HEADING, HTML, MATHML, SVG, T, TAG_IDS } from "./tags.js";
import type { TreeBuilder } from "./tree.js";
import { AFTER_BODY, IN_FRAMESET, IN_TABLE, TEXT } from "./tree.js";
import { headStart, modeEnd, templateEnd } from "./tree-modes.js";

/** The rule class of each tag id, for start and end tags: one array read instead of several set lookups. */
const START = new Uint8Array(TAG_IDS);
const END = new Uint8Array(TAG_IDS);
const HEAD_TAG = 1;
const CLOSES_P = 2;
const FORMATTING = 3;
const VOID_FRAMESET_OFF = 4;
const IGNORED = 5;
const BLOCK_END = 1;
const FORMATTING_END = 2;
const HEADING_END = 3;

function classify(table: Uint8Array, rule: number, names: readonly (keyof typeof T)[]): void {
  for (const name of names) table[T[name]] = rule;
}

classify(START, HEAD_TAG, ["base", "basefont", "bgsound", "link", "meta", "noframes", "script", "style", "template", "title"]);
// A word list wrapped by hand: Prettier would give each word a line of its own.
// prettier-ignore
classify(START, CLOSES_P, [
  "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl", "fieldset", "figcaption",
  "figure", "footer", "header", "hgroup", "main", "menu", "nav", "ol", "p", "search", "section", "summary", "ul",
]);
classify(START, FORMATTING, ["b", "big", "code", "em", "font", "i", "s", "small", "strike", "strong", "tt", "u"]);
classify(START, VOID_FRAMESET_OFF, ["area", "br", "embed", "img", "keygen", "wbr"]);
classify(START, IGNORED, ["caption", "col", "colgroup", "frame", "head", "tbody", "td", "tfoot", "th", "thead", "tr"]);
// A word list wrapped by hand: Prettier would give each word a line of its own.
// prettier-ignore
classify(END, BLOCK_END, [
  "address", "article", "aside", "blockquote", "button", "center", "details", "dialog", "dir", "div", "dl", "fieldset",
  "figcaption", "figure", "footer", "header", "hgroup", "listing", "main", "menu", "nav", "ol", "pre", "search", "section",
  "select", "summary", "ul",
]);
classify(END, FORMATTING_END, ["a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"]);
classify(END, HEADING_END, ["h1", "h2", "h3", "h4", "h5", "h6"]);

/** A start tag by the "in body" rules. */
export function bodyStart(tb: TreeBuilder, tag: TagToken): void {
  switch (START[tag.id]) {
    case HEAD_TAG:
      headStart(tb, tag);
      return;
    case CLOSES_P:
      tb.closeP();
      tb.insert(tag);
      return;
    case FORMATTING:
      tb.reconstruct();
      tb.list.add(tb.insert(tag), tag);
      return;
    case VOID_FRAMESET_OFF:
      tb.reconstruct();
      tb.insert(tag);
      tb.open.pop();
      tb.framesetOk = false;
      return;
    case IGNORED:
      return;
    default:
      if (tag.id !== T.other && specialStart(tb, tag)) return;
      tb.reconstruct();
      tb.insert(tag);
  }
}

/**
 * The start tags with rules of their own; false for "any other start tag". One case per rule of the
 * standard, in its order, which is easier to check against it than the same rules spread over functions.
 */
function specialStart(tb: TreeBuilder, tag: TagToken): boolean {
  const open = tb.open;
  switch (tag.id) {
    case T.html:
      return true;
    case T.body:
      if (open.bottom?.above?.is(T.body) === true && open.templates === 0) tb.framesetOk = false;
      return true;
    case T.frameset:
      return framesetStart(tb, tag);
    case T.h1:
    case T.h2:
    case T.h3:
    case T.h4:
    case T.h5:
    case T.h6:
      tb.closeP();
      if (open.top !== null && open.top.ns === HTML && (open.top.bits & HEADING) !== 0) open.pop();
      tb.insert(tag);
      return true;
    case T.pre:
    case T.listing:
      tb.closeP();
      tb.insert(tag);
      tb.ignoreLF = true;
      tb.framesetOk = false;
      return true;
    case T.form:
      if (tb.form !== null && open.templates === 0) return true;
      tb.closeP();
      if (open.templates === 0) tb.form = tb.insert(tag);
      else tb.insert(tag);
      return true;
    case T.li:
    case T.dd:
    case T.dt:
      return itemStart(tb, tag);
    case T.plaintext:
      tb.closeP();
      tb.insert(tag);
      tb.next = S.PLAINTEXT;
      return true;
    case T.button:
      if (open.has(K_SCOPE, "button")) {
        tb.generateImpliedEndTags();
        tb.popUntilHtml(T.button);
      }
      tb.reconstruct();
      tb.insert(tag);
      tb.framesetOk = false;
      return true;
    case T.a:
      return anchorStart(tb, tag);
    case T.nobr:
      tb.reconstruct();
      if (open.has(K_SCOPE, "nobr")) {
        adoption(tb, tag);
        tb.reconstruct();
      }
      tb.list.add(tb.insert(tag), tag);
      return true;
    case T.applet:
    case T.marquee:
    case T.object:
      tb.reconstruct();
      tb.insert(tag);
      tb.list.pushMarker();
      tb.framesetOk = false;
      return true;
    case T.table:
      if (!tb.quirks) tb.closeP();
      tb.insert(tag);
      tb.framesetOk = false;
      tb.mode = IN_TABLE;
      return true;
    case T.input:
      if (open.has(K_SCOPE, "select")) tb.popUntilHtml(T.select);
      tb.reconstruct();
      tb.insert(tag);
      open.pop();
      if (!tag.typeHidden) tb.framesetOk = false;
      return true;
    case T.param:
    case T.source:
    case T.track:
      tb.insert(tag);
      open.pop();
      return true;
    case T.hr:
      tb.closeP();
      if (open.has(K_SCOPE, "select")) tb.generateImpliedEndTags();
      tb.insert(tag);
      open.pop();
      tb.framesetOk = false;
      return true;
    case T.image:
      tag.name = "img";
      tag.id = T.img;
      tb.dispatchStart(tag);
      return true;
    default:
      return textStart(tb, tag) || selectStart(tb, tag) || rubyStart(tb, tag) || foreignRootStart(tb, tag);
  }
}

function framesetStart(tb: TreeBuilder, tag: TagToken): boolean {
  const open = tb.open;
  if (open.bottom?.above?.is(T.body) !== true || !tb.framesetOk) return true;
  while (open.top !== open.bottom) open.pop();
  tb.insert(tag);
  tb.mode = IN_FRAMESET;
  return true;
}

/** li, dd, dt: close an open item of the same kind unless a special element other than address, div or p is in between. */
function itemStart(tb: TreeBuilder, tag: TagToken): boolean {
  tb.framesetOk = false;
  const open = tb.open;
  const item = tag.id === T.li ? open.find(K_ITEM, "li") : (open.find(K_ITEM, "dd") ?? open.find(K_ITEM, "dt"));
  if (item !== null) {
    tb.generateImpliedEndTags(item.name);
    open.popTo(item);
  }
  tb.closeP();
  tb.insert(tag);
  return true;
}

function anchorStart(tb: TreeBuilder, tag: TagToken): boolean {
  const entry = tb.list.lastAfterMarker(tag);
  if (entry !== null) {
    const a = entry.node;
    adoption(tb, tag);
    if (a.entry !== null) tb.list.remove(a.entry);
    if (a.onStack) tb.open.remove(a);
  }
  tb.reconstruct();
  tb.list.add(tb.insert(tag), tag);
  return true;
}

/** Elements whose content is text (RCDATA or RAWTEXT). */
function textStart(tb: TreeBuilder, tag: TagToken): boolean {
  switch (tag.id) {
    case T.textarea:
      tb.insert(tag);
      tb.ignoreLF = true;
      tb.next = S.RCDATA;
      tb.original = tb.mode;
      tb.framesetOk = false;
      tb.mode = TEXT;
      return true;
    case T.xmp:
      tb.closeP();
      tb.reconstruct();
      tb.framesetOk = false;
      tb.insertRawText(tag, S.RAWTEXT);
      return true;
    case T.iframe:
      tb.framesetOk = false;
      tb.insertRawText(tag, S.RAWTEXT);
      return true;
    case T.noscript:
      // With scripting disabled, noscript is "any other start tag": its contents are markup.
      if (!tb.scripting) return false;
      tb.insertRawText(tag, S.RAWTEXT);
      return true;
    case T.noembed:
      tb.insertRawText(tag, S.RAWTEXT);
      return true;
    default:
      return false;
  }
}

/** select, option and optgroup as the standard has them now: no "in select" mode, select contents parse as in body. */
function selectStart(tb: TreeBuilder, tag: TagToken): boolean {
  const open = tb.open;
  const inSelect = open.has(K_SCOPE, "select");
  if (tag.id === T.select) {
    if (inSelect) {
      tb.popUntilHtml(T.select);
      return true;
    }
    tb.reconstruct();
    tb.insert(tag);
    tb.framesetOk = false;
    return true;
  }
  if (tag.id !== T.option && tag.id !== T.optgroup) return false;
  if (inSelect) tb.generateImpliedEndTags(tag.id === T.option ? "optgroup" : "");
  else if (open.top?.is(T.option) === true) open.pop();
  tb.reconstruct();
  tb.insert(tag);
  return true;
}

function rubyStart(tb: TreeBuilder, tag: TagToken): boolean {
  const id = tag.id;
  if (id !== T.rb && id !== T.rtc && id !== T.rp && id !== T.rt) return false;
  if (tb.open.has(K_SCOPE, "ruby")) tb.generateImpliedEndTags(id === T.rp || id === T.rt ? "rtc" : "");
  tb.insert(tag);
  return true;
}

function foreignRootStart(tb: TreeBuilder, tag: TagToken): boolean {
  if (tag.id !== T.math && tag.id !== T.svg) return false;
  tb.reconstruct();
  tb.insertForeign(tag, tag.id === T.math ? MATHML : SVG);
  if (tag.selfClosing) tb.open.pop();
  return true;
}

/** An end tag by the "in body" rules. */
export function bodyEnd(tb: TreeBuilder, tag: TagToken): void {
  const open = tb.open;
  const id = tag.id;
  switch (END[id]) {
    case BLOCK_END:
      if (!open.has(K_SCOPE, tag.name)) return;
      tb.generateImpliedEndTags();
      tb.popUntilHtml(id);
      return;
    case FORMATTING_END:
      if (!adoption(tb, tag)) anyOtherEnd(tb, tag);
      return;
    case HEADING_END:
      if (!open.hasHeadingInScope()) return;
      tb.generateImpliedEndTags();
      open.popUntilHtmlWith(HEADING);
      open.pop();
      return;
  }
  switch (id) {
    case T.template:
      return templateEnd(tb);
    case T.body:
    case T.html:
      if (!open.has(K_SCOPE, "body")) return;
      tb.mode = AFTER_BODY;
      return id === T.html ? modeEnd(tb, tag) : undefined;
    case T.form:
      return formEnd(tb);
    case T.p:
      if (!open.has(K_BUTTON, "p")) tb.insertHtml("p");
      return tb.closeP();
    case T.li:
    case T.dd:
    case T.dt:
      if (!open.has(id === T.li ? K_LIST : K_SCOPE, tag.name)) return;
      tb.generateImpliedEndTags(tag.name);
      return tb.popUntilHtml(id);
    case T.applet:
    case T.marquee:
    case T.object:
      if (!open.has(K_SCOPE, tag.name)) return;
      tb.generateImpliedEndTags();
      tb.popUntilHtml(id);
      return tb.list.clearToLastMarker();
    case T.br:
      // </br> is a <br> without attributes.
      tb.reconstruct();
      tb.insertHtml("br");
      open.pop();
      tb.framesetOk = false;
      return;
    default:
      return anyOtherEnd(tb, tag);
  }
}

function formEnd(tb: TreeBuilder): void {
  const open = tb.open;
  if (open.templates > 0) {
    if (!open.has(K_SCOPE, "form")) return;
    tb.generateImpliedEndTags();
    tb.popUntilHtml(T.form);
    return;
  }
  const node = tb.form;
  tb.form = null;
  if (node === null || !open.hasNode(K_SCOPE, node)) return;
  tb.generateImpliedEndTags();
  open.remove(node);
}

/** "Any other end tag": closes the nearest HTML element of that name unless a special element is nearer. */
export function anyOtherEnd(tb: TreeBuilder, tag: TagToken): void {
  const open = tb.open;
  if (tag.fuzzy && open.uncertain(K_SPECIAL, tag.name)) throw new GiveUp(`cannot tell which element </${tag.name}> closes`);
  const node = open.find(K_SPECIAL, tag.name);
  if (node === null) return;
  tb.generateImpliedEndTags(tag.name);
  open.popTo(node);
}
