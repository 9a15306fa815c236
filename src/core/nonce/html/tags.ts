// Tag names the tree-construction rules (WHATWG HTML §13.2.6) single out, as small integers, with the
// categories each name has in each namespace: special, formatting, scope boundaries, integration points.

/** Namespaces the parser creates elements in. */
export const HTML = 0;
export const SVG = 1;
export const MATHML = 2;
export type Namespace = typeof HTML | typeof SVG | typeof MATHML;

// Every name a rule mentions. The order is irrelevant; the number is an index into the tables below.
// A word list wrapped by hand: Prettier would give each word a line of its own.
// prettier-ignore
const NAMES = [
  "", // 0: a name no rule mentions
  "a", "address", "annotation-xml", "applet", "area", "article", "aside", "b", "base", "basefont", "bgsound", "big",
  "blockquote", "body", "br", "button", "caption", "center", "code", "col", "colgroup", "dd", "desc", "details", "dialog",
  "dir", "div", "dl", "dt", "em", "embed", "fieldset", "figcaption", "figure", "font", "footer", "foreignobject", "form",
  "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html", "i", "iframe", "image",
  "img", "input", "keygen", "li", "link", "listing", "main", "malignmark", "marquee", "math", "menu", "meta", "mglyph",
  "mi", "mn", "mo", "ms", "mtext", "nav", "nobr", "noembed", "noframes", "noscript", "object", "ol", "optgroup", "option",
  "p", "param", "plaintext", "pre", "rb", "rp", "rt", "rtc", "ruby", "s", "script", "search", "section", "select", "small",
  "source", "span", "strike", "strong", "style", "sub", "summary", "sup", "svg", "table", "tbody", "td", "template", "textarea",
  "tfoot", "th", "thead", "title", "tr", "track", "tt", "u", "ul", "var", "wbr", "xmp",
] as const;

type Name = (typeof NAMES)[number];

const IDS = new Map<string, number>(NAMES.map((name, id) => [name, id]));

/** One more than the largest tag id. */
export const TAG_IDS = NAMES.length;

/** The id of a lower-case tag name, 0 for a name no rule mentions. */
export function tagId(name: string): number {
  return IDS.get(name) ?? 0;
}

type Key<N extends string> = N extends `${infer A}-${infer B}` ? `${A}_${B}` : N;

/** Ids by name, for the rules (`T.script`, `T.annotation_xml`). */
export const T = Object.fromEntries(NAMES.map((name, id) => [name === "" ? "other" : name.replace("-", "_"), id])) as Record<
  Key<Exclude<Name, "">>,
  number
> & { readonly other: number };

// Category bits, per namespace.
export const SPECIAL = 1 << 0;
export const FORMATTING = 1 << 1;
/** A boundary of "has an element in scope" (and so of button and list item scope too). */
export const SCOPE = 1 << 2;
export const BUTTON_SCOPE = 1 << 3;
export const LIST_SCOPE = 1 << 4;
export const TABLE_SCOPE = 1 << 5;
/** Special elements that the li/dd/dt start tag rules walk past (address, div, p). */
export const LI_PASS = 1 << 6;
/** Popped by "generate implied end tags". */
export const IMPLIED_END = 1 << 7;
/** Popped by "generate all implied end tags thoroughly" (implied end tags plus the table parts). */
export const IMPLIED_END_THOROUGH = 1 << 8;
/** Elements "reset the insertion mode appropriately" stops at. */
export const MODE_ROOT = 1 << 9;
export const MATHML_TEXT_POINT = 1 << 10;
/** An HTML integration point by name (SVG foreignObject, desc, title); annotation-xml depends on its encoding. */
export const HTML_POINT = 1 << 11;
/** Start tags that leave foreign content (the "breakout" list; font only with color, face or size). */
export const BREAKOUT = 1 << 12;
/** Counted in the scope indexes: every name a scope query asks about. */
export const TRACKED = 1 << 13;
/** Removed by "clear the stack back to a table context" and the like: stops there. */
export const TABLE_CONTEXT = 1 << 14;
export const TABLE_BODY_CONTEXT = 1 << 15;
export const TABLE_ROW_CONTEXT = 1 << 16;
export const HEADING = 1 << 17;
export const CELL = 1 << 18;

const htmlBits = new Uint32Array(NAMES.length);
const svgBits = new Uint32Array(NAMES.length);
const mathBits = new Uint32Array(NAMES.length);

function mark(table: Uint32Array, bits: number, names: readonly Name[]): void {
  for (const name of names) {
    const id = IDS.get(name);
    if (id === undefined) throw new Error(`no tag id for ${name}`);
    table[id] = (table[id] ?? 0) | bits;
  }
}

// A word list wrapped by hand: Prettier would give each word a line of its own.
// prettier-ignore
mark(htmlBits, SPECIAL | TRACKED, [
  "address", "applet", "area", "article", "aside", "base", "basefont", "bgsound", "blockquote", "body", "br", "button",
  "caption", "center", "col", "colgroup", "dd", "details", "dir", "div", "dl", "dt", "embed", "fieldset", "figcaption",
  "figure", "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr",
  "html", "iframe", "img", "input", "keygen", "li", "link", "listing", "main", "marquee", "menu", "meta", "nav", "noembed",
  "noframes", "noscript", "object", "ol", "p", "param", "plaintext", "pre", "script", "search", "section", "select",
  "source", "style", "summary", "table", "tbody", "td", "template", "textarea", "tfoot", "th", "thead", "title", "tr",
  "track", "ul", "wbr", "xmp",
]);
mark(htmlBits, TRACKED, ["ruby", "nobr", "option", "optgroup"]);
mark(htmlBits, FORMATTING, ["a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"]);
mark(htmlBits, SCOPE | BUTTON_SCOPE | LIST_SCOPE, ["applet", "caption", "html", "table", "td", "th", "marquee", "object", "template"]);
mark(htmlBits, BUTTON_SCOPE, ["button"]);
mark(htmlBits, LIST_SCOPE, ["ol", "ul"]);
mark(htmlBits, TABLE_SCOPE, ["html", "table", "template"]);
mark(htmlBits, LI_PASS, ["address", "div", "p"]);
mark(htmlBits, IMPLIED_END | IMPLIED_END_THOROUGH, ["dd", "dt", "li", "optgroup", "option", "p", "rb", "rp", "rt", "rtc"]);
mark(htmlBits, IMPLIED_END_THOROUGH, ["caption", "colgroup", "tbody", "td", "tfoot", "th", "thead", "tr"]);
mark(htmlBits, MODE_ROOT, [
  "td",
  "th",
  "tr",
  "tbody",
  "thead",
  "tfoot",
  "caption",
  "colgroup",
  "table",
  "template",
  "head",
  "body",
  "frameset",
  "html",
]);
mark(htmlBits, TABLE_CONTEXT, ["table", "template", "html"]);
mark(htmlBits, TABLE_BODY_CONTEXT, ["tbody", "tfoot", "thead", "template", "html"]);
mark(htmlBits, TABLE_ROW_CONTEXT, ["tr", "template", "html"]);
mark(htmlBits, HEADING, ["h1", "h2", "h3", "h4", "h5", "h6"]);
mark(htmlBits, CELL, ["td", "th"]);
// A word list wrapped by hand: Prettier would give each word a line of its own.
// prettier-ignore
mark(htmlBits, BREAKOUT, [
  "b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt", "em", "embed", "h1", "h2", "h3", "h4",
  "h5", "h6", "head", "hr", "i", "img", "li", "listing", "menu", "meta", "nobr", "ol", "p", "pre", "ruby", "s", "small",
  "span", "strong", "strike", "sub", "sup", "table", "tt", "u", "ul", "var",
]);
mark(mathBits, SPECIAL | SCOPE | BUTTON_SCOPE | LIST_SCOPE, ["mi", "mo", "mn", "ms", "mtext", "annotation-xml"]);
mark(mathBits, MATHML_TEXT_POINT, ["mi", "mo", "mn", "ms", "mtext"]);
mark(svgBits, SPECIAL | SCOPE | BUTTON_SCOPE | LIST_SCOPE | HTML_POINT, ["foreignobject", "desc", "title"]);

/** The category bits of an element (a tag id in a namespace); a start tag's breakout bit is read on HTML's table. */
export function tagBits(ns: Namespace, id: number): number {
  const table = ns === HTML ? htmlBits : ns === SVG ? svgBits : mathBits;
  return table[id] ?? 0;
}
