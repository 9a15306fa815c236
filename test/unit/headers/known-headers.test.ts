// Per-header validity, HSTS parsing, list splitting and configured-value checks.

import { describe, expect, it } from "vitest";
import { headerValueProblem, itemKey, parseHsts, specFor, splitListValue } from "../../../src/core/headers/known-headers.js";

describe("specFor(...).isValid", () => {
  it.each([
    ["x-frame-options", "DENY", true],
    ["x-frame-options", "sameorigin", true],
    ["x-frame-options", "ALLOW-FROM https://a.example", false],
    ["x-frame-options", "DENY, SAMEORIGIN", false],
    ["x-content-type-options", "nosniff", true],
    ["x-content-type-options", "nosniff, nosniff", false],
    ["referrer-policy", "no-referrer, strict-origin-when-cross-origin", true],
    ["referrer-policy", "always", false],
    ["permissions-policy", 'geolocation=(), camera=(self "https://a.example"), fullscreen=*', true],
    ["permissions-policy", "geolocation=(self", false],
    ["permissions-policy", "geolocation=(evil)", false],
    ["cross-origin-opener-policy", 'same-origin; report-to="coop"', true],
    ["cross-origin-opener-policy", "same-site", false],
    ["cross-origin-embedder-policy", "require-corp", true],
    ["cross-origin-resource-policy", "same-site", true],
    ["origin-agent-cluster", "?1", true],
    ["x-xss-protection", "0", true],
    ["x-xss-protection", "1; mode=block", true],
    ["x-xss-protection", "2", false],
    ["clear-site-data", '"cache", "cookies"', true],
    ["clear-site-data", "cache", false],
    ["reporting-endpoints", 'csp="https://r.example/csp"', true],
    ["reporting-endpoints", "csp=https://r.example", false],
    ["x-anything", "whatever", true],
    ["x-anything", "  ", false],
  ])("%s: %j → %s", (name, value, expected) => {
    expect(specFor(name).isValid(value)).toBe(expected);
  });
});

describe("parseHsts", () => {
  it("parses max-age, includeSubDomains and preload in any case", () => {
    expect(parseHsts("Max-Age=600; INCLUDESUBDOMAINS; preload")).toEqual({ maxAge: 600, includeSubDomains: true, preload: true });
    expect(parseHsts('max-age="600"')).toEqual({ maxAge: 600, includeSubDomains: false, preload: false });
  });

  it.each(["", "includeSubDomains", "max-age=1; max-age=2", "max-age=-1", "max-age=abc", "max-age=1, max-age=2"])("rejects %j", (value) => {
    expect(parseHsts(value)).toBeNull();
  });
});

describe("splitListValue", () => {
  it("splits at top-level commas only", () => {
    expect(splitListValue('a=(self "https://x.example"), b="1,2", c')).toEqual(['a=(self "https://x.example")', 'b="1,2"', "c"]);
    expect(splitListValue(" a , , b ")).toEqual(["a", "b"]);
  });
});

describe("itemKey", () => {
  it("keys dictionary members by name and list items by value", () => {
    expect(itemKey("dictionary", "Geolocation=(self)")).toBe("geolocation");
    expect(itemKey("list", " No-Store ")).toBe("no-store");
  });
});

describe("headerValueProblem", () => {
  it.each([
    ["a\r\nb", "CR, LF or NUL"],
    ["a\nb", "CR, LF or NUL"],
    ["a\u0000b", "CR, LF or NUL"],
    ["a\u0007b", "control characters"],
    ["café", "printable ASCII"],
    [" padded", "whitespace"],
    ["", "non-empty"],
  ])("rejects %j", (value, hint) => {
    expect(headerValueProblem(value)).toContain(hint);
  });

  it("accepts printable ASCII with inner tabs and spaces", () => {
    expect(headerValueProblem("max-age=1;\tpreload x")).toBeUndefined();
  });
});
