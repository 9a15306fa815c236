// CSP sources, origin-policy detection, and parsing a serialized policy.

import { describe, expect, it } from "vitest";
import { cspSourceProblem, parseCspString } from "../../../src/core/csp/parse-csp.js";
import { isEffectiveCsp } from "../../../src/core/csp/csp-restricts.js";

describe("cspSourceProblem for source lists", () => {
  it.each([
    "'self'",
    "'none'",
    "'unsafe-inline'",
    "'strict-dynamic'",
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "https:",
    "data:",
    "*",
    "example.com",
    "*.example.com",
    "https://cdn.example.com",
    "https://cdn.example.com:8443/js/",
    "https://*.example.com:*",
    "wss://socket.example.com",
  ])("accepts %s", (source) => {
    expect(cspSourceProblem("sources", source)).toBeUndefined();
  });

  it.each([
    ["self", "`'self'`"],
    ["none", "`'none'`"],
    ["unsafe-inline", "`'unsafe-inline'`"],
    ["sha256-abc=", "`'sha256-abc='`"],
    ["'unsafe-everything'", "quoted keyword"],
    ["'nonce-abc'", "fixed nonce"],
    ["a.com;b.com", "`;`"],
    ["a.com,b.com", "`,`"],
    ["a.com b.com", "whitespace"],
    ["bücher.example", "punycode"],
    ["", "non-empty"],
    ["https://", "did you mean `https:`?"],
  ])("rejects %s", (source, hint) => {
    expect(cspSourceProblem("sources", source)).toContain(hint);
  });
});

describe("cspSourceProblem for other directive kinds", () => {
  it("allows only hosts, schemes, 'self' and 'none' in frame-ancestors", () => {
    expect(cspSourceProblem("ancestors", "'self'")).toBeUndefined();
    expect(cspSourceProblem("ancestors", "https://partner.example.com")).toBeUndefined();
    expect(cspSourceProblem("ancestors", "'unsafe-inline'")).toBeDefined();
    expect(cspSourceProblem("ancestors", "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='")).toBeDefined();
  });

  it("knows sandbox tokens", () => {
    expect(cspSourceProblem("sandbox", "allow-scripts")).toBeUndefined();
    expect(cspSourceProblem("sandbox", "allow-everything")).toContain("sandbox token");
  });

  it("accepts report-uri paths and URLs only", () => {
    expect(cspSourceProblem("uris", "/__csp-report")).toBeUndefined();
    expect(cspSourceProblem("uris", "https://r.example.com/csp")).toBeUndefined();
    expect(cspSourceProblem("uris", "javascript:alert(1)")).toBeDefined();
  });
});

describe("isEffectiveCsp", () => {
  it.each([
    ["default-src 'self'", true],
    ["  Script-Src 'self'  ", true],
    ["nonsense; more-nonsense", false],
    ["", false],
    ["foo 'self', img-src *", true],
  ])("%j → %s", (value, expected) => {
    expect(isEffectiveCsp(value)).toBe(expected);
  });
});

describe("parseCspString", () => {
  it("parses directives in order", () => {
    const { directives, problems } = parseCspString("default-src 'self'; img-src * data:; upgrade-insecure-requests");
    expect(problems).toEqual([]);
    expect([...directives]).toEqual([
      ["default-src", ["'self'"]],
      ["img-src", ["*", "data:"]],
      ["upgrade-insecure-requests", true],
    ]);
  });

  it("reports repeated and unknown directives and bad sources", () => {
    const { problems } = parseCspString("script-src self; script-src 'none'; scripts-src 'self'");
    expect(problems.map((p) => [p.directive, p.received])).toEqual([
      ["script-src", "self"],
      ["script-src", "script-src 'none'"],
      ["scripts-src", "scripts-src"],
    ]);
  });

  it("reports a comma as a second policy", () => {
    expect(parseCspString("default-src 'self', img-src *").problems[0]?.message).toContain("separates policies");
  });
});
