// The insertion modes around the body (§13.2.6.4): initial, before html, before head, in head, after
// head, text, in template, after body, the frameset modes; and the dispatch of every token to its mode.

import { GiveUp } from "./give-up.js";
import * as S from "./states.js";
import type { TagToken } from "./tag-token.js";
import { T } from "./tags.js";
import * as M from "./tree.js";
import type { TreeBuilder } from "./tree.js";
import { tableModeEnd, tableModeStart, tableModeChars } from "./tree-table.js";

/** A start tag, by the rules of the current insertion mode (one case per mode, as the standard lists them). */
export function modeStart(tb: TreeBuilder, tag: TagToken): void {
  switch (tb.mode) {
    case M.INITIAL:
      tb.quirks = true;
      tb.mode = M.BEFORE_HTML;
      return tb.dispatchStart(tag);
    case M.BEFORE_HTML:
      if (tag.id === T.html) tb.insert(tag);
      else tb.insertHtml("html");
      tb.mode = M.BEFORE_HEAD;
      return tag.id === T.html ? undefined : tb.dispatchStart(tag);
    case M.BEFORE_HEAD:
      if (tag.id === T.html) return tb.bodyStart(tag);
      tb.head = tag.id === T.head ? tb.insert(tag) : tb.insertHtml("head");
      tb.mode = M.IN_HEAD;
      return tag.id === T.head ? undefined : tb.dispatchStart(tag);
    case M.IN_HEAD:
      if (headStart(tb, tag)) return;
      tb.open.pop();
      tb.mode = M.AFTER_HEAD;
      return tb.dispatchStart(tag);
    case M.IN_HEAD_NOSCRIPT:
      return headNoscriptStart(tb, tag);
    case M.AFTER_HEAD:
      return afterHeadStart(tb, tag);
    case M.IN_BODY:
      return tb.bodyStart(tag);
    case M.IN_TEMPLATE:
      return templateStart(tb, tag);
    case M.AFTER_BODY:
    case M.AFTER_AFTER_BODY:
      if (tag.id === T.html) return tb.bodyStart(tag);
      tb.mode = M.IN_BODY;
      return tb.dispatchStart(tag);
    case M.IN_FRAMESET:
      if (tag.id === T.frameset) tb.insert(tag);
      else if (tag.id === T.frame) {
        tb.insert(tag);
        tb.open.pop();
      } else framesetOther(tb, tag);
      return;
    case M.AFTER_FRAMESET:
    case M.AFTER_AFTER_FRAMESET:
      return framesetOther(tb, tag);
    case M.TEXT:
    case M.IN_TABLE_TEXT:
      throw new GiveUp(`a start tag in insertion mode ${tb.mode}`);
    default:
      return tableModeStart(tb, tag);
  }
}

const HEAD_IN_HEAD_NOSCRIPT = new Set([T.basefont, T.bgsound, T.link, T.meta, T.noframes, T.style]);

/** "In head noscript" (scripting disabled): a few head elements stay, anything else ends the noscript. */
function headNoscriptStart(tb: TreeBuilder, tag: TagToken): void {
  if (tag.id === T.html) return tb.bodyStart(tag);
  if (HEAD_IN_HEAD_NOSCRIPT.has(tag.id)) {
    headStart(tb, tag);
    return;
  }
  if (tag.id === T.head || tag.id === T.noscript) return;
  leaveHeadNoscript(tb);
  tb.dispatchStart(tag);
}

/** Pop the noscript and go back to "in head" (the token is then reprocessed there). */
function leaveHeadNoscript(tb: TreeBuilder): void {
  tb.open.pop();
  tb.mode = M.IN_HEAD;
}

/** In the frameset modes: html as in body, noframes as in head, anything else ignored. */
function framesetOther(tb: TreeBuilder, tag: TagToken): void {
  if (tag.id === T.html) tb.bodyStart(tag);
  else if (tag.id === T.noframes) headStart(tb, tag);
}

/** The "in head" start tags; false for "anything else". */
export function headStart(tb: TreeBuilder, tag: TagToken): boolean {
  switch (tag.id) {
    case T.html:
      tb.bodyStart(tag);
      return true;
    case T.base:
    case T.basefont:
    case T.bgsound:
    case T.link:
    case T.meta:
      tb.insert(tag);
      tb.open.pop();
      return true;
    case T.title:
      tb.insertRawText(tag, S.RCDATA);
      return true;
    case T.noscript:
      if (!tb.scripting) {
        tb.insert(tag);
        tb.mode = M.IN_HEAD_NOSCRIPT;
        return true;
      }
      tb.insertRawText(tag, S.RAWTEXT);
      return true;
    case T.noframes:
    case T.style:
      tb.insertRawText(tag, S.RAWTEXT);
      return true;
    case T.script:
      tb.insertRawText(tag, S.SCRIPT_DATA);
      return true;
    case T.template:
      tb.insert(tag);
      tb.list.pushMarker();
      tb.framesetOk = false;
      tb.mode = M.IN_TEMPLATE;
      tb.templateModes.push(M.IN_TEMPLATE);
      return true;
    case T.head:
      return true;
    default:
      return false;
  }
}

const HEAD_IN_AFTER_HEAD = new Set([T.base, T.basefont, T.bgsound, T.link, T.meta, T.noframes, T.script, T.style, T.template, T.title]);

function afterHeadStart(tb: TreeBuilder, tag: TagToken): void {
  if (tag.id === T.html) return tb.bodyStart(tag);
  if (tag.id === T.body || tag.id === T.frameset) {
    tb.insert(tag);
    if (tag.id === T.body) tb.framesetOk = false;
    tb.mode = tag.id === T.body ? M.IN_BODY : M.IN_FRAMESET;
    return;
  }
  if (HEAD_IN_AFTER_HEAD.has(tag.id) && tb.head !== null) {
    // The head goes back on the stack for the rule, and comes off again (it may not be on top by then).
    const head = tb.head;
    tb.open.push(head);
    headStart(tb, tag);
    tb.open.remove(head);
    return;
  }
  if (tag.id === T.head) return;
  tb.insertHtml("body");
  tb.mode = M.IN_BODY;
  tb.dispatchStart(tag);
}

/** "In template": table parts switch to their table mode, anything else to in body. */
function templateStart(tb: TreeBuilder, tag: TagToken): void {
  if (HEAD_IN_AFTER_HEAD.has(tag.id)) {
    headStart(tb, tag);
    return;
  }
  const id = tag.id;
  const mode =
    id === T.caption || id === T.colgroup || id === T.tbody || id === T.tfoot || id === T.thead
      ? M.IN_TABLE
      : id === T.col
        ? M.IN_COLUMN_GROUP
        : id === T.tr
          ? M.IN_TABLE_BODY
          : id === T.td || id === T.th
            ? M.IN_ROW
            : M.IN_BODY;
  tb.templateModes.pop();
  tb.templateModes.push(mode);
  tb.mode = mode;
  tb.dispatchStart(tag);
}

/** "</template>" wherever the in-head rules handle it. */
export function templateEnd(tb: TreeBuilder): void {
  if (tb.open.templates === 0) return;
  tb.generateImpliedEndTags("", true);
  tb.popUntilHtml(T.template);
  tb.list.clearToLastMarker();
  tb.templateModes.pop();
  tb.resetMode();
}

const isHeadBodyHtmlBr = (id: number): boolean => id === T.head || id === T.body || id === T.html || id === T.br;

/** An end tag, by the rules of the current insertion mode (one case per mode, as the standard lists them). */
export function modeEnd(tb: TreeBuilder, tag: TagToken): void {
  const id = tag.id;
  switch (tb.mode) {
    case M.INITIAL:
      tb.quirks = true;
      tb.mode = M.BEFORE_HTML;
      return modeEnd(tb, tag);
    case M.BEFORE_HTML:
      if (!isHeadBodyHtmlBr(id)) return;
      tb.insertHtml("html");
      tb.mode = M.BEFORE_HEAD;
      return modeEnd(tb, tag);
    case M.BEFORE_HEAD:
      if (!isHeadBodyHtmlBr(id)) return;
      tb.head = tb.insertHtml("head");
      tb.mode = M.IN_HEAD;
      return modeEnd(tb, tag);
    case M.IN_HEAD:
      if (id === T.template) return templateEnd(tb);
      if (id !== T.head && !isHeadBodyHtmlBr(id)) return;
      tb.open.pop();
      tb.mode = M.AFTER_HEAD;
      return id === T.head ? undefined : modeEnd(tb, tag);
    case M.IN_HEAD_NOSCRIPT:
      if (id !== T.noscript && id !== T.br) return;
      leaveHeadNoscript(tb);
      return id === T.noscript ? undefined : modeEnd(tb, tag);
    case M.AFTER_HEAD:
      if (id === T.template) return templateEnd(tb);
      if (id === T.head || !isHeadBodyHtmlBr(id)) return;
      tb.insertHtml("body");
      tb.mode = M.IN_BODY;
      return modeEnd(tb, tag);
    case M.IN_BODY:
      return tb.bodyEnd(tag);
    case M.TEXT:
      tb.open.pop();
      tb.mode = tb.original;
      return;
    case M.IN_TEMPLATE:
      if (id === T.template) templateEnd(tb);
      return;
    case M.AFTER_BODY:
    case M.AFTER_AFTER_BODY:
      if (id === T.html && tb.mode === M.AFTER_BODY) {
        tb.mode = M.AFTER_AFTER_BODY;
        return;
      }
      tb.mode = M.IN_BODY;
      return modeEnd(tb, tag);
    case M.IN_FRAMESET:
      if (id !== T.frameset || tb.open.top === tb.open.bottom) return;
      tb.open.pop();
      if (tb.open.top?.is(T.frameset) !== true) tb.mode = M.AFTER_FRAMESET;
      return;
    case M.AFTER_FRAMESET:
      if (id === T.html) tb.mode = M.AFTER_AFTER_FRAMESET;
      return;
    case M.AFTER_AFTER_FRAMESET:
    case M.IN_TABLE_TEXT:
      return;
    default:
      return tableModeEnd(tb, tag);
  }
}

/** Before <html>, <head> and <body> exist, a non-whitespace character creates what is missing. */
function impliedByText(tb: TreeBuilder): void {
  switch (tb.mode) {
    case M.INITIAL:
      tb.quirks = true;
      tb.mode = M.BEFORE_HTML;
      return;
    case M.BEFORE_HTML:
      tb.insertHtml("html");
      tb.mode = M.BEFORE_HEAD;
      return;
    case M.BEFORE_HEAD:
      tb.head = tb.insertHtml("head");
      tb.mode = M.IN_HEAD;
      return;
    case M.IN_HEAD:
      tb.open.pop();
      tb.mode = M.AFTER_HEAD;
      return;
    default:
      tb.insertHtml("body");
      tb.mode = M.IN_BODY;
  }
}

/** A run of characters of one class, by the rules of the current insertion mode. */
export function modeChars(tb: TreeBuilder, kind: number): void {
  for (;;) {
    switch (tb.mode) {
      case M.INITIAL:
        // Chromium drops a NUL before the doctype (the standard would set quirks mode): follow the browser.
        if (kind === S.WHITESPACE || kind === S.NUL) return;
        impliedByText(tb);
        continue;
      case M.BEFORE_HTML:
      case M.BEFORE_HEAD:
      case M.IN_HEAD:
      case M.AFTER_HEAD:
        if (kind === S.WHITESPACE) return;
        impliedByText(tb);
        continue;
      case M.IN_HEAD_NOSCRIPT:
        if (kind === S.WHITESPACE) return;
        leaveHeadNoscript(tb);
        continue;
      case M.IN_BODY:
      case M.IN_CAPTION:
      case M.IN_CELL:
      case M.IN_TEMPLATE:
        return bodyChars(tb, kind);
      case M.AFTER_BODY:
      case M.AFTER_AFTER_BODY:
        if (kind === S.WHITESPACE) return bodyChars(tb, kind);
        tb.mode = M.IN_BODY;
        continue;
      case M.AFTER_AFTER_FRAMESET:
        if (kind === S.WHITESPACE) bodyChars(tb, kind);
        return;
      case M.TEXT:
      case M.IN_FRAMESET:
      case M.AFTER_FRAMESET:
        return;
      default:
        if (!tableModeChars(tb, kind)) return;
    }
  }
}

/** Characters by the "in body" rules. */
export function bodyChars(tb: TreeBuilder, kind: number): void {
  if (kind === S.NUL) return;
  tb.reconstruct();
  if (kind === S.OTHER_CHAR) tb.framesetOk = false;
}
