// Converting Cloudflare Pages / Netlify `_headers` files into policy documents: what maps, what is
// reported and skipped, and that the result validates like any other document.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../../src/core/policy/compile-policy.js";
import { importHeadersFile, type ImportedRule } from "../../../bin/support/import-headers-file.js";
import { parsePolicy } from "../../../src/core/policy/parse-policy.js";

const FIXTURES = new URL("../fixtures/headers-files/", import.meta.url);

function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), "utf8");
}

/** The rules converted from `text`, which must convert without issues. */
function rules(text: string): ImportedRule[] {
  const { document, issues } = importHeadersFile(text);
  expect(issues).toEqual([]);
  return document.rules;
}

/** The single rule converted from `text`. */
function only(text: string): ImportedRule {
  const [rule, ...rest] = rules(text);
  expect(rest).toEqual([]);
  if (rule === undefined) throw new Error("no rule converted");
  return rule;
}

/** The issues' line numbers and messages. */
function issuesOf(text: string): { line: number; message: string }[] {
  return importHeadersFile(text).issues.map(({ line, message }) => ({ line, message }));
}

describe("importHeadersFile on a realistic Pages file", () => {
  const text = fixture("pages-site._headers");

  it("converts it into the expected document", () => {
    const expected: unknown = JSON.parse(fixture("pages-site.expected.json"));
    expect(importHeadersFile(text).document).toEqual(expected);
  });

  it("reports the CSP typo, the Set-Cookie line and the host pattern, by line", () => {
    expect(issuesOf(text)).toEqual([
      { line: 21, message: expect.stringMatching(/'self'.*\(in Content-Security-Policy-Report-Only script-src\)/) },
      { line: 25, message: expect.stringMatching(/Set-Cookie cannot be/) },
      { line: 28, message: expect.stringMatching(/a pattern with a host cannot be expressed/) },
    ]);
  });

  it("produces a document whose only validation issue is the CSP typo", () => {
    const result = parsePolicy(importHeadersFile(text).document);
    expect(result.ok ? [] : result.issues.map((i) => i.path)).toEqual(['rules[2].cspReportOnly.directives["script-src"][0]']);
  });
});

describe("importHeadersFile on a clean Netlify file", () => {
  it("produces a document that validates and compiles over the built-in defaults", () => {
    const { document, issues } = importHeadersFile(fixture("netlify-site._headers"));
    expect(issues).toEqual([]);
    const parsed = parsePolicy(document);
    expect(parsed.ok ? [] : parsed.issues).toEqual([]);
    if (!parsed.ok) return;
    expect(compilePolicy([{ from: "KV", document: parsed.value }], { reportOnly: false }).rejected).toEqual([]);
  });
});

describe("importHeadersFile", () => {
  it("writes $schema first, then the rules", () => {
    expect(Object.keys(importHeadersFile("/*\n  X-Frame-Options: DENY\n").document)).toEqual(["$schema", "rules"]);
  });

  it("makes one rule per path block, in file order", () => {
    const text = "/b\n  X-A: 1\n/a\n  X-A: 2\n/b\n  X-A: 3\n";
    expect(rules(text).map((r) => [r.path, r.headers?.["X-A"]?.value])).toEqual([
      ["/b", "1"],
      ["/a", "2"],
      ["/b", "3"],
    ]);
  });

  it.each([["/users/:id"], ["/static/*"], ["/*"], ["/assets/*.js"], ["/blog/:year/:slug/*"]])(
    "keeps the pattern %s as it is",
    (pattern) => {
      expect(only(`${pattern}\n  X-A: 1\n`).path).toBe(pattern);
    },
  );

  it("names the block's line in the rule's description", () => {
    expect(only("# c\n\n/x\n  X-A: 1\n").description).toBe("Imported from _headers line 3.");
  });

  it("turns a header line into a set entry", () => {
    expect(only("/x\n  X-Robots-Tag: noindex\n").headers).toEqual({ "X-Robots-Tag": { value: "noindex", action: "set" } });
  });

  it("joins several lines of one header, in any case, with a comma", () => {
    const rule = only("/x\n  Permissions-Policy: camera=()\n  permissions-policy: geolocation=()\n");
    expect(rule.headers).toEqual({ "Permissions-Policy": { value: "camera=(), geolocation=()", action: "set" } });
  });

  it("keeps a colon inside the value", () => {
    expect(only("/x\n  Link: <https://cdn.example.com>; rel=preconnect\n").headers?.Link?.value).toBe(
      "<https://cdn.example.com>; rel=preconnect",
    );
  });

  it("turns `! Header` into a removal", () => {
    expect(only("/x\n  ! X-Powered-By\n  !Server\n").remove).toEqual(["X-Powered-By", "Server"]);
  });

  it.each([
    ["Content-Security-Policy", "csp"],
    ["Content-Security-Policy-Report-Only", "cspReportOnly"],
    ["Strict-Transport-Security", "hsts"],
  ] as const)("turns `! %s` into %s: false", (name, field) => {
    expect(only(`/x\n  ! ${name}\n`)[field]).toBe(false);
  });

  it("turns a CSP line into a csp that is set and replaces the whole policy with its parsed directives", () => {
    const rule = only("/x\n  Content-Security-Policy: default-src 'self'; img-src 'self' data:; upgrade-insecure-requests\n");
    expect(rule.csp).toEqual({
      action: "set",
      replace: true,
      directives: { "default-src": ["'self'"], "img-src": ["'self'", "data:"], "upgrade-insecure-requests": true },
    });
  });

  it("turns a CSP Report-Only line into cspReportOnly", () => {
    const rule = only("/x\n  Content-Security-Policy-Report-Only: script-src 'self'\n");
    expect(rule.cspReportOnly).toEqual({ action: "set", replace: true, directives: { "script-src": ["'self'"] } });
  });

  it("turns an HSTS line into hsts", () => {
    const rule = only("/x\n  Strict-Transport-Security: max-age=31536000; includeSubDomains\n");
    expect(rule.hsts).toEqual({ action: "set", maxAge: 31536000, includeSubDomains: true, preload: false });
  });

  it("ignores comments, blank lines, a byte order mark and CRLF line ends", () => {
    expect(rules("\uFEFF# top\r\n\r\n/x\r\n  # inside\r\n  X-A: 1\r\n")).toEqual([
      { path: "/x", description: "Imported from _headers line 3.", headers: { "X-A": { value: "1", action: "set" } } },
    ]);
  });

  it.each([
    ["a pattern with a host", "https://:project.pages.dev/*\n  X-Robots-Tag: noindex\n", 1, /a pattern with a host cannot be expressed/],
    ["a pattern without a leading slash", "embed/*\n  X-A: 1\n", 1, /a path starting with \//],
    ["an unindented header line", "/x\n  X-A: 1\nX-Frame-Options: DENY\n", 3, /header lines must be indented/],
    ["a placeholder inside a segment", "/users/id-:id\n  X-A: 1\n", 1, /a placeholder filling a whole segment/],
  ])("reports %s and skips its block with every line under it", (_, text, line, message) => {
    const { document, issues } = importHeadersFile(text);
    expect(issues.map((i) => ({ line: i.line, message: i.message }))).toEqual([{ line, message: expect.stringMatching(message) }]);
    expect(document.rules.filter((r) => r.headers?.["X-Robots-Tag"] !== undefined || r.headers?.["X-Frame-Options"] !== undefined)).toEqual(
      [],
    );
  });

  it("reports a header line before any path", () => {
    expect(issuesOf("  X-A: 1\n/x\n  X-B: 2\n")).toEqual([{ line: 1, message: expect.stringMatching(/a path line/) }]);
  });

  it.each([
    ["a line without a colon", "/x\n  nosniff\n", 2],
    ["an invalid header name", "/x\n  X Frame: DENY\n", 2],
    ["an invalid name to remove", "/x\n  ! X Frame\n", 2],
  ])("reports %s and skips it", (_, text, line) => {
    const { document, issues } = importHeadersFile(text);
    expect(issues.map((i) => i.line)).toEqual([line]);
    expect(document.rules).toEqual([{ path: "/x", description: "Imported from _headers line 1." }]);
  });

  it.each([["Set-Cookie: a=1"], ["Content-Type: text/plain"], ["Location: /elsewhere"], ["! Set-Cookie"]])(
    "reports %j, a header the policy may not own, and skips it",
    (line) => {
      const { document, issues } = importHeadersFile(`/x\n  ${line}\n  X-A: 1\n`);
      expect(issues.map((i) => ({ line: i.line, message: i.message }))).toEqual([
        { line: 2, message: expect.stringMatching(/a header the policy may own/) },
      ]);
      expect(document.rules[0]?.headers).toEqual({ "X-A": { value: "1", action: "set" } });
      expect(document.rules[0]?.remove).toBeUndefined();
    },
  );

  it("reports each line of a repeated forbidden header", () => {
    expect(issuesOf("/x\n  Set-Cookie: a=1\n  Set-Cookie: b=2\n").map((i) => i.line)).toEqual([2, 3]);
  });

  it("reports CSP problems with the directive, and keeps the directives it parsed", () => {
    const { document, issues } = importHeadersFile("/x\n  Content-Security-Policy: default-src self; bogus-src 'self'; img-src *\n");
    expect(issues.map((i) => [i.line, i.message, i.received])).toEqual([
      [2, expect.stringMatching(/'self'.*\(in Content-Security-Policy default-src\)/), '"self"'],
      [2, expect.stringMatching(/a known CSP directive/), '"bogus-src"'],
    ]);
    expect(document.rules[0]?.csp).toEqual({ action: "set", replace: true, directives: { "default-src": ["self"], "img-src": ["*"] } });
  });

  it("reports a CSP without any known directive and skips it", () => {
    const { document, issues } = importHeadersFile("/x\n  Content-Security-Policy: nothing-here\n");
    expect(issues.map((i) => i.message)).toEqual([
      expect.stringMatching(/a known CSP directive/),
      expect.stringMatching(/at least one known directive; skipped/),
    ]);
    expect(document.rules[0]?.csp).toBeUndefined();
  });

  it("keeps the first of two CSP lines in a block and reports the second", () => {
    const { document, issues } = importHeadersFile(
      "/x\n  Content-Security-Policy: default-src 'self'\n  Content-Security-Policy: img-src *\n",
    );
    expect(issues.map((i) => [i.line, i.message])).toEqual([[3, expect.stringMatching(/one Content-Security-Policy line per block/)]]);
    expect(document.rules[0]?.csp).toEqual({ action: "set", replace: true, directives: { "default-src": ["'self'"] } });
  });

  it("reports an invalid HSTS line and skips it", () => {
    const { document, issues } = importHeadersFile("/x\n  Strict-Transport-Security: includeSubDomains\n");
    expect(issues.map((i) => [i.line, i.received])).toEqual([[2, '"includeSubDomains"']]);
    expect(document.rules[0]?.hsts).toBeUndefined();
  });

  it("reports a header both set and removed in one block, and keeps the value", () => {
    const { document, issues } = importHeadersFile("/x\n  X-Frame-Options: DENY\n  ! X-Frame-Options\n");
    expect(issues.map((i) => [i.line, i.message])).toEqual([[3, expect.stringMatching(/either set or removed/)]]);
    expect(document.rules[0]).toMatchObject({ headers: { "X-Frame-Options": { value: "DENY", action: "set" } } });
    expect(document.rules[0]?.remove).toBeUndefined();
  });

  it("lists issues in line order", () => {
    const text = "/x\n  Set-Cookie: a=1\n  Content-Security-Policy: default-src self\n";
    expect(importHeadersFile(text).issues.map((i) => i.line)).toEqual([2, 3]);
  });
});
