// A model of HTML tree construction (WHATWG HTML §13.2.6) without a DOM: it keeps exactly what decides
// which elements the parser creates, in which namespace, and which state the tokenizer goes on in: the
// stack of open elements, the insertion mode, template modes, active formatting elements, the head and
// form pointers, frameset-ok, quirks mode and pending table text. Scripting is enabled, as in a browser,
// or disabled (the stamper runs a second model so, from the first <noscript> on: tag-stamper.ts).
// <select> follows the current standard and Chromium (select contents parsed as in body), not parse5.

import { bodyEnd, bodyStart } from "./tree-body.js";
import { foreignEnd, foreignStart } from "./tree-foreign.js";
import { modeChars, modeEnd, modeStart } from "./tree-modes.js";
import { FormattingList, isMarker, type FormattingEntry } from "./formatting.js";
import { K_BUTTON, OpenElement, OpenElements } from "./open-elements.js";
import { isQuirky } from "./quirks.js";
import * as S from "./states.js";
import type { TagToken } from "./tag-token.js";
import {
  HTML,
  HTML_POINT,
  IMPLIED_END,
  IMPLIED_END_THOROUGH,
  MATHML,
  MATHML_TEXT_POINT,
  T,
  tagBits,
  tagId,
  type Namespace,
} from "./tags.js";
import type { DoctypeToken, Meter, TokenSink } from "./tokenizer.js";

// Insertion modes (§13.2.4.1); "in head noscript" is for scripting disabled, "in select" is gone.
export const INITIAL = 0;
export const BEFORE_HTML = 1;
export const BEFORE_HEAD = 2;
export const IN_HEAD = 3;
export const AFTER_HEAD = 4;
export const IN_BODY = 5;
export const TEXT = 6;
export const IN_TABLE = 7;
export const IN_TABLE_TEXT = 8;
export const IN_CAPTION = 9;
export const IN_COLUMN_GROUP = 10;
export const IN_TABLE_BODY = 11;
export const IN_ROW = 12;
export const IN_CELL = 13;
export const IN_TEMPLATE = 14;
export const AFTER_BODY = 15;
export const IN_FRAMESET = 16;
export const AFTER_FRAMESET = 17;
export const AFTER_AFTER_BODY = 18;
export const AFTER_AFTER_FRAMESET = 19;
/** Only with scripting disabled (a TreeBuilder made with `scripting` false). */
export const IN_HEAD_NOSCRIPT = 20;

/** The tree-construction model of one body: the tokenizer's sink. */
export class TreeBuilder implements TokenSink {
  mode = INITIAL;
  original = INITIAL;
  readonly templateModes: number[] = [];
  readonly open: OpenElements;
  readonly list: FormattingList;
  head: OpenElement | null = null;
  form: OpenElement | null = null;
  framesetOk = true;
  quirks = false;
  /** In table text: whether a pending character is not whitespace. */
  tableTextDirty = false;
  ignoreLF = false;
  /** The tokenizer state the current start tag leaves it in. */
  next = S.DATA;
  /** The start tag being processed, and the element the parser created for it, if any. */
  current: TagToken | null = null;
  created: OpenElement | null = null;

  /**
   * `scripting`: the parser's scripting flag. On, as in a browser that runs scripts (<noscript> is raw
   * text); off, as in one with JavaScript disabled, which parses <noscript>'s contents as markup.
   */
  constructor(
    readonly meter: Meter,
    readonly scripting = true,
  ) {
    this.open = new OpenElements(meter);
    this.list = new FormattingList(meter);
  }

  // The tokenizer's side.

  startTag(tag: TagToken): number {
    this.begin();
    this.next = S.DATA;
    this.current = tag;
    this.created = null;
    this.dispatchStart(tag);
    this.current = null;
    return this.next;
  }

  endTag(tag: TagToken): void {
    this.begin();
    this.dispatchEnd(tag);
  }

  chars(kind: number): void {
    this.ignoreLF = false;
    if (this.charsAreForeign()) {
      if (kind === S.OTHER_CHAR) this.framesetOk = false;
      return;
    }
    modeChars(this, kind);
  }

  comment(): void {
    this.begin();
  }

  doctype(token: DoctypeToken): void {
    this.begin();
    if (this.mode !== INITIAL) return;
    this.quirks = isQuirky(token);
    this.mode = BEFORE_HTML;
  }

  charsMatter(): boolean {
    if (this.mode === TEXT) return false;
    if (this.ignoreLF) return true;
    if (this.charsAreForeign()) return this.framesetOk;
    switch (this.mode) {
      case IN_BODY:
      case IN_CAPTION:
      case IN_CELL:
      case IN_TEMPLATE:
        return this.framesetOk || this.list.needsReconstruct();
      case IN_FRAMESET:
      case AFTER_FRAMESET:
        return false;
      case AFTER_AFTER_FRAMESET:
        return this.list.needsReconstruct();
      default:
        return true;
    }
  }

  cdataAllowed(): boolean {
    // The markup declaration open state asks whether the adjusted current node is foreign. Chromium and
    // parse5 answer as the dispatcher does for character tokens: a MathML text integration point or an
    // HTML integration point counts as HTML, so `<![CDATA[` there is a bogus comment ending at the first ">".
    return this.charsAreForeign();
  }

  // Dispatch (§13.2.6 "tree construction dispatcher").

  /** A token other than characters: drop a pending line-feed skip, settle pending table text. */
  private begin(): void {
    this.ignoreLF = false;
    if (this.mode !== IN_TABLE_TEXT) return;
    if (this.tableTextDirty) {
      // Non-whitespace table text goes through "in body" with foster parenting.
      this.reconstruct();
      this.framesetOk = false;
    }
    this.mode = this.original;
  }

  dispatchStart(tag: TagToken): void {
    const top = this.open.top;
    if (top !== null && top.ns !== HTML && !this.startIsHtml(top, tag)) foreignStart(this, tag);
    else modeStart(this, tag);
  }

  dispatchEnd(tag: TagToken): void {
    const top = this.open.top;
    if (top !== null && top.ns !== HTML) foreignEnd(this, tag);
    else modeEnd(this, tag);
  }

  private startIsHtml(top: OpenElement, tag: TagToken): boolean {
    if ((top.bits & MATHML_TEXT_POINT) !== 0) return tag.name !== "mglyph" && tag.name !== "malignmark";
    if (top.ns === MATHML && top.id === T.annotation_xml && tag.id === T.svg) return true;
    return (top.bits & HTML_POINT) !== 0;
  }

  private charsAreForeign(): boolean {
    const top = this.open.top;
    return top !== null && top.ns !== HTML && (top.bits & (MATHML_TEXT_POINT | HTML_POINT)) === 0;
  }

  // Operations the rules share.

  /** Insert an HTML element; from the current start tag when `tag` is given, else an implied one. */
  insertHtml(name: string, tag: TagToken | null = null): OpenElement {
    const id = tag?.id ?? tagId(name);
    const node = new OpenElement(name, id, HTML, tagBits(HTML, id), tag?.fuzzy ?? false);
    this.open.push(node);
    if (tag !== null && tag === this.current) this.created = node;
    return node;
  }

  /** Insert the current start tag's element, as an HTML element. */
  insert(tag: TagToken): OpenElement {
    return this.insertHtml(tag.name, tag);
  }

  insertForeign(tag: TagToken, ns: Namespace): OpenElement {
    let bits = tagBits(ns, tag.id);
    if (ns === MATHML && tag.id === T.annotation_xml && tag.encodingHtml) bits |= HTML_POINT;
    const node = new OpenElement(tag.name, tag.id, ns, bits, tag.fuzzy);
    this.open.push(node);
    if (tag === this.current) this.created = node;
    return node;
  }

  /** The "generic raw text / RCDATA element parsing algorithm". */
  insertRawText(tag: TagToken, state: number): void {
    this.insert(tag);
    this.next = state;
    this.original = this.mode;
    this.mode = TEXT;
  }

  /** "Reconstruct the active formatting elements." */
  reconstruct(): void {
    let entry = this.list.tail;
    if (entry === null || !this.list.needsReconstruct()) return;
    // Back to the first entry after the last marker or element still open, then forward, making each anew.
    for (let before = entry.prev; before !== null && !isMarker(before) && !before.node.onStack; before = before.prev) {
      this.meter.steps++;
      entry = before;
    }
    for (let e: FormattingEntry | null = entry; e !== null; e = e.next) {
      const old = e.node;
      const node = new OpenElement(old.name, old.id, HTML, old.bits, old.fuzzy);
      this.open.push(node);
      old.entry = null;
      e.node = node;
      node.entry = e;
    }
  }

  generateImpliedEndTags(except = "", thorough = false): void {
    const bits = thorough ? IMPLIED_END_THOROUGH : IMPLIED_END;
    this.open.popHtmlWith(bits, except);
  }

  popUntilHtml(id: number): void {
    this.open.popToHtml(id);
  }

  /** "Close a p element", when one is in button scope. */
  closeP(): void {
    if (!this.open.has(K_BUTTON, "p")) return;
    this.generateImpliedEndTags("p");
    this.popUntilHtml(T.p);
  }

  /** "Reset the insertion mode appropriately" (select no longer counts). */
  resetMode(): void {
    const root = this.open.top?.root ?? null;
    if (root === null) {
      this.mode = IN_BODY;
      return;
    }
    const id = root.id;
    if (id === T.td || id === T.th) this.mode = IN_CELL;
    else if (id === T.tr) this.mode = IN_ROW;
    else if (id === T.tbody || id === T.thead || id === T.tfoot) this.mode = IN_TABLE_BODY;
    else if (id === T.caption) this.mode = IN_CAPTION;
    else if (id === T.colgroup) this.mode = IN_COLUMN_GROUP;
    else if (id === T.table) this.mode = IN_TABLE;
    else if (id === T.template) this.mode = this.templateModes[this.templateModes.length - 1] ?? IN_BODY;
    else if (id === T.head) this.mode = root === this.open.bottom ? IN_BODY : IN_HEAD;
    else if (id === T.body) this.mode = IN_BODY;
    else if (id === T.frameset) this.mode = IN_FRAMESET;
    else this.mode = this.head === null ? BEFORE_HEAD : AFTER_HEAD;
  }

  /** An end tag that is handled as the "in body" rules say. */
  bodyEnd(tag: TagToken): void {
    bodyEnd(this, tag);
  }

  bodyStart(tag: TagToken): void {
    bodyStart(this, tag);
  }
}
