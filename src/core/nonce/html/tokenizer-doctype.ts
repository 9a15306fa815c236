// The DOCTYPE states (§13.2.5.53-68): a doctype's name, public and system identifiers and force-quirks
// flag, which decide quirks mode, and quirks mode decides whether <table> closes an open <p>.

import * as S from "./states.js";
import { GT, isSpace, type StateFn, type Tokenizer } from "./tokenizer.js";

/** Identifiers longer than this are cut; nothing they are compared with is half as long. */
const MAX_ID = 128;
const DQUOTE = 0x22;
const SQUOTE = 0x27;

type Field = "name" | "publicId" | "systemId";

function append(t: Tokenizer, field: Field, c: number): void {
  const value = t.doctype[field] ?? "";
  if (value.length >= MAX_ID) {
    t.doctype.long = true;
    return;
  }
  const char = c === 0 ? "\ufffd" : String.fromCharCode(field === "name" && c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
  t.doctype[field] = value + char;
}

function newDoctype(t: Tokenizer): void {
  const d = t.doctype;
  d.name = null;
  d.publicId = null;
  d.systemId = null;
  d.forceQuirks = false;
  d.long = false;
}

function emit(t: Tokenizer, forceQuirks: boolean): void {
  if (forceQuirks) t.doctype.forceQuirks = true;
  t.flushRun();
  t.sink.doctype(t.doctype);
  t.state = S.DATA;
  t.tokenDone();
}

/** A state that skips whitespace and decides on the first other byte. */
function afterSpace(decide: (t: Tokenizer, c: number) => boolean): StateFn {
  return (t, b, p, end) => {
    for (; p < end; p++) {
      const c = b[p] ?? 0;
      if (isSpace(c)) continue;
      return decide(t, c) ? p + 1 : p;
    }
    return end;
  };
}

/** Reads an identifier up to its closing quote; ">" ends the doctype early (and forces quirks). */
function identifier(field: Field, quote: number, after: number): StateFn {
  return (t, b, p, end) => {
    for (; p < end; p++) {
      const c = b[p] ?? 0;
      if (c === quote) {
        t.state = after;
        return p + 1;
      }
      if (c === GT) {
        emit(t, true);
        return p + 1;
      }
      append(t, field, c);
    }
    return end;
  };
}

/** Opens a quoted identifier, or ends the doctype; the answer says whether the byte was consumed. */
function openIdentifier(t: Tokenizer, c: number, field: "publicId" | "systemId"): boolean {
  if (c === DQUOTE || c === SQUOTE) {
    t.doctype[field] = "";
    const double = c === DQUOTE;
    t.state =
      field === "publicId"
        ? double
          ? S.DOCTYPE_PUBLIC_ID_DOUBLE
          : S.DOCTYPE_PUBLIC_ID_SINGLE
        : double
          ? S.DOCTYPE_SYSTEM_ID_DOUBLE
          : S.DOCTYPE_SYSTEM_ID_SINGLE;
    return true;
  }
  if (c === GT) {
    emit(t, true);
    return true;
  }
  t.doctype.forceQuirks = true;
  t.state = S.BOGUS_DOCTYPE;
  return false;
}

function doctype(t: Tokenizer, b: Uint8Array, p: number): number {
  t.state = S.BEFORE_DOCTYPE_NAME;
  return isSpace(b[p] ?? 0) ? p + 1 : p;
}

const beforeName = afterSpace((t, c) => {
  newDoctype(t);
  if (c === GT) {
    emit(t, true);
    return true;
  }
  append(t, "name", c);
  t.state = S.DOCTYPE_NAME;
  return true;
});

function doctypeName(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  for (; p < end; p++) {
    const c = b[p] ?? 0;
    if (isSpace(c)) {
      t.state = S.AFTER_DOCTYPE_NAME;
      t.keywordAt = 0;
      return p + 1;
    }
    if (c === GT) {
      emit(t, false);
      return p + 1;
    }
    append(t, "name", c);
  }
  return end;
}

/** After the name: ">" ends it, "PUBLIC" or "SYSTEM" (any case, matched a byte at a time) goes on. */
function afterName(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  for (; p < end; p++) {
    const c = b[p] ?? 0;
    if (t.keywordAt === 0) {
      if (isSpace(c)) continue;
      if (c === GT) {
        emit(t, false);
        return p + 1;
      }
      t.keyword = (c | 0x20) === 0x70 ? "public" : (c | 0x20) === 0x73 ? "system" : "";
    }
    if (t.keyword === "" || (c | 0x20) !== t.keyword.charCodeAt(t.keywordAt)) {
      t.doctype.forceQuirks = true;
      t.state = S.BOGUS_DOCTYPE;
      return p;
    }
    t.keywordAt++;
    if (t.keywordAt === t.keyword.length) {
      t.state = t.keyword === "public" ? S.AFTER_DOCTYPE_PUBLIC_KEYWORD : S.AFTER_DOCTYPE_SYSTEM_KEYWORD;
      return p + 1;
    }
  }
  return end;
}

/** Right after "PUBLIC" or "SYSTEM": whitespace, or (a parse error, same outcome) the identifier's quote. */
function afterKeyword(field: "publicId" | "systemId", before: number): StateFn {
  return (t, b, p) => {
    const c = b[p] ?? 0;
    if (isSpace(c)) {
      t.state = before;
      return p + 1;
    }
    return openIdentifier(t, c, field) ? p + 1 : p;
  };
}

const betweenIds = afterSpace((t, c) => {
  if (c === GT) {
    emit(t, false);
    return true;
  }
  if (c === DQUOTE || c === SQUOTE) return openIdentifier(t, c, "systemId");
  t.doctype.forceQuirks = true;
  t.state = S.BOGUS_DOCTYPE;
  return false;
});

function afterPublicId(t: Tokenizer, b: Uint8Array, p: number): number {
  const c = b[p] ?? 0;
  if (isSpace(c)) {
    t.state = S.BETWEEN_DOCTYPE_IDS;
    return p + 1;
  }
  // Without the whitespace the rules are those of the state between the identifiers.
  t.state = S.BETWEEN_DOCTYPE_IDS;
  return p;
}

const afterSystemId = afterSpace((t, c) => {
  if (c === GT) {
    emit(t, false);
    return true;
  }
  // Anything else is ignored up to ">", without forcing quirks.
  t.state = S.BOGUS_DOCTYPE;
  return false;
});

function bogusDoctype(t: Tokenizer, b: Uint8Array, p: number, end: number): number {
  const gt = b.indexOf(GT, p);
  if (gt === -1) return end;
  emit(t, false);
  return gt + 1;
}

export const doctypeStates: readonly (readonly [number, StateFn])[] = [
  [S.DOCTYPE, doctype],
  [S.BEFORE_DOCTYPE_NAME, beforeName],
  [S.DOCTYPE_NAME, doctypeName],
  [S.AFTER_DOCTYPE_NAME, afterName],
  [S.AFTER_DOCTYPE_PUBLIC_KEYWORD, afterKeyword("publicId", S.BEFORE_DOCTYPE_PUBLIC_ID)],
  [S.BEFORE_DOCTYPE_PUBLIC_ID, afterSpace((t, c) => openIdentifier(t, c, "publicId"))],
  [S.DOCTYPE_PUBLIC_ID_DOUBLE, identifier("publicId", DQUOTE, S.AFTER_DOCTYPE_PUBLIC_ID)],
  [S.DOCTYPE_PUBLIC_ID_SINGLE, identifier("publicId", SQUOTE, S.AFTER_DOCTYPE_PUBLIC_ID)],
  [S.AFTER_DOCTYPE_PUBLIC_ID, afterPublicId],
  [S.BETWEEN_DOCTYPE_IDS, betweenIds],
  [S.AFTER_DOCTYPE_SYSTEM_KEYWORD, afterKeyword("systemId", S.BEFORE_DOCTYPE_SYSTEM_ID)],
  [S.BEFORE_DOCTYPE_SYSTEM_ID, afterSpace((t, c) => openIdentifier(t, c, "systemId"))],
  [S.DOCTYPE_SYSTEM_ID_DOUBLE, identifier("systemId", DQUOTE, S.AFTER_DOCTYPE_SYSTEM_ID)],
  [S.DOCTYPE_SYSTEM_ID_SINGLE, identifier("systemId", SQUOTE, S.AFTER_DOCTYPE_SYSTEM_ID)],
  [S.AFTER_DOCTYPE_SYSTEM_ID, afterSystemId],
  [S.BOGUS_DOCTYPE, bogusDoctype],
];
