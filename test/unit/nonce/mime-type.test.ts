// The MIME type a browser reads from Content-Type (Fetch's "extract a MIME type"), and what it means for
// marked nonces: HTML, or sniffed (treated as HTML), or something else.

import { describe, expect, it } from "vitest";
import { extractMimeType, isAsciiCompatible, isDeclaredHtml, isHtmlish } from "../../../src/core/nonce/mime-type.js";

describe("extractMimeType", () => {
  // The examples in the Fetch standard's "extract a MIME type", plus the cases a proxy sees in the wild.
  it.each<[string | null, string | null, string | null]>([
    ["text/html", "text/html", null],
    ["TEXT/HTML; Charset=UTF-8", "text/html", "utf-8"],
    ["text/plain, text/html", "text/html", null],
    ["text/plain;charset=gbk, text/html", "text/html", null],
    ["text/html;charset=gbk;a=b, text/html;x=y", "text/html", "gbk"],
    ["text/html;charset=gbk, x/x, text/html;x=y", "text/html", null],
    ["text/html, cannot-parse", "text/html", null],
    ["text/html, */*", "text/html", null],
    ["text/html, ", "text/html", null],
    ['text/html;x=",text/plain"', "text/html", null],
    ['text/html;charset="shift_jis"iso-2022-jp', "text/html", "shift_jis"],
    ['text/html;charset=";charset=foo";charset=GBK', "text/html", ";charset=foo"],
    ["text/html;charset=utf-16", "text/html", "utf-16"],
    ["application/json", "application/json", null],
    [null, null, null],
    ["", null, null],
    ["nonsense", null, null],
    ["*/*", null, null],
    ["text/ html", null, null],
  ])("reads %j as %j (charset %j)", (value, essence, charset) => {
    const mime = extractMimeType(value);
    expect(mime === null ? null : mime.essence).toBe(essence);
    if (mime !== null) expect(mime.charset).toBe(charset);
  });
});

describe("isHtmlish", () => {
  it.each<[string | null, boolean]>([
    ["text/html", true],
    ["application/xhtml+xml", true],
    ["text/plain, text/html", true],
    [null, true],
    ["", true],
    ["garbage", true],
    ["unknown/unknown", true],
    ["application/unknown", true],
    ["*/*", true],
    ["text/html, text/plain", false],
    ["application/json", false],
    ["image/png", false],
    ["text/plain", false],
  ])("Content-Type %j → %s", (value, expected) => {
    expect(isHtmlish(extractMimeType(value))).toBe(expected);
  });

  it("only names HTML outright for blanket stamping: a missing type is not enough to parse the body as HTML", () => {
    expect(isDeclaredHtml(extractMimeType("text/plain, text/html"))).toBe(true);
    expect(isDeclaredHtml(extractMimeType(null))).toBe(false);
  });
});

describe("isAsciiCompatible", () => {
  it.each<[string, boolean]>([
    ["text/html; charset=UTF-16", false],
    ['text/html;charset="utf-16le"', false],
    ["text/html; charset=utf-32", false],
    ["text/html; charset=unicodefffe", false],
    ["text/html; charset=utf-8", true],
    ["text/html; charset=windows-1252", true],
    ["text/html; charset=shift_jis", true],
    ["text/html", true],
  ])("%s → %s", (value, expected) => {
    expect(isAsciiCompatible(extractMimeType(value))).toBe(expected);
  });
});
