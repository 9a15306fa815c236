// The table insertion modes (§13.2.6.4.9-15): in table, in caption, in column group, in table body, in
// row and in cell. Foster parenting only moves nodes in the DOM, so here "anything else" is in body.

import { K_TABLE } from "./open-elements.js";
import * as S from "./states.js";
import type { TagToken } from "./tag-token.js";
import { CELL, HTML, TABLE_BODY_CONTEXT, TABLE_CONTEXT, TABLE_ROW_CONTEXT, T } from "./tags.js";
import * as M from "./tree.js";
import type { TreeBuilder } from "./tree.js";
import { bodyChars, headStart, templateEnd } from "./tree-modes.js";

const ids = (...names: (keyof typeof T)[]): Set<number> => new Set(names.map((n) => T[n]));

const TABLE_PARTS = ids("caption", "col", "colgroup", "tbody", "td", "tfoot", "th", "thead", "tr");
const SECTIONS = ids("tbody", "tfoot", "thead");
const CELLS = ids("td", "th");
const TABLE_TEXT_PARENTS = ids("table", "tbody", "template", "tfoot", "thead", "tr");

function clearTo(tb: TreeBuilder, bits: number): void {
  tb.open.popUntilHtmlWith(bits);
}

/** A start tag in one of the table modes. */
export function tableModeStart(tb: TreeBuilder, tag: TagToken): void {
  switch (tb.mode) {
    case M.IN_CAPTION:
      if (TABLE_PARTS.has(tag.id)) return closeCaption(tb, true, tag);
      return tb.bodyStart(tag);
    case M.IN_COLUMN_GROUP:
      if (tag.id === T.html) return tb.bodyStart(tag);
      if (tag.id === T.col) {
        tb.insert(tag);
        tb.open.pop();
        return;
      }
      if (tag.id === T.template) {
        headStart(tb, tag);
        return;
      }
      if (leaveColumnGroup(tb)) tb.dispatchStart(tag);
      return;
    case M.IN_TABLE_BODY:
      return tableBodyStart(tb, tag);
    case M.IN_ROW:
      return rowStart(tb, tag);
    case M.IN_CELL:
      if (!TABLE_PARTS.has(tag.id)) return tb.bodyStart(tag);
      if (!tb.open.has(K_TABLE, "td") && !tb.open.has(K_TABLE, "th")) return;
      closeCell(tb);
      return tb.dispatchStart(tag);
    default:
      return tableStart(tb, tag);
  }
}

function tableStart(tb: TreeBuilder, tag: TagToken): void {
  const id = tag.id;
  if (id === T.caption || id === T.colgroup || SECTIONS.has(id)) {
    clearTo(tb, TABLE_CONTEXT);
    if (id === T.caption) tb.list.pushMarker();
    tb.insert(tag);
    tb.mode = id === T.caption ? M.IN_CAPTION : id === T.colgroup ? M.IN_COLUMN_GROUP : M.IN_TABLE_BODY;
    return;
  }
  if (id === T.col || id === T.tr || CELLS.has(id)) {
    clearTo(tb, TABLE_CONTEXT);
    tb.insertHtml(id === T.col ? "colgroup" : "tbody");
    tb.mode = id === T.col ? M.IN_COLUMN_GROUP : M.IN_TABLE_BODY;
    return tb.dispatchStart(tag);
  }
  if (id === T.table) {
    if (!tb.open.has(K_TABLE, "table")) return;
    tb.popUntilHtml(T.table);
    tb.resetMode();
    return tb.dispatchStart(tag);
  }
  if (id === T.style || id === T.script || id === T.template) {
    headStart(tb, tag);
    return;
  }
  if (id === T.input && tag.typeHidden) {
    tb.insert(tag);
    tb.open.pop();
    return;
  }
  if (id === T.form) {
    if (tb.open.templates > 0 || tb.form !== null) return;
    tb.form = tb.insert(tag);
    tb.open.pop();
    return;
  }
  tb.bodyStart(tag);
}

function tableBodyStart(tb: TreeBuilder, tag: TagToken): void {
  const id = tag.id;
  if (id === T.tr || CELLS.has(id)) {
    clearTo(tb, TABLE_BODY_CONTEXT);
    if (id === T.tr) tb.insert(tag);
    else tb.insertHtml("tr");
    tb.mode = M.IN_ROW;
    if (id !== T.tr) tb.dispatchStart(tag);
    return;
  }
  if (TABLE_PARTS.has(id)) {
    if (leaveSection(tb)) tb.dispatchStart(tag);
    return;
  }
  tableStart(tb, tag);
}

function rowStart(tb: TreeBuilder, tag: TagToken): void {
  const id = tag.id;
  if (CELLS.has(id)) {
    clearTo(tb, TABLE_ROW_CONTEXT);
    tb.insert(tag);
    tb.mode = M.IN_CELL;
    tb.list.pushMarker();
    return;
  }
  if (TABLE_PARTS.has(id)) {
    if (leaveRow(tb)) tb.dispatchStart(tag);
    return;
  }
  tableStart(tb, tag);
}

/** An end tag in one of the table modes (one case per mode, as the standard lists them). */
export function tableModeEnd(tb: TreeBuilder, tag: TagToken): void {
  const id = tag.id;
  const open = tb.open;
  switch (tb.mode) {
    case M.IN_CAPTION:
      if (id === T.caption || id === T.table) return closeCaption(tb, id === T.table, tag);
      if (id === T.body || id === T.html || (TABLE_PARTS.has(id) && id !== T.caption)) return;
      return tb.bodyEnd(tag);
    case M.IN_COLUMN_GROUP:
      if (id === T.colgroup) {
        leaveColumnGroup(tb);
        return;
      }
      if (id === T.col) return;
      if (id === T.template) return templateEnd(tb);
      if (leaveColumnGroup(tb)) tb.dispatchEnd(tag);
      return;
    case M.IN_TABLE_BODY:
      if (SECTIONS.has(id)) {
        if (!open.has(K_TABLE, tag.name)) return;
        clearTo(tb, TABLE_BODY_CONTEXT);
        open.pop();
        tb.mode = M.IN_TABLE;
        return;
      }
      if (id === T.table) {
        if (leaveSection(tb)) tb.dispatchEnd(tag);
        return;
      }
      if (id === T.body || id === T.caption || id === T.col || id === T.colgroup || id === T.html || CELLS.has(id) || id === T.tr) return;
      return tableEnd(tb, tag);
    case M.IN_ROW:
      if (id === T.tr) {
        leaveRow(tb);
        return;
      }
      if (id === T.table || SECTIONS.has(id)) {
        if (SECTIONS.has(id) && !open.has(K_TABLE, tag.name)) return;
        if (leaveRow(tb)) tb.dispatchEnd(tag);
        return;
      }
      if (id === T.body || id === T.caption || id === T.col || id === T.colgroup || id === T.html || CELLS.has(id)) return;
      return tableEnd(tb, tag);
    case M.IN_CELL:
      if (CELLS.has(id)) {
        if (!open.has(K_TABLE, tag.name)) return;
        tb.generateImpliedEndTags();
        tb.popUntilHtml(id);
        tb.list.clearToLastMarker();
        tb.mode = M.IN_ROW;
        return;
      }
      if (id === T.body || id === T.caption || id === T.col || id === T.colgroup || id === T.html) return;
      if (id === T.table || SECTIONS.has(id) || id === T.tr) {
        if (!open.has(K_TABLE, tag.name)) return;
        closeCell(tb);
        return tb.dispatchEnd(tag);
      }
      return tb.bodyEnd(tag);
    default:
      return tableEnd(tb, tag);
  }
}

function tableEnd(tb: TreeBuilder, tag: TagToken): void {
  const id = tag.id;
  if (id === T.table) {
    if (!tb.open.has(K_TABLE, "table")) return;
    tb.popUntilHtml(T.table);
    tb.resetMode();
    return;
  }
  if (id === T.body || id === T.html || TABLE_PARTS.has(id)) return;
  if (id === T.template) return templateEnd(tb);
  tb.bodyEnd(tag);
}

/** Characters in a table mode; true when the mode changed and the run must be processed again. */
export function tableModeChars(tb: TreeBuilder, kind: number): boolean {
  switch (tb.mode) {
    case M.IN_COLUMN_GROUP:
      if (kind === S.WHITESPACE) return false;
      return leaveColumnGroup(tb);
    case M.IN_TABLE_TEXT:
      if (kind === S.OTHER_CHAR) tb.tableTextDirty = true;
      return false;
    default: {
      const top = tb.open.top;
      if (top !== null && top.ns === HTML && TABLE_TEXT_PARENTS.has(top.id)) {
        tb.tableTextDirty = false;
        tb.original = tb.mode;
        tb.mode = M.IN_TABLE_TEXT;
        return true;
      }
      bodyChars(tb, kind);
      return false;
    }
  }
}

function closeCaption(tb: TreeBuilder, reprocess: boolean, tag: TagToken): void {
  if (!tb.open.has(K_TABLE, "caption")) return;
  tb.generateImpliedEndTags();
  tb.popUntilHtml(T.caption);
  tb.list.clearToLastMarker();
  tb.mode = M.IN_TABLE;
  if (!reprocess) return;
  if (tag.end) tb.dispatchEnd(tag);
  else tb.dispatchStart(tag);
}

/** "Anything else" in column group: leave it if the current node is the colgroup. */
function leaveColumnGroup(tb: TreeBuilder): boolean {
  if (tb.open.top?.is(T.colgroup) !== true) return false;
  tb.open.pop();
  tb.mode = M.IN_TABLE;
  return true;
}

/** Close the open tbody, thead or tfoot (for a table part or </table>); false when there is none in table scope. */
function leaveSection(tb: TreeBuilder): boolean {
  const open = tb.open;
  if (!open.has(K_TABLE, "tbody") && !open.has(K_TABLE, "thead") && !open.has(K_TABLE, "tfoot")) return false;
  clearTo(tb, TABLE_BODY_CONTEXT);
  open.pop();
  tb.mode = M.IN_TABLE;
  return true;
}

/** Close the open row; false when there is no tr in table scope. */
function leaveRow(tb: TreeBuilder): boolean {
  if (!tb.open.has(K_TABLE, "tr")) return false;
  clearTo(tb, TABLE_ROW_CONTEXT);
  tb.open.pop();
  tb.mode = M.IN_TABLE_BODY;
  return true;
}

function closeCell(tb: TreeBuilder): void {
  tb.generateImpliedEndTags();
  tb.open.popUntilHtmlWith(CELL);
  tb.open.pop();
  tb.list.clearToLastMarker();
  tb.mode = M.IN_ROW;
}
