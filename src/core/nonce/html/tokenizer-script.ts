// Script data and its escape states (§13.2.5.4, 15-31): where a <script>'s text ends, "<!--" and a nested
// "<script" included. Each byte is looked at once; "<" and "-" are the only bytes that can change state.

import * as S from "./states.js";
import { GT, LT, SLASH, isAlpha, isSpace, type StateFn, type Tokenizer } from "./tokenizer.js";
import { endTagName, endTagOpen } from "./tokenizer-text.js";

const DASH = 0x2d;
const BANG = 0x21;
const SCRIPT = "script";

function scriptData(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  const lt = b.indexOf(LT, p);
  if (lt === -1) return end;
  t.lt = t.base + lt;
  t.state = S.SCRIPT_LT;
  return lt + 1;
}

function scriptLessThan(t: Tokenizer, b: Uint8Array, p: number): number {
  const c = b[p];
  if (c === SLASH) {
    t.state = S.SCRIPT_END_OPEN;
    return p + 1;
  }
  if (c === BANG) {
    t.state = S.SCRIPT_ESCAPE_START;
    return p + 1;
  }
  t.state = S.SCRIPT_DATA;
  return p;
}

function escapeStart(next: number): StateFn {
  return (t, b, p) => {
    if (b[p] === DASH) {
      t.state = next;
      return p + 1;
    }
    t.state = S.SCRIPT_DATA;
    return p;
  };
}

/** Escaped and double-escaped text: runs until a "-" or "<". */
function escapedText(dash: number, lessThan: number): StateFn {
  return (t, b, p, end) => {
    for (; p < end; p++) {
      const c = b[p];
      if (c === DASH) {
        t.state = dash;
        return p + 1;
      }
      if (c === LT) {
        t.lt = t.base + p;
        t.state = lessThan;
        return p + 1;
      }
    }
    return end;
  };
}

/** After one "-" (dashDash set) or two or more (dashDash null) in escaped or double-escaped text. */
function escapedDash(body: number, dashDash: number | null, lessThan: number): StateFn {
  return (t, b, p) => {
    const c = b[p];
    if (c === DASH) {
      if (dashDash !== null) t.state = dashDash;
      return p + 1;
    }
    if (c === LT) {
      t.lt = t.base + p;
      t.state = lessThan;
      return p + 1;
    }
    // "-->" leaves the escape (from either level) back to plain script data.
    t.state = dashDash === null && c === GT ? S.SCRIPT_DATA : body;
    return p + 1;
  };
}

function escapedLessThan(t: Tokenizer, b: Uint8Array, p: number): number {
  const c = b[p] ?? 0;
  if (c === SLASH) {
    t.state = S.SCRIPT_ESCAPED_END_OPEN;
    return p + 1;
  }
  if (isAlpha(c)) {
    t.escapeMatched = 0;
    t.escapeMatching = true;
    t.state = S.SCRIPT_DOUBLE_ESCAPE_START;
    return p;
  }
  t.state = S.SCRIPT_ESCAPED;
  return p;
}

/** Reading a name after "<" (start) or "</" (end): "script" switches the escape level to `matched`. */
function doubleEscapeSwitch(matched: number, other: number): StateFn {
  return (t, b, p, end) => {
    for (; p < end; p++) {
      const c = b[p] ?? 0;
      if (isAlpha(c)) {
        if (t.escapeMatched >= SCRIPT.length || SCRIPT.charCodeAt(t.escapeMatched) !== (c | 0x20)) t.escapeMatching = false;
        t.escapeMatched++;
        continue;
      }
      if (isSpace(c) || c === SLASH || c === GT) {
        t.state = t.escapeMatching && t.escapeMatched === SCRIPT.length ? matched : other;
        return p + 1;
      }
      t.state = other;
      return p;
    }
    return end;
  };
}

function doubleEscapedLessThan(t: Tokenizer, b: Uint8Array, p: number): number {
  if (b[p] === SLASH) {
    t.escapeMatched = 0;
    t.escapeMatching = true;
    t.state = S.SCRIPT_DOUBLE_ESCAPE_END;
    return p + 1;
  }
  t.state = S.SCRIPT_DOUBLE_ESCAPED;
  return p;
}

const toScriptData = (): number => S.SCRIPT_DATA;
const toEscaped = (): number => S.SCRIPT_ESCAPED;

export const scriptStates: readonly (readonly [number, StateFn])[] = [
  [S.SCRIPT_DATA, scriptData],
  [S.SCRIPT_LT, scriptLessThan],
  [S.SCRIPT_END_OPEN, endTagOpen(S.SCRIPT_END_NAME, toScriptData)],
  [S.SCRIPT_END_NAME, endTagName(toScriptData)],
  [S.SCRIPT_ESCAPE_START, escapeStart(S.SCRIPT_ESCAPE_START_DASH)],
  [S.SCRIPT_ESCAPE_START_DASH, escapeStart(S.SCRIPT_ESCAPED_DASH_DASH)],
  [S.SCRIPT_ESCAPED, escapedText(S.SCRIPT_ESCAPED_DASH, S.SCRIPT_ESCAPED_LT)],
  [S.SCRIPT_ESCAPED_DASH, escapedDash(S.SCRIPT_ESCAPED, S.SCRIPT_ESCAPED_DASH_DASH, S.SCRIPT_ESCAPED_LT)],
  [S.SCRIPT_ESCAPED_DASH_DASH, escapedDash(S.SCRIPT_ESCAPED, null, S.SCRIPT_ESCAPED_LT)],
  [S.SCRIPT_ESCAPED_LT, escapedLessThan],
  [S.SCRIPT_ESCAPED_END_OPEN, endTagOpen(S.SCRIPT_ESCAPED_END_NAME, toEscaped)],
  [S.SCRIPT_ESCAPED_END_NAME, endTagName(toEscaped)],
  [S.SCRIPT_DOUBLE_ESCAPE_START, doubleEscapeSwitch(S.SCRIPT_DOUBLE_ESCAPED, S.SCRIPT_ESCAPED)],
  [S.SCRIPT_DOUBLE_ESCAPED, escapedText(S.SCRIPT_DOUBLE_ESCAPED_DASH, S.SCRIPT_DOUBLE_ESCAPED_LT)],
  [S.SCRIPT_DOUBLE_ESCAPED_DASH, escapedDash(S.SCRIPT_DOUBLE_ESCAPED, S.SCRIPT_DOUBLE_ESCAPED_DASH_DASH, S.SCRIPT_DOUBLE_ESCAPED_LT)],
  [S.SCRIPT_DOUBLE_ESCAPED_DASH_DASH, escapedDash(S.SCRIPT_DOUBLE_ESCAPED, null, S.SCRIPT_DOUBLE_ESCAPED_LT)],
  [S.SCRIPT_DOUBLE_ESCAPED_LT, doubleEscapedLessThan],
  [S.SCRIPT_DOUBLE_ESCAPE_END, doubleEscapeSwitch(S.SCRIPT_ESCAPED, S.SCRIPT_DOUBLE_ESCAPED)],
];
