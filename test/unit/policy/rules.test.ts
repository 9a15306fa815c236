// Per-path rules over the base: which rules apply, in what order, and what wins for a header.

import { describe, expect, it } from "vitest";
import { applyHeaders } from "../../../src/core/headers/apply-headers.js";
import { planHeaders } from "../../../src/core/policy/plan-headers.js";
import type { CompiledPolicy, RejectedCombination } from "../../../src/core/policy/types.js";
import { compilePolicy } from "../../../src/core/policy/compile-policy.js";
import { splatReachWarnings } from "../../../src/core/policy/pattern-reach.js";
import { compile, cspMap, doc } from "../support.js";

function headersFor(
  policy: CompiledPolicy,
  path: string,
  contentType: string | null = "text/html",
  origin: [string, string][] = [],
): Headers {
  const headers = new Headers(origin);
  applyHeaders(headers, planHeaders(policy, { https: true, path, contentType }).ops);
  return headers;
}

const PRECEDENCE = compile([
  {
    rules: [
      { path: "/*", headers: { "X-Frame-Options": "SAMEORIGIN", "X-Rule": "catch-all" } },
      { path: "/docs/*", headers: { "X-Rule": "docs" } },
      { path: "/docs/:page", headers: { "X-Rule": "docs-page" } },
      { path: "/docs/:page", headers: { "X-Rule": "docs-page-later" } },
      { path: "/docs/intro", headers: { "X-Rule": "docs-intro" } },
      { path: "/docs/*", headers: { "Referrer-Policy": "no-referrer" } },
    ],
  },
]);

describe("precedence", () => {
  it.each([
    ["/", "catch-all"],
    ["/blog/x", "catch-all"],
    ["/docs/", "docs"],
    // /docs/:page covers what lies below a page (PATH_INFO, mounted apps): more specific than /docs/*.
    ["/docs/a/b", "docs-page-later"],
    ["/docs", "docs"],
    ["/docs/setup", "docs-page-later"],
    ["/docs/intro", "docs-intro"],
  ])("%s gets X-Rule %s", (path, expected) => {
    expect(headersFor(PRECEDENCE, path).get("x-rule")).toBe(expected);
  });

  it("applies every matching rule, not only the most specific", () => {
    const h = headersFor(PRECEDENCE, "/docs/intro");
    expect(h.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(h.get("referrer-policy")).toBe("no-referrer");
  });

  it("replaces a singleton header, never comma-joins it", () => {
    const policy = compile([
      {
        rules: [
          { path: "/*", hsts: { maxAge: 600 } },
          { path: "/a/*", hsts: { maxAge: 900 } },
          { path: "/a/*", headers: { "X-Frame-Options": "SAMEORIGIN" } },
        ],
      },
    ]);
    const h = headersFor(policy, "/a/b");
    expect(h.get("strict-transport-security")).toBe("max-age=900; includeSubDomains");
    expect(h.get("x-frame-options")).toBe("SAMEORIGIN");
  });

  it("leaves paths that match no rule on the base plan", () => {
    const policy = compile([{ rules: [{ path: "/only", headers: { "X-Only": "1" } }] }]);
    expect(planHeaders(policy, { https: true, path: "/other", contentType: null })).toBe(policy.base.https);
  });

  it("puts the KV document's rules after POLICY's, so KV wins ties", () => {
    const policy = compile([
      { rules: [{ path: "/x", headers: { "X-From": "policy" } }] },
      { rules: [{ path: "/x", headers: { "X-From": "kv" } }] },
    ]);
    expect(headersFor(policy, "/x").get("x-from")).toBe("kv");
  });
});

describe("CSP per path", () => {
  const policy = compile([
    {
      csp: { directives: { "script-src": ["'self'"] } },
      cspReportOnly: { directives: { "default-src": ["'self'"] } },
      rules: [
        {
          path: "/embed/*",
          csp: { directives: { "frame-ancestors": ["https://partner.example.com"] } },
          headers: { "X-Frame-Options": { action: "remove" } },
        },
        { path: "/cdn/*", csp: { add: { "script-src": ["https://cdn.example.com"] } } },
        { path: "/legacy/*", csp: { remove: ["script-src"] } },
        { path: "/raw/*", csp: false },
        { path: "/trial/*", cspReportOnly: { directives: { "script-src": ["'none'"] } } },
        { path: "/trial/off", cspReportOnly: false },
      ],
    },
  ]);
  const csp = (path: string, name = "content-security-policy") => cspMap(headersFor(policy, path).get(name));

  it("replaces a directive and removes the legacy header for the partner embed", () => {
    expect(csp("/embed/w").get("frame-ancestors")).toEqual(["https://partner.example.com"]);
    expect(headersFor(policy, "/embed/w").has("x-frame-options")).toBe(false);
  });

  it("adds sources", () => {
    expect(csp("/cdn/x").get("script-src")).toEqual(["'self'", "https://cdn.example.com"]);
  });

  it("removes a directive", () => {
    expect(csp("/legacy/x").has("script-src")).toBe(false);
    expect(csp("/legacy/x").get("default-src")).toEqual(["'self'"]);
  });

  it("exempts a path from the enforced CSP, keeping an origin's own", () => {
    expect(headersFor(policy, "/raw/x").has("content-security-policy")).toBe(false);
    const own = "default-src https:";
    expect(headersFor(policy, "/raw/x", "text/html", [["Content-Security-Policy", own]]).get("content-security-policy")).toBe(own);
    expect(headersFor(policy, "/raw/x").has("content-security-policy-report-only")).toBe(true);
  });

  it("changes the Report-Only policy separately from the enforced one", () => {
    expect(csp("/trial/x", "content-security-policy-report-only").get("script-src")).toEqual(["'none'"]);
    expect(csp("/trial/x").get("script-src")).toEqual(["'self'"]);
    expect(headersFor(policy, "/trial/off").has("content-security-policy-report-only")).toBe(false);
    expect(headersFor(policy, "/trial/off").has("content-security-policy")).toBe(true);
  });
});

describe("content types", () => {
  const policy = compile([
    {
      rules: [
        { path: "/*", contentType: ["text/html"], headers: { "X-Html": "1" } },
        { path: "/*", contentType: ["image/*"], headers: { "X-Image": "1" } },
      ],
    },
  ]);

  it("applies a rule only to its media types, ignoring parameters and case", () => {
    expect(headersFor(policy, "/a", "Text/HTML; charset=utf-8").get("x-html")).toBe("1");
    expect(headersFor(policy, "/a", "application/json").has("x-html")).toBe(false);
    expect(headersFor(policy, "/a", "image/png").get("x-image")).toBe("1");
    expect(headersFor(policy, "/a", null).has("x-html")).toBe(false);
  });
});

describe("combinations", () => {
  it("compiles each combination once and reuses it", () => {
    const policy = compile([
      {
        rules: [
          { path: "/*", headers: { "X-A": "1" } },
          { path: "/b/*", headers: { "X-B": "1" } },
        ],
      },
    ]);
    const first = planHeaders(policy, { https: true, path: "/b/1", contentType: null });
    const second = planHeaders(policy, { https: true, path: "/b/2", contentType: null });
    expect(second).toBe(first);
    expect(policy.combos.size).toBe(1);
  });

  it("skips a rule that conflicts only in combination and reports it once", () => {
    const reported: RejectedCombination[] = [];
    const { policy, rejected } = compilePolicy(
      [
        {
          from: "KV",
          document: doc({
            rules: [
              { path: "/a/*", headers: { "X-Frame-Options": null } },
              { path: "/a/b", headers: { "X-Frame-Options": { action: "set" } } },
            ],
          }),
        },
      ],
      { reportOnly: false },
      { onRejected: (r) => reported.push(r) },
    );
    expect(rejected).toEqual([]);
    const h = headersFor(policy, "/a/b");
    expect(h.has("x-frame-options")).toBe(false);
    headersFor(policy, "/a/b");
    expect(reported).toHaveLength(1);
    expect(reported[0]?.rules).toEqual(["KV.rules[1] /a/b"]);
  });

  it("rejects the whole document when one rule fails against the base", () => {
    const { rejected, policy } = compilePolicy(
      [{ from: "KV", document: doc({ headers: { "X-Base": "1" }, rules: [{ path: "/x", hsts: { maxAge: 10, preload: true } }] }) }],
      { reportOnly: false },
    );
    expect(rejected).toEqual([{ from: "KV", issues: [expect.objectContaining({ path: "rules[0].hsts.preload" })] }]);
    expect(policy.rules).toEqual([]);
    expect(headersFor(policy, "/x").has("x-base")).toBe(false);
  });
});

describe("the widened reach of /x/* and /x", () => {
  const POLICY = compile([
    {
      rules: [
        { path: "/admin/*", headers: { "X-Frame-Options": "DENY", "X-Rule": "admin-area" } },
        { path: "/admin", headers: { "X-Rule": "admin-page" } },
        { path: "/login", headers: { "Cache-Control": { value: "no-store", action: "set" } } },
        { path: "/*.css", headers: { "X-Frame-Options": { action: "remove" } } },
      ],
    },
  ]);

  it.each([
    ["/admin", "DENY"],
    ["/admin.json", "DENY"],
    ["/ADMIN/", "DENY"],
  ])("%s gets the /admin/* rule (Express app.use, Spring's trailing slash, Rails' format)", (path, xfo) => {
    expect(headersFor(POLICY, path).get("x-frame-options")).toBe(xfo);
  });

  it.each(["/login.html", "/login.json", "/login.do", "/login/step2", "/login.php/x"])("%s gets the exact rule /login", (path) => {
    expect(headersFor(POLICY, path).get("cache-control")).toBe("no-store");
  });

  it("validate's warning names a /x/* rule that now stacks on a rule for /x and wins there", () => {
    const warnings = splatReachWarnings(POLICY);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/rules\[0\] \/admin\/\* also applies to \/admin itself .* on top of .*rules\[1\] \/admin/);
    expect(headersFor(POLICY, "/admin").get("x-rule")).toBe("admin-area");
    expect(splatReachWarnings(compile([{ rules: [{ path: "/embed/*", headers: { "X-Rule": "e" } }] }]))).toEqual([]);
  });
});
