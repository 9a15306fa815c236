// fast-check documents for the differential tests: a soup of start and end tags, text, comments and
// CDATA, weighted towards what decides raw text and foreign content (svg, math, integration points,
// template, noscript, select, tables, formatting elements, misnesting) and full of probes: elements whose
// stamping shows the state the parser is in. Documents are strings of bytes (one character per byte).

import fc from "fast-check";

const utf8 = (text: string): string => String.fromCharCode(...new TextEncoder().encode(text));

/** Probes: a stamped inner tag here means the outer one was foreign (its text was markup). */
const PROBES = [
  "<script>s()</script>",
  "<style>t{}</style>",
  "<style><script>p()</script></style>",
  "<script><style>q</style></script>",
  "<link rel=stylesheet href=l>",
  "<link rel=preload as=script href=m>",
  "<LINK REL=modulepreload href=n>",
  "<script><!--<script></script>--></script>",
  "<textarea><script>r()</script></textarea>",
  "<title><style></title>",
  "<noscript><script>u()</script></noscript>",
  "<noscript><link rel=stylesheet href=o></noscript>",
  "<noscript><style>v{}</style><img src=w></noscript>",
  "<xmp><style></xmp>",
  "<script/>",
  "<style/>",
];

// A word list wrapped by hand: Prettier would give each word a line of its own.
// prettier-ignore
const HTML_TAGS = [
  "html", "head", "body", "p", "div", "span", "ul", "li", "dl", "dd", "dt", "table", "caption", "colgroup", "col", "tbody",
  "thead", "tfoot", "tr", "td", "th", "form", "button", "select", "option", "optgroup", "hr", "textarea", "pre", "listing",
  "xmp", "iframe", "noembed", "noframes", "noscript", "template", "frameset", "frame", "h1", "h2", "address", "object",
  "applet", "marquee", "ruby", "rb", "rt", "rp", "rtc", "image", "br", "img", "a", "b", "i", "font", "nobr", "s", "code",
  "em", "small", "strong", "u", "meta", "base", "title", "script", "style", "link", "center", "main", "section", "nav",
  "details", "summary", "dialog", "search", "menu", "plaintext", "input", "keygen", "wbr", "embed", "param", "area",
];
// A word list wrapped by hand: Prettier would give each word a line of its own.
// prettier-ignore
const FOREIGN_TAGS = [
  "svg", "math", "g", "path", "foreignObject", "desc", "title", "mi", "mo", "mn", "ms", "mtext", "mglyph", "malignmark",
  "annotation-xml", "clipPath", "mrow", "script", "style", "font",
];
const ATTRIBUTED = [
  '<a href="/x">',
  "<b class=x>",
  "<b class=x>",
  "<b class=y>",
  "<i id=1>",
  "<font color=red>",
  "<font face=x>",
  "<font size=2>",
  "<input type=hidden>",
  "<input type=text>",
  '<input type="HiDdEn">',
  '<annotation-xml encoding="text/html">',
  "<annotation-xml encoding=application/xhtml+xml>",
  "<annotation-xml encoding=svg>",
  "<div title='a>b<script>'>",
  '<p title="<style>" data-x=">">',
  "<td colspan=2>",
  "<select name=s>",
  "<option selected>",
  "<svg viewBox='0 0 1 1'>",
  '<b title="&amp;">',
  '<b title="&#38;">',
  "<link rel=icon href=f>",
  '<link rel="preload stylesheet" as=style>',
];
// A word list wrapped by hand: Prettier would give each word a line of its own.
// prettier-ignore
const TEXT = [
  "x", "hello", " ", "\n", "\t", "\r\n", "\0", "&nbsp;", "&#32;", "&#x20;", "&Tab;", "&NewLine;", "&#10;", "&#13;", "&amp",
  "&#0;", "<", ">", "a<b", "< 3", utf8("é"), utf8("漢字"), "\xff", "\xe9", "]]>", "--", "-->",
];
// A word list wrapped by hand: Prettier would give each word a line of its own.
// prettier-ignore
const MARKUP = [
  "<!-- c -->", "<!-->", "<!--->", "<!-- --!>", "<!--", "-->", "--!>", "<!-- <script> -->", "<?x y>", "</3>", "</ x>", "</>",
  "<![CDATA[", "<![CDATA[<script>c()</script>]]>", "<![CDATA[ ] ]]]>", "<!DOCTYPE html>",
  '<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.0 Transitional//EN">', "<!doctype>", "<a ", '<div title="', "<script src=x ",
  "</p", "<x\xe9>", "</x\xe9>", "<scr\0ipt>", "</br>", "</p>", "</svg>", "</math>", "</template>", "</select>",
  // Markup in a noscript that a browser with JavaScript off reads, and one with it on does not.
  "<noscript><textarea></noscript>", "<noscript><!--</noscript>", "<noscript><style></noscript>", "<noscript><svg></noscript>",
  "<noscript><xmp></noscript>", "<noscript><title></noscript>", "<noscript><div></noscript>", "<noscript><p>", "</noscript>",
];

/** ASCII case changes the rules must not care about. */
function recase(tag: string, upper: boolean): string {
  return upper ? tag.toUpperCase() : tag;
}

const startTag = fc
  .tuple(fc.constantFrom(...HTML_TAGS, ...FOREIGN_TAGS), fc.boolean(), fc.boolean())
  .map(([t, up, self]) => `<${recase(t, up)}${self ? "/" : ""}>`);
const endTag = fc.tuple(fc.constantFrom(...HTML_TAGS, ...FOREIGN_TAGS), fc.boolean()).map(([t, up]) => `</${recase(t, up)}>`);

// Every kind of context "<![CDATA[" can meet: foreign elements (where it opens a CDATA section) and the
// integration points and HTML elements inside them (where it is a bogus comment that ends at the first ">").
// A word list wrapped by hand: Prettier would give each word a line of its own.
// prettier-ignore
const CDATA_CONTEXTS = [
  "", "<svg>", "<math>", "<svg><g>", "<math><mrow>", "<math><mi>", "<math><mo>", "<math><mn>", "<math><ms>", "<math><mtext>",
  "<math><mi><mglyph>", "<math><mo><malignmark>", "<svg><foreignObject>", "<svg><desc>", "<svg><title>",
  "<math><annotation-xml encoding=text/html>", "<math><annotation-xml encoding='Application/XHTML+XML'>",
  "<math><annotation-xml>", "<math><annotation-xml><svg>", "<svg><foreignObject><math>", "<math><mi><svg>",
  "<svg><desc><div>", "<math><mtext><b>", "<svg><foreignObject><svg>",
];
const CDATA_OPENINGS = ["<![CDATA[", "<![CDATA[x>", "<![CDATA[>", "<![cdata[x>", "<![CDATA[]]>", "<![CDATA[a]]b>"];

/** "<![CDATA[" in a context, hiding a probe that shows whether it opened a section or a bogus comment. */
const cdataInContext = fc
  .tuple(fc.constantFrom(...CDATA_CONTEXTS), fc.constantFrom(...CDATA_OPENINGS), fc.constantFrom(...PROBES), fc.boolean())
  .map(([context, opening, probe, close]) => `${context}${opening}${probe}${close ? "]]>" : ""}`);

/** One piece of a document. */
export const piece: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: cdataInContext },
  { weight: 6, arbitrary: startTag },
  { weight: 4, arbitrary: endTag },
  { weight: 5, arbitrary: fc.constantFrom(...PROBES) },
  { weight: 3, arbitrary: fc.constantFrom(...ATTRIBUTED) },
  { weight: 3, arbitrary: fc.constantFrom(...TEXT) },
  { weight: 2, arbitrary: fc.constantFrom(...MARKUP) },
);

/** A document of up to `max` pieces. */
export function document(max = 40): fc.Arbitrary<string> {
  return fc.array(piece, { maxLength: max }).map((parts) => parts.join(""));
}

/** Cut points for a document of any length (taken modulo its length + 1). */
export const cuts: fc.Arbitrary<number[]> = fc.array(fc.nat(), { maxLength: 8 });
