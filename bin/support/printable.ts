// Text from the network or from a document, made safe to print: on a terminal a control character acts
// (U+009B is CSI in C1: it can recolour, hide or rewrite what was printed before) and a bidi override
// makes a value display as another. Every such character is shown as an escape instead.

/**
 * Characters that do not print as themselves: controls (C0, DEL, C1), format characters (bidi controls,
 * zero-width joiners, the BOM), line and paragraph separators, lone surrogates, unassigned code points.
 */
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Cn}\p{Zl}\p{Zp}]/gu;

/** The same, less C0: inside JSON text JSON.stringify has already escaped those, and `\n` is layout. */
const JSON_UNSAFE = /[\u007f-\u009f\p{Cf}\p{Cn}\p{Zl}\p{Zp}]/gu;

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, "0");
}

function escapeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (code === 0x0a) return "\\n";
  if (code === 0x0d) return "\\r";
  if (code === 0x09) return "\\t";
  if (code <= 0xff) return `\\x${hex(code, 2)}`;
  return code <= 0xffff ? `\\u${hex(code, 4)}` : `\\u{${hex(code, 1)}}`;
}

/** `text` without the ANSI colour and cursor sequences wrangler and terminals write. */
export function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
}

/** One value as it may be printed: every non-printable character as an escape (`\x9b`, `\u202e`, `\n`). */
export function printable(text: string): string {
  return text.replace(NON_PRINTABLE, escapeChar);
}

/** Several lines of such text: each line escaped, the line breaks kept (a message quoting wrangler's output). */
export function printableLines(text: string): string {
  return text.split("\n").map(printable).join("\n");
}

/** JSON.stringify(value, null, indent), with the characters it leaves raw (DEL, C1, bidi…) as \u escapes. */
export function printableJson(value: unknown, indent = 2): string {
  return escapeJsonText(JSON.stringify(value, null, indent));
}

/** JSON text with the characters JSON.stringify leaves raw (DEL, C1, bidi…) as \u escapes: the same value, safe to print. */
export function escapeJsonText(json: string): string {
  return json.replace(JSON_UNSAFE, (char) => {
    const code = char.codePointAt(0) ?? 0;
    if (code <= 0xffff) return `\\u${hex(code, 4)}`;
    // An astral character becomes its surrogate pair, the only way JSON escapes one.
    const high = 0xd800 + ((code - 0x10000) >> 10);
    const low = 0xdc00 + ((code - 0x10000) & 0x3ff);
    return `\\u${hex(high, 4)}\\u${hex(low, 4)}`;
  });
}

/** C0 controls JSON text may not hold raw (line breaks and tabs are layout), with JSON_UNSAFE: safe to print. */
const DOCUMENT_UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\p{Cf}\p{Cn}\p{Zl}\p{Zp}]/gu;

/**
 * A stored JSON document as it may be printed: every character a terminal would act on as a \u escape.
 * Inside a JSON string that is the same value; outside one the character was not valid JSON anyway.
 */
export function printableDocument(text: string): string {
  return text.replace(DOCUMENT_UNSAFE, (char) => {
    const code = char.codePointAt(0) ?? 0;
    return code < 0x20 ? `\\u${hex(code, 4)}` : escapeJsonText(char);
  });
}
