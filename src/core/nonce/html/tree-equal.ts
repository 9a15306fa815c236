// When two models of one body (the scripting-on and scripting-off parses, tag-stamper.ts) are in the same
// state: equal in every field that can decide anything later (tokenizer state, insertion modes, the stack
// of open elements, active formatting elements, head and form pointers, frameset-ok, quirks...). From such
// a point the two parses treat every later byte alike but a <noscript> start tag, so one model suffices.

import type { FormattingEntry } from "./formatting.js";
import { isMarker } from "./formatting.js";
import type { OpenElement } from "./open-elements.js";
import { DATA } from "./states.js";
import type { Meter, Tokenizer } from "./tokenizer.js";
import { IN_TABLE_TEXT, TEXT, type TreeBuilder } from "./tree.js";

/** One model: its tokenizer and the tree model it feeds. */
export interface Model {
  readonly tokenizer: Tokenizer;
  readonly tree: TreeBuilder;
}

/**
 * Whether `a` and `b`, having read the same bytes, are in the same state. Only asked between tokens in
 * the data state, where the tokenizer's per-token scratch (tag being read, attribute value routing,
 * character reference, keyword progress, end-tag name matching, CDATA brackets) is dead: every later
 * token starts it afresh. Walks both stacks and lists: `meter` counts the elements compared.
 */
export function sameState(a: Model, b: Model, meter: Meter): boolean {
  const ta = a.tokenizer;
  const tb = b.tokenizer;
  const x = a.tree;
  const y = b.tree;
  return (
    // Tokenizer. The data state in both (the only state asked about: see above), at the same offset.
    ta.state === DATA &&
    tb.state === DATA &&
    ta.base === tb.base &&
    // Between tokens: no characters pending, no start tag held back, the next character is the first after a token.
    ta.run === -1 &&
    tb.run === -1 &&
    ta.hold === -1 &&
    tb.hold === -1 &&
    ta.afterToken === tb.afterToken &&
    // A line feed to drop (after CR LF following <pre>) and whether text is being skipped.
    ta.dropLF === tb.dropLF &&
    ta.fast === tb.fast &&
    // lastStartTag and textState are read only in the RCDATA/RAWTEXT/script states, which a start tag
    // enters after setting both; the data state does not read them.
    // Tree: the insertion mode; the original mode is read only when leaving TEXT or table text.
    x.mode === y.mode &&
    ((x.mode !== TEXT && x.mode !== IN_TABLE_TEXT) || x.original === y.original) &&
    // Pending table text is settled before any other token: only in table text does it count.
    (x.mode !== IN_TABLE_TEXT || x.tableTextDirty === y.tableTextDirty) &&
    // The stack of template insertion modes (reset mode reads its top; </template> pops it).
    x.templateModes.length === y.templateModes.length &&
    x.templateModes.every((m, i) => m === y.templateModes[i]) &&
    // Frameset-ok (<frameset>, and whether characters matter), quirks (<table> closing a <p>), and the
    // line feed a <pre>, <listing> or <textarea> drops as the next token.
    x.framesetOk === y.framesetOk &&
    x.quirks === y.quirks &&
    x.ignoreLF === y.ignoreLF &&
    // The pointers: both null, or both elements at the same place (on the stack, or both off it).
    (x.head === null) === (y.head === null) &&
    (x.form === null) === (y.form === null) &&
    (x.head?.onStack ?? false) === (y.head?.onStack ?? false) &&
    (x.form?.onStack ?? false) === (y.form?.onStack ?? false) &&
    // The stacks and the lists of active formatting elements, element by element.
    sameStacks(a.tree, b.tree, meter)
  );
}

/** The same element as far as any rule can tell: name, tag id, namespace, category bits, uncertain name. */
function sameElement(m: OpenElement, n: OpenElement): boolean {
  return m.name === n.name && m.id === n.id && m.ns === n.ns && m.bits === n.bits && m.fuzzy === n.fuzzy && m.onStack === n.onStack;
}

/**
 * The lists of active formatting elements, entry by entry: markers in the same places, the same element
 * (on the stack or not), the same attribute signature (Noah's Ark compares them), the same marker depth;
 * and the same counts beside them. Which stack element each entry is is checked with the stacks.
 */
function sameLists(x: TreeBuilder, y: TreeBuilder, meter: Meter): Map<FormattingEntry, FormattingEntry> | null {
  if (!x.list.sameCounts(y.list)) return null;
  const pairs = new Map<FormattingEntry, FormattingEntry>();
  let e: FormattingEntry | null = x.list.head;
  let f: FormattingEntry | null = y.list.head;
  for (; e !== null && f !== null; e = e.next, f = f.next) {
    meter.steps++;
    if (isMarker(e) !== isMarker(f) || e.depth !== f.depth) return null;
    if (isMarker(e)) continue;
    if (!sameElement(e.node, f.node) || e.signature !== f.signature || e.hash !== f.hash || e.fuzzy !== f.fuzzy) return null;
    pairs.set(e, f);
  }
  return e === null && f === null ? pairs : null;
}

/**
 * The stacks of open elements, top down: the same elements, the head and form pointers at the same
 * places, and each element's formatting entry (if any) at the same place in the list. The scope indexes
 * (boundaries, counts kept for long segments, the mode-reset root) follow from the elements and their
 * order, and the template count from the elements.
 */
function sameStacks(x: TreeBuilder, y: TreeBuilder, meter: Meter): boolean {
  if (x.open.depth !== y.open.depth || x.open.templates !== y.open.templates) return false;
  const pairs = sameLists(x, y, meter);
  if (pairs === null) return false;
  let m = x.open.top;
  let n = y.open.top;
  for (; m !== null && n !== null; m = m.below, n = n.below) {
    meter.steps++;
    if (!sameElement(m, n)) return false;
    if ((m === x.head) !== (n === y.head) || (m === x.form) !== (n === y.form)) return false;
    if (m.entry === null ? n.entry !== null : pairs.get(m.entry) !== n.entry) return false;
  }
  return m === null && n === null;
}
