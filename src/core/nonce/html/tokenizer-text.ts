// RCDATA and RAWTEXT (§13.2.5.2-3, 9-14): text up to the end tag that matches the element's start tag.
// Their text is the element's content, so nothing in it is read but the "<" that may begin that end tag.

import * as S from "./states.js";
import { GT, LT, SLASH, isAlpha, isSpace, type StateFn, type Tokenizer } from "./tokenizer.js";

function text(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  const lt = b.indexOf(LT, p);
  if (lt === -1) return end;
  t.lt = t.base + lt;
  t.state = S.TEXT_LT;
  return lt + 1;
}

function textLessThan(t: Tokenizer, b: Uint8Array, p: number): number {
  if (b[p] === SLASH) {
    t.state = S.TEXT_END_OPEN;
    return p + 1;
  }
  t.state = t.textState;
  return p;
}

/** The "… end tag open" states: a letter starts an end tag name, anything else is text of `back`. */
export function endTagOpen(name: number, back: (t: Tokenizer) => number): StateFn {
  return (t, b, p) => {
    if (isAlpha(b[p] ?? 0)) {
      t.matched = 0;
      t.matching = true;
      t.state = name;
    } else {
      t.state = back(t);
    }
    return p;
  };
}

/**
 * The "… end tag name" states: letters are compared with the last start tag's name; at a space, "/" or
 * ">" an appropriate end tag goes on as a tag (its attributes too), and anything else is text of `back`.
 */
export function endTagName(back: (t: Tokenizer) => number): StateFn {
  return (t, b, p, end) => {
    const want = t.lastStartTag;
    for (; p < end; p++) {
      const c = b[p] ?? 0;
      if (isAlpha(c)) {
        if (t.matched >= want.length || want.charCodeAt(t.matched) !== (c | 0x20)) t.matching = false;
        t.matched++;
        continue;
      }
      if ((isSpace(c) || c === SLASH || c === GT) && t.matching && t.matched === want.length) {
        t.beginTag(true);
        t.name = want;
        t.endTagName(t.base + p);
        if (c === GT) t.emitTag(p);
        else t.state = c === SLASH ? S.SELF_CLOSING_START_TAG : S.BEFORE_ATTRIBUTE_NAME;
        return p + 1;
      }
      t.state = back(t);
      return p;
    }
    return end;
  };
}

const backToText = (t: Tokenizer): number => t.textState;

export const textStates: readonly (readonly [number, StateFn])[] = [
  [S.RCDATA, text],
  [S.RAWTEXT, text],
  [S.TEXT_LT, textLessThan],
  [S.TEXT_END_OPEN, endTagOpen(S.TEXT_END_NAME, backToText)],
  [S.TEXT_END_NAME, endTagName(backToText)],
];
