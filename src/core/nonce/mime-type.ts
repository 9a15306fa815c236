// The MIME type a browser reads from a response's Content-Type, per Fetch's "extract a MIME type": several
// lines combine (the last valid one wins, `text/plain` then `text/html` is HTML), and none means sniffing.

/** A parsed MIME type: its essence (type/subtype, lower case) and its charset parameter, if any. */
export interface MimeType {
  readonly essence: string;
  readonly charset: string | null;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HTTP_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

/**
 * Fetch's "extract a MIME type" over a Content-Type value as the Headers API gives it (several lines
 * joined by ", "): null for failure, which is when a browser sniffs the body.
 */
export function extractMimeType(value: string | null): MimeType | null {
  if (value === null) return null;
  let essence: string | null = null;
  let charset: string | null = null;
  let result: MimeType | null = null;
  for (const item of splitOutsideQuotes(value)) {
    const parsed = parseMimeType(item);
    if (parsed === null || parsed.essence === "*/*") continue;
    if (parsed.essence !== essence) {
      essence = parsed.essence;
      charset = parsed.charset;
      result = parsed;
    } else {
      // Same essence again: a charset given earlier carries over when this one names none.
      result = { essence: parsed.essence, charset: parsed.charset ?? charset };
    }
  }
  return result;
}

/** Fetch's "get, decode, and split": commas outside double-quoted strings separate values. */
function splitOutsideQuotes(value: string): string[] {
  const values: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] ?? "";
    if (quoted && c === "\\" && i + 1 < value.length) {
      current += c + (value[i + 1] ?? "");
      i++;
    } else if (c === '"') {
      quoted = !quoted;
      current += c;
    } else if (c === "," && !quoted) {
      values.push(current.replace(HTTP_WHITESPACE, ""));
      current = "";
    } else current += c;
  }
  values.push(current.replace(HTTP_WHITESPACE, ""));
  return values;
}

/** MIME Sniffing's "parse a MIME type", keeping only what we need: the essence and the charset. */
export function parseMimeType(input: string): MimeType | null {
  const text = input.replace(HTTP_WHITESPACE, "");
  const slash = text.indexOf("/");
  if (slash <= 0) return null;
  const type = text.slice(0, slash);
  const semicolon = text.indexOf(";", slash);
  const subtype = (semicolon === -1 ? text.slice(slash + 1) : text.slice(slash + 1, semicolon)).replace(/[\t\n\r ]+$/, "");
  if (!TOKEN.test(type) || !TOKEN.test(subtype)) return null;
  const essence = `${type}/${subtype}`.toLowerCase();
  return { essence, charset: semicolon === -1 ? null : charsetParameter(text.slice(semicolon)) };
}

/** The first `charset` parameter of a `;…` parameter list, lower case, quotes removed. */
function charsetParameter(parameters: string): string | null {
  let rest = parameters;
  while (rest.startsWith(";")) {
    rest = rest.slice(1).replace(/^[\t\n\r ]+/, "");
    const end = rest.search(/[;=]/);
    const name = (end === -1 ? rest : rest.slice(0, end)).toLowerCase();
    if (end === -1) return null;
    if (rest[end] === ";") {
      rest = rest.slice(end);
      continue;
    }
    rest = rest.slice(end + 1);
    let value: string;
    if (rest.startsWith('"')) {
      const { text, after } = quotedString(rest);
      value = text;
      const next = after.indexOf(";");
      rest = next === -1 ? "" : after.slice(next);
    } else {
      const next = rest.indexOf(";");
      value = (next === -1 ? rest : rest.slice(0, next)).replace(/[\t\n\r ]+$/, "");
      rest = next === -1 ? "" : rest.slice(next);
      if (value === "") continue;
    }
    if (name === "charset" && /^[\t\x20-\x7e\x80-\xff]*$/.test(value)) return value.toLowerCase();
  }
  return null;
}

/** An HTTP quoted string at the start of `text`: its unescaped content, and what follows it. */
function quotedString(text: string): { text: string; after: string } {
  let out = "";
  for (let i = 1; i < text.length; i++) {
    const c = text[i] ?? "";
    if (c === "\\") {
      i++;
      out += text[i] ?? "\\";
    } else if (c === '"') return { text: out, after: text.slice(i + 1) };
    else out += c;
  }
  return { text: out, after: "" };
}

/** Essences a browser renders as a document that runs `<script nonce>` the HTML way. */
const HTML_ESSENCES = new Set(["text/html", "application/xhtml+xml"]);
/** Essences that mean "unknown": browsers sniff them, as they sniff a missing or unparseable type. */
const SNIFFED_ESSENCES = new Set(["unknown/unknown", "application/unknown"]);

/**
 * True when a browser may treat the response as HTML: an HTML type, or one it sniffs (none, unparseable,
 * unknown), since the sniffer can find HTML in any such body.
 */
export function isHtmlish(mime: MimeType | null): boolean {
  return mime === null || HTML_ESSENCES.has(mime.essence) || SNIFFED_ESSENCES.has(mime.essence);
}

/** True for an HTML (or XHTML) type named outright: what blanket stamping needs before it parses a body. */
export function isDeclaredHtml(mime: MimeType | null): boolean {
  return mime !== null && HTML_ESSENCES.has(mime.essence);
}

/**
 * True for text/html only: a body browsers read with the HTML parser, the one blanket stamping models.
 * XHTML (application/xhtml+xml) goes to their XML parser, where a CDATA section or a processing
 * instruction holding ">" is text, not the bogus comment the HTML parser sees: not stamped.
 */
export function isParsedAsHtml(mime: MimeType | null): boolean {
  return mime !== null && mime.essence === "text/html";
}

/** Charsets whose text is not ASCII-compatible: an ASCII byte inserted into it would corrupt it. */
const WIDE_CHARSET = /^(utf-?16|utf-?32|ucs-?2|ucs-?4|unicode|csunicode|iso-10646-ucs-2)/;

/** True when the charset (if any) keeps ASCII bytes as ASCII characters. */
export function isAsciiCompatible(mime: MimeType | null): boolean {
  return mime?.charset == null || !WIDE_CHARSET.test(mime.charset);
}
