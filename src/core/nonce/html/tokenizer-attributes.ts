// The attribute states of the tokenizer (§13.2.5.32-40). Values the rules read are decoded (character
// references included); every other value is skipped to its end without looking at its bytes twice.

import { PENDING } from "./char-ref.js";
import * as S from "./states.js";
import { AMP, GT, SLASH, isSpace, type StateFn, type Tokenizer } from "./tokenizer.js";

const EQUALS = 0x3d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;

/**
 * The attribute states for a tag none of whose attributes a rule reads (most tags, every end tag): the same
 * transitions, in one loop, without a call per state; values are skipped with a search for their quote.
 * It is long on purpose: one case per attribute state, so it reads against the states above.
 */
function unreadAttributes(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  let state = t.state;
  while (p < end) {
    const c = b[p] ?? 0;
    switch (state) {
      case S.BEFORE_ATTRIBUTE_NAME:
        if (isSpace(c)) p++;
        else if (c === SLASH || c === GT) state = S.AFTER_ATTRIBUTE_NAME;
        else {
          state = S.ATTRIBUTE_NAME;
          if (c === EQUALS) p++;
        }
        break;
      case S.ATTRIBUTE_NAME:
        if (isSpace(c) || c === SLASH || c === GT) state = S.AFTER_ATTRIBUTE_NAME;
        else if (c === EQUALS) {
          state = S.BEFORE_ATTRIBUTE_VALUE;
          p++;
        } else p++;
        break;
      case S.AFTER_ATTRIBUTE_NAME:
        if (isSpace(c)) p++;
        else if (c === SLASH || c === EQUALS) {
          state = c === SLASH ? S.SELF_CLOSING_START_TAG : S.BEFORE_ATTRIBUTE_VALUE;
          p++;
        } else if (c === GT) return emitAt(t, p);
        else state = S.ATTRIBUTE_NAME;
        break;
      case S.BEFORE_ATTRIBUTE_VALUE:
        if (isSpace(c)) p++;
        else if (c === DQUOTE || c === SQUOTE) {
          state = c === DQUOTE ? S.ATTRIBUTE_VALUE_DOUBLE : S.ATTRIBUTE_VALUE_SINGLE;
          p++;
        } else if (c === GT) return emitAt(t, p);
        else state = S.ATTRIBUTE_VALUE_UNQUOTED;
        break;
      case S.ATTRIBUTE_VALUE_DOUBLE:
      case S.ATTRIBUTE_VALUE_SINGLE: {
        const close = b.indexOf(state === S.ATTRIBUTE_VALUE_DOUBLE ? DQUOTE : SQUOTE, p);
        if (close === -1) p = end;
        else {
          p = close + 1;
          state = S.AFTER_ATTRIBUTE_VALUE_QUOTED;
        }
        break;
      }
      case S.ATTRIBUTE_VALUE_UNQUOTED:
        if (isSpace(c)) {
          state = S.BEFORE_ATTRIBUTE_NAME;
          p++;
        } else if (c === GT) return emitAt(t, p);
        else p++;
        break;
      case S.AFTER_ATTRIBUTE_VALUE_QUOTED:
        if (c === GT) return emitAt(t, p);
        if (isSpace(c) || c === SLASH) p++;
        state = c === SLASH ? S.SELF_CLOSING_START_TAG : S.BEFORE_ATTRIBUTE_NAME;
        break;
      default:
        // The self-closing start tag state.
        if (c === GT) {
          t.tag.selfClosing = true;
          return emitAt(t, p);
        }
        state = S.BEFORE_ATTRIBUTE_NAME;
    }
  }
  t.state = state;
  return end;
}

function emitAt(t: Tokenizer, p: number): number {
  t.emitTag(p);
  return p + 1;
}

function beforeAttributeName(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  if (t.tag.wants === 0) return unreadAttributes(t, b, p, end);
  for (; p < end; p++) {
    const c = b[p] ?? 0;
    if (isSpace(c)) continue;
    if (c === SLASH || c === GT) {
      t.state = S.AFTER_ATTRIBUTE_NAME;
      return p;
    }
    t.endValue();
    t.name = "";
    t.nameFuzzy = false;
    t.state = S.ATTRIBUTE_NAME;
    if (c !== EQUALS) return p;
    // An "=" here starts the attribute's name.
    t.nameByte(c);
    return p + 1;
  }
  return end;
}

function attributeName(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  if (t.tag.wants === 0) return unreadAttributes(t, b, p, end);
  const read = t.tag.wants !== 0;
  for (; p < end; p++) {
    const c = b[p] ?? 0;
    if (isSpace(c) || c === SLASH || c === GT) {
      t.beginValue();
      t.state = S.AFTER_ATTRIBUTE_NAME;
      return p;
    }
    if (c === EQUALS) {
      t.beginValue();
      t.state = S.BEFORE_ATTRIBUTE_VALUE;
      return p + 1;
    }
    if (read) t.nameByte(c);
  }
  return end;
}

function afterAttributeName(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  if (t.tag.wants === 0) return unreadAttributes(t, b, p, end);
  for (; p < end; p++) {
    const c = b[p] ?? 0;
    if (isSpace(c)) continue;
    if (c === SLASH) {
      t.state = S.SELF_CLOSING_START_TAG;
      return p + 1;
    }
    if (c === EQUALS) {
      t.state = S.BEFORE_ATTRIBUTE_VALUE;
      return p + 1;
    }
    if (c === GT) {
      t.emitTag(p);
      return p + 1;
    }
    t.endValue();
    t.name = "";
    t.nameFuzzy = false;
    t.state = S.ATTRIBUTE_NAME;
    return p;
  }
  return end;
}

function beforeAttributeValue(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  if (t.tag.wants === 0) return unreadAttributes(t, b, p, end);
  for (; p < end; p++) {
    const c = b[p] ?? 0;
    if (isSpace(c)) continue;
    if (c === DQUOTE || c === SQUOTE) {
      t.state = c === DQUOTE ? S.ATTRIBUTE_VALUE_DOUBLE : S.ATTRIBUTE_VALUE_SINGLE;
      return p + 1;
    }
    if (c === GT) {
      t.emitTag(p);
      return p + 1;
    }
    t.state = S.ATTRIBUTE_VALUE_UNQUOTED;
    return p;
  }
  return end;
}

/**
 * One byte of a value the rules read: through a pending character reference first. Returns true when the
 * reference took the byte (it is consumed), false when the caller goes on with it.
 */
function referenced(t: Tokenizer, c: number): boolean {
  if (!t.inRef) return false;
  const r = t.ref.step(c);
  if (r === PENDING) {
    if (t.keepRaw) t.tag.raw(c);
    return true;
  }
  t.inRef = false;
  t.tag.decoded(r >>> 1);
  if ((r & 1) === 0) return false;
  if (t.keepRaw) t.tag.raw(c);
  return true;
}

/** A value byte that is not its end. */
function valueByte(t: Tokenizer, c: number): void {
  if (t.keepRaw) t.tag.raw(c);
  if (t.valueSink === 0) return;
  if (c === AMP) {
    t.ref.begin();
    t.inRef = true;
  } else {
    t.tag.decoded(c === 0 ? 0xfffd : c);
  }
}

function quotedValue(quote: number): StateFn {
  return (t, b, p, end) => {
    if (t.valueSink === 0 && !t.keepRaw) {
      const close = b.indexOf(quote, p);
      if (close === -1) return end;
      t.endValue();
      t.state = S.AFTER_ATTRIBUTE_VALUE_QUOTED;
      return close + 1;
    }
    for (; p < end; p++) {
      const c = b[p] ?? 0;
      if (referenced(t, c)) continue;
      if (c === quote) {
        t.endValue();
        t.state = S.AFTER_ATTRIBUTE_VALUE_QUOTED;
        return p + 1;
      }
      valueByte(t, c);
    }
    return end;
  };
}

function unquotedValue(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  if (t.tag.wants === 0) return unreadAttributes(t, b, p, end);
  const read = t.valueSink !== 0 || t.keepRaw;
  for (; p < end; p++) {
    const c = b[p] ?? 0;
    if (read && referenced(t, c)) continue;
    if (isSpace(c)) {
      t.endValue();
      t.state = S.BEFORE_ATTRIBUTE_NAME;
      return p + 1;
    }
    if (c === GT) {
      t.emitTag(p);
      return p + 1;
    }
    if (read) valueByte(t, c);
  }
  return end;
}

function afterAttributeValueQuoted(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  if (t.tag.wants === 0) return unreadAttributes(t, b, p, end);
  const c = b[p] ?? 0;
  if (isSpace(c)) {
    t.state = S.BEFORE_ATTRIBUTE_NAME;
    return p + 1;
  }
  if (c === SLASH) {
    t.state = S.SELF_CLOSING_START_TAG;
    return p + 1;
  }
  if (c === GT) {
    t.emitTag(p);
    return p + 1;
  }
  t.state = S.BEFORE_ATTRIBUTE_NAME;
  return p;
}

function selfClosingStartTag(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  if (t.tag.wants === 0) return unreadAttributes(t, b, p, end);
  if (b[p] === GT) {
    t.tag.selfClosing = true;
    t.emitTag(p);
    return p + 1;
  }
  t.state = S.BEFORE_ATTRIBUTE_NAME;
  return p;
}

export const attributeStates: readonly (readonly [number, StateFn])[] = [
  [S.BEFORE_ATTRIBUTE_NAME, beforeAttributeName],
  [S.ATTRIBUTE_NAME, attributeName],
  [S.AFTER_ATTRIBUTE_NAME, afterAttributeName],
  [S.BEFORE_ATTRIBUTE_VALUE, beforeAttributeValue],
  [S.ATTRIBUTE_VALUE_DOUBLE, quotedValue(DQUOTE)],
  [S.ATTRIBUTE_VALUE_SINGLE, quotedValue(SQUOTE)],
  [S.ATTRIBUTE_VALUE_UNQUOTED, unquotedValue],
  [S.AFTER_ATTRIBUTE_VALUE_QUOTED, afterAttributeValueQuoted],
  [S.SELF_CLOSING_START_TAG, selfClosingStartTag],
];
