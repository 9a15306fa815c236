// The oracle for the differential tests: parse5 (the WHATWG parsing algorithm), with scripting enabled as
// in a browser (or disabled, as with JavaScript off: parse5's scriptingEnabled option), and brought to what the browser does where the two differ: parse5 8.1 still has the old
// "in select" insertion modes, while the HTML Standard (whatwg/html#10548) and Chromium now parse a
// select's contents as in body; and Chromium drops a NUL before the doctype. BROWSER_DIVERGENCES lists
// each rule this subclass changes, with a page that shows it; test/e2e/blanket-parser.test.ts checks in
// Chromium that the oracle follows the browser there and that stock parse5 does not.

import {
  Parser,
  defaultTreeAdapter,
  html,
  InsertionMode,
  type DefaultTreeAdapterMap,
  type DefaultTreeAdapterTypes,
  type Token,
} from "parse5";

type Element = DefaultTreeAdapterTypes.Element;
type TagToken = Token.TagToken;

const $ = html.TAG_ID;
const NS = html.NS;

/** Where parse5 8.1 and Chromium (and for select, the current standard) differ, each with a page that shows it. */
export const BROWSER_DIVERGENCES = [
  {
    rule: "a NUL before the doctype is dropped (parse5: quirks mode, so <table> leaves the p open)",
    html: "\0<!DOCTYPE html><p><table></table>x",
  },
  { rule: "<select> sets no insertion mode: what follows is parsed as in body", html: "<select><style>a{}</style><div>x</div></select>" },
  { rule: "<select> inside a select closes it, and is dropped", html: "<select><div>a<select>b" },
  { rule: "<option> inside a select generates implied end tags (but optgroup)", html: "<select><optgroup><option><p>a<option>b</select>" },
  { rule: "<optgroup> inside a select generates implied end tags", html: "<select><p>a<optgroup>b</select>" },
  { rule: "<hr> inside a select generates implied end tags", html: "<select><option><p>a<hr>b</select>" },
  { rule: "<input> closes an open select", html: "<select><div><input><script>x()</script>" },
  { rule: "</select> closes as a block end tag would", html: "<select><p>a</select><b>b" },
  {
    rule: "a select does not decide the insertion mode after </table> or </template>",
    html: "<table><tr><td><select><table></table><style>a</style>",
  },
  { rule: "select in a table: the table rules go on (foster parenting)", html: "<table><select><div>a</div><tr><td>b</td></tr></table>" },
] as const;

const TABLE_MODES: readonly InsertionMode[] = [InsertionMode.IN_TABLE, InsertionMode.IN_TABLE_BODY, InsertionMode.IN_ROW];
const BODY_MODES: readonly InsertionMode[] = [InsertionMode.IN_BODY, InsertionMode.IN_CAPTION, InsertionMode.IN_CELL];

function isHiddenInput(token: TagToken): boolean {
  return token.attrs.some((a) => a.name === "type" && a.value.toLowerCase() === "hidden");
}

/** parse5 with the current standard's select rules. */
class CurrentParser extends Parser<DefaultTreeAdapterMap> {
  override _resetInsertionMode(): void {
    const { items, tagIDs, stackTop } = this.openElements;
    for (let i = stackTop; i >= 0; i--) {
      const node = items[i];
      if (node === undefined || this.treeAdapter.getNamespaceURI(node as Element) !== NS.HTML) continue;
      const last = i === 0;
      const mode = modeFor(tagIDs[i], last, this);
      if (mode !== null) {
        this.insertionMode = mode;
        return;
      }
    }
    this.insertionMode = InsertionMode.IN_BODY;
  }

  override _startTagOutsideForeignContent(token: TagToken): void {
    const before = this.insertionMode;
    if (this.selectStart(token)) return;
    super._startTagOutsideForeignContent(token);
    // A <select> reached through a path parse5 handles itself (before the body existed) set "in select".
    if (this.insertionMode === InsertionMode.IN_SELECT || this.insertionMode === InsertionMode.IN_SELECT_IN_TABLE) {
      this.insertionMode = TABLE_MODES.includes(before) || BODY_MODES.includes(before) ? before : InsertionMode.IN_BODY;
    }
  }

  override onNullCharacter(token: Token.CharacterToken): void {
    if (this.insertionMode !== InsertionMode.INITIAL) super.onNullCharacter(token);
  }

  override _endTagOutsideForeignContent(token: TagToken): void {
    if (token.tagID !== $.SELECT || !this.toBodyRules()) {
      super._endTagOutsideForeignContent(token);
      return;
    }
    if (!this.openElements.hasInScope($.SELECT)) return;
    this.openElements.generateImpliedEndTags();
    this.openElements.popUntilTagNamePopped($.SELECT);
  }

  /** Switch to the mode whose rules the token ends up in, as parse5 would; false when it is not "in body". */
  private toBodyRules(): boolean {
    const mode = this.insertionMode;
    if (BODY_MODES.includes(mode) || TABLE_MODES.includes(mode)) return true;
    if (mode === InsertionMode.IN_TEMPLATE) return false;
    if (mode === InsertionMode.AFTER_BODY || mode === InsertionMode.AFTER_AFTER_BODY) {
      this.insertionMode = InsertionMode.IN_BODY;
      return true;
    }
    if (mode === InsertionMode.IN_COLUMN_GROUP && this.openElements.currentTagId === $.COLGROUP) {
      this.openElements.pop();
      this.insertionMode = InsertionMode.IN_TABLE;
      return true;
    }
    return false;
  }

  private selectStart(token: TagToken): boolean {
    const id = token.tagID;
    if (id !== $.SELECT && id !== $.OPTION && id !== $.OPTGROUP && id !== $.HR && id !== $.INPUT) return false;
    const mode = this.insertionMode;
    if (TABLE_MODES.includes(mode) && id === $.INPUT && isHiddenInput(token)) return false;
    if (mode === InsertionMode.IN_TEMPLATE) {
      this.tmplInsertionModeStack[this.tmplInsertionModeStack.length - 1] = InsertionMode.IN_BODY;
      this.insertionMode = InsertionMode.IN_BODY;
    } else if (mode === InsertionMode.IN_COLUMN_GROUP && this.openElements.currentTagId !== $.COLGROUP) {
      return true;
    } else if (!this.toBodyRules()) {
      return false;
    }
    const foster = TABLE_MODES.includes(this.insertionMode);
    this.fosterParentingEnabled = foster;
    this.bodySelectRule(token);
    this.fosterParentingEnabled = false;
    return true;
  }

  /** The "in body" rules for select, option, optgroup, hr and input, as the standard has them now. */
  private bodySelectRule(token: TagToken): void {
    const open = this.openElements;
    const inSelect = open.hasInScope($.SELECT);
    switch (token.tagID) {
      case $.SELECT:
        if (inSelect) {
          open.popUntilTagNamePopped($.SELECT);
          return;
        }
        this._reconstructActiveFormattingElements();
        this._insertElement(token, NS.HTML);
        this.framesetOk = false;
        return;
      case $.OPTION:
      case $.OPTGROUP:
        if (inSelect) {
          if (token.tagID === $.OPTION) open.generateImpliedEndTagsWithExclusion($.OPTGROUP);
          else open.generateImpliedEndTags();
        } else if (open.currentTagId === $.OPTION) {
          open.pop();
        }
        this._reconstructActiveFormattingElements();
        this._insertElement(token, NS.HTML);
        return;
      case $.HR:
        if (open.hasInButtonScope($.P)) this._closePElement();
        if (inSelect) open.generateImpliedEndTags();
        this._appendElement(token, NS.HTML);
        this.framesetOk = false;
        token.ackSelfClosing = true;
        return;
      default:
        if (inSelect) open.popUntilTagNamePopped($.SELECT);
        this._reconstructActiveFormattingElements();
        this._appendElement(token, NS.HTML);
        if (!isHiddenInput(token)) this.framesetOk = false;
        token.ackSelfClosing = true;
    }
  }
}

function modeFor(id: number | undefined, last: boolean, p: CurrentParser): InsertionMode | null {
  switch (id) {
    case $.TD:
    case $.TH:
      return last ? null : InsertionMode.IN_CELL;
    case $.TR:
      return InsertionMode.IN_ROW;
    case $.TBODY:
    case $.THEAD:
    case $.TFOOT:
      return InsertionMode.IN_TABLE_BODY;
    case $.CAPTION:
      return InsertionMode.IN_CAPTION;
    case $.COLGROUP:
      return InsertionMode.IN_COLUMN_GROUP;
    case $.TABLE:
      return InsertionMode.IN_TABLE;
    case $.TEMPLATE:
      return p.tmplInsertionModeStack[p.tmplInsertionModeStack.length - 1] ?? InsertionMode.IN_BODY;
    case $.HEAD:
      return last ? null : InsertionMode.IN_HEAD;
    case $.BODY:
      return InsertionMode.IN_BODY;
    case $.FRAMESET:
      return InsertionMode.IN_FRAMESET;
    case $.HTML:
      return p.headElement === null ? InsertionMode.BEFORE_HEAD : InsertionMode.AFTER_HEAD;
    default:
      return null;
  }
}

/** Parse a document (a string of the body's bytes read as Latin-1, so offsets are byte offsets). */
export function parseDocument(text: string, current = true, scripting = true): DefaultTreeAdapterTypes.Document {
  const options = { sourceCodeLocationInfo: true, scriptingEnabled: scripting };
  return current ? CurrentParser.parse<DefaultTreeAdapterMap>(text, options) : Parser.parse<DefaultTreeAdapterMap>(text, options);
}

/**
 * Every element the parser creates, in order, with the tree. Not the same as the elements in the tree:
 * a <frameset> can still replace a body whose scripts have already run.
 */
export function createdElements(text: string, scripting = true): { document: DefaultTreeAdapterTypes.Document; created: Element[] } {
  const created: Element[] = [];
  const treeAdapter = {
    ...defaultTreeAdapter,
    createElement(tagName: string, namespaceURI: html.NS, attrs: Token.Attribute[]): Element {
      const element = defaultTreeAdapter.createElement(tagName, namespaceURI, attrs);
      created.push(element);
      return element;
    },
  };
  const document = CurrentParser.parse<DefaultTreeAdapterMap>(text, {
    sourceCodeLocationInfo: true,
    scriptingEnabled: scripting,
    treeAdapter,
  });
  return { document, created };
}
