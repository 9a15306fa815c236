// "<!" and what follows (§13.2.5.41-52, 69-71): the markup declaration open state, comments (where they
// end, "--!>" and "<!-->" included), bogus comments and CDATA sections. Keywords are matched a byte at a
// time, so a "<!DOCTYPE" or "<![CDATA[" split across chunks is read exactly as a whole one.

import { GiveUp } from "./give-up.js";
import * as S from "./states.js";
import { GT, LT, isSpace, type StateFn, type Tokenizer } from "./tokenizer.js";
import { doctypeStates } from "./tokenizer-doctype.js";

const DASH = 0x2d;
const BANG = 0x21;
const BRACKET = 0x5d;

function bogusComment(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  const gt = b.indexOf(GT, p);
  if (gt === -1) return end;
  t.emitComment();
  return gt + 1;
}

/** After "<!": "--" opens a comment, "DOCTYPE" (any case) a doctype, "[CDATA[" a CDATA section in foreign content. */
function markupDeclarationOpen(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  for (; p < end; p++) {
    const c = b[p] ?? 0;
    if (t.keywordAt === 0) {
      t.keyword = c === DASH ? "--" : (c | 0x20) === 0x64 ? "doctype" : c === 0x5b ? "[CDATA[" : "";
      if (t.keyword === "") break;
    } else {
      const want = t.keyword.charCodeAt(t.keywordAt);
      if (t.keyword === "doctype" ? (c | 0x20) !== want : c !== want) break;
    }
    t.keywordAt++;
    if (t.keywordAt < t.keyword.length) continue;
    if (t.keyword === "--") t.state = S.COMMENT_START;
    else if (t.keyword === "doctype") t.state = S.DOCTYPE;
    else t.state = t.sink.cdataAllowed() ? S.CDATA_SECTION : S.BOGUS_COMMENT;
    return p + 1;
  }
  if (p === end) return end;
  // Not a keyword: a bogus comment, which the bytes matched so far are part of.
  t.state = S.BOGUS_COMMENT;
  return p;
}

/** A comment state with one rule per byte: `on(c)` names the next state, or -1 for "stay and consume". */
function commentState(on: (c: number) => { state: number; consume: boolean } | null): StateFn {
  return (t, b, p) => {
    const c = b[p] ?? 0;
    const next = on(c);
    if (next === null) return p + 1;
    if (next.state === S.DATA) {
      t.emitComment();
      return p + 1;
    }
    t.state = next.state;
    return next.consume ? p + 1 : p;
  };
}

const go = (state: number): { state: number; consume: boolean } => ({ state, consume: true });
const again = (state: number): { state: number; consume: boolean } => ({ state, consume: false });
const EMIT = go(S.DATA);

function comment(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  for (; p < end; p++) {
    const c = b[p];
    if (c === LT || c === DASH) {
      t.state = c === LT ? S.COMMENT_LT : S.COMMENT_END_DASH;
      return p + 1;
    }
  }
  return end;
}

function cdataSection(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  for (; p < end; p++) {
    const c = b[p] ?? 0;
    if (c === BRACKET) {
      // A "]" right after a non-ASCII byte may be the second byte of a Shift_JIS, GBK or Big5 character.
      t.bracketAfterHigh = t.lastByte >= 0x80;
      t.lastByte = c;
      t.state = S.CDATA_SECTION_BRACKET;
      return p + 1;
    }
    t.lastByte = c;
    if (!t.fast && !t.produce(c === 0 ? S.NUL : isSpace(c) ? S.WHITESPACE : S.OTHER_CHAR, false, false)) continue;
  }
  return end;
}

function cdataBracket(t: Tokenizer, b: Uint8Array, p: number): number {
  if (b[p] === BRACKET) {
    t.state = S.CDATA_SECTION_END;
    return p + 1;
  }
  if (!t.fast) t.produce(S.OTHER_CHAR, false, false);
  t.state = S.CDATA_SECTION;
  return p;
}

function cdataEnd(t: Tokenizer, b: Uint8Array, p: number): number {
  const c = b[p];
  if (c === BRACKET) {
    // "]]]": the first is text, and the closing "]]" now follows a "]".
    t.bracketAfterHigh = false;
    if (!t.fast) t.produce(S.OTHER_CHAR, false, false);
    return p + 1;
  }
  if (c === GT) {
    if (t.bracketAfterHigh) throw new GiveUp("a CDATA section ends at a ]]> right after a non-ASCII byte");
    t.state = S.DATA;
    return p + 1;
  }
  if (!t.fast) t.produce(S.OTHER_CHAR, false, false);
  t.state = S.CDATA_SECTION;
  return p;
}

export const markupStates: readonly (readonly [number, StateFn])[] = [
  [S.BOGUS_COMMENT, bogusComment],
  [S.MARKUP_DECLARATION_OPEN, markupDeclarationOpen],
  [S.COMMENT_START, commentState((c) => (c === DASH ? go(S.COMMENT_START_DASH) : c === GT ? EMIT : again(S.COMMENT)))],
  [S.COMMENT_START_DASH, commentState((c) => (c === DASH ? go(S.COMMENT_END) : c === GT ? EMIT : again(S.COMMENT)))],
  [S.COMMENT, comment],
  [S.COMMENT_LT, commentState((c) => (c === BANG ? go(S.COMMENT_LT_BANG) : c === LT ? null : again(S.COMMENT)))],
  [S.COMMENT_LT_BANG, commentState((c) => (c === DASH ? go(S.COMMENT_LT_BANG_DASH) : again(S.COMMENT)))],
  [S.COMMENT_LT_BANG_DASH, commentState((c) => (c === DASH ? go(S.COMMENT_LT_BANG_DASH_DASH) : again(S.COMMENT_END_DASH)))],
  [S.COMMENT_LT_BANG_DASH_DASH, commentState(() => again(S.COMMENT_END))],
  [S.COMMENT_END_DASH, commentState((c) => (c === DASH ? go(S.COMMENT_END) : again(S.COMMENT)))],
  [S.COMMENT_END, commentState((c) => (c === GT ? EMIT : c === BANG ? go(S.COMMENT_END_BANG) : c === DASH ? null : again(S.COMMENT)))],
  [S.COMMENT_END_BANG, commentState((c) => (c === DASH ? go(S.COMMENT_END_DASH) : c === GT ? EMIT : again(S.COMMENT)))],
  [S.CDATA_SECTION, cdataSection],
  [S.CDATA_SECTION_BRACKET, cdataBracket],
  [S.CDATA_SECTION_END, cdataEnd],
  ...doctypeStates,
];
