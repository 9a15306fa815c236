// Generators shared by the fuzz properties in Node and in workerd: hostile strings and request URLs.

import fc from "fast-check";

/** Characters that must never reach a header, and look-alikes that must be handled on purpose. */
export const TRICKY_CHARS = [
  "\r\n",
  "\r",
  "\n",
  "\u0000",
  "\u2028",
  "\u2029",
  "\u0085",
  "\u007f",
  "\u001b",
  "\t",
  "\u000b",
  "\u00a0",
  "\ufeff",
  "\u202e",
  "é",
  "😀",
  "\ud800",
  "\udc00",
  ";",
  ",",
  '"',
  "'",
] as const;

const trickyChar = fc.constantFrom(...TRICKY_CHARS);

/**
 * Any one code point, lone surrogates included: what fast-check's "binary" unit gives, without the 600 ms
 * table it builds on first use in every test file.
 */
export const anyCodePoint: fc.Arbitrary<string> = fc
  .oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0x80, max: 0xffff }), fc.integer({ min: 0x10000, max: 0x10ffff }))
  .map((cp) => String.fromCodePoint(cp));

/** Strings of any code points, like fc.string({ unit: "binary" }). */
export function binaryString(maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: anyCodePoint, maxLength });
}

/** `base` with one tricky character inserted somewhere (start, middle or end). */
export function withInjection(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(base, trickyChar, fc.nat()).map(([s, c, at]) => {
    const i = at % (s.length + 1);
    return `${s.slice(0, i)}${c}${s.slice(i)}`;
  });
}

/** Long strings, up to 40 000 characters, of a repeated piece (valid, multi-byte or hostile). */
export const longString: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom("a", "'self' ", "x=1, ", "é", "\r\n", "https://cdn.example.com/", "-"), fc.integer({ min: 256, max: 40_000 }))
  .map(([piece, n]) => piece.repeat(Math.ceil(n / piece.length)).slice(0, n));

/**
 * Near-valid strings: the valid ones given, the same with a tricky character, random text, very long text.
 * `validWeight` (out of 8 for the rest) sets how often a valid one comes out unchanged.
 */
export function trickyString(valid: readonly [string, ...string[]], validWeight = 4): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: validWeight, arbitrary: fc.constantFrom(...valid) },
    { weight: 4, arbitrary: withInjection(fc.constantFrom(...valid)) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }) },
    { weight: 1, arbitrary: binaryString(12) },
    { weight: 1, arbitrary: fc.string({ unit: trickyChar, maxLength: 4 }) },
    { weight: 1, arbitrary: longString },
  );
}

/** Path segments that have fooled proxies: dot segments in every encoding, slashes and backslashes, hosts, unicode. */
export const PATH_SEGMENTS = [
  "",
  ".",
  "..",
  "%2e",
  "%2E%2e",
  ".%2e",
  "%2e.",
  "..%2f",
  "..%2F",
  "%2f",
  "%2F..%2F",
  "%5c",
  "%5C..%5C",
  "\\",
  "\\..\\",
  "@",
  "@evil.example",
  "evil.example",
  "evil.example:80",
  "user:pass@evil.example",
  ":",
  "%",
  "%zz",
  "%00",
  "%0d%0a",
  "%u002e",
  "%252e%252e",
  "é",
  "%C3%A9",
  "漢字",
  "😀",
  "%F0%9F%98%80",
  "%ff",
  "%c0%af",
  "%e2%80%a8",
  "~",
  "a b",
  "\t",
  "\n",
  "&",
  "=",
  ";",
  "'",
  '"',
  "<",
  ">",
  "`",
  "{",
  "}",
  "|",
  "^",
  "[",
  "]",
  "\u0000",
  "\u2028",
  "\ud800",
  "?",
  "#",
  "http://evil.example",
] as const;

const pathSegment = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...PATH_SEGMENTS) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 4 }) },
  { weight: 1, arbitrary: binaryString(3) },
);

/** A very long run of one piece, so the whole path reaches up to `max` characters. */
function longPiece(max: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom("a", "%2e%2e/", "../", "x/", "%41"), fc.integer({ min: 1, max }))
    .map(([piece, n]) => piece.repeat(Math.ceil(n / piece.length)).slice(0, n));
}

/**
 * What follows the authority in a client's URL, as the client typed it: a path start that may look like
 * another host (`//`, `\\`), tricky segments, and maybe a query, a fragment and a very long run.
 * `maxLong` bounds the long run (an origin server caps its request line).
 */
export function requestTail(maxLong = 8192): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom("/", "/", "/", "//", "///", "/\\", "\\", "//evil.example/", "/\\evil.example/", "/./", "/../"),
      fc.array(pathSegment, { maxLength: 10 }),
      fc.option(longPiece(maxLong), { freq: 8 }),
      fc.option(
        fc.array(pathSegment, { maxLength: 4 }).map((parts) => `?${parts.join("&")}`),
        { freq: 3 },
      ),
      fc.option(
        fc.array(pathSegment, { maxLength: 2 }).map((parts) => `#${parts.join("")}`),
        { freq: 4 },
      ),
    )
    .map(([start, segments, long, query, fragment]) => `${start}${segments.join("/")}${long ?? ""}${query ?? ""}${fragment ?? ""}`);
}

/** The part of a parsed URL an origin request carries: path and query as parsed, a bare "?" kept, no fragment or credentials. */
export function parsedPathAndQuery(url: URL): string {
  const copy = new URL(url.href);
  copy.hash = "";
  copy.username = "";
  copy.password = "";
  return copy.href.slice(`${copy.protocol}//${copy.host}`.length);
}
