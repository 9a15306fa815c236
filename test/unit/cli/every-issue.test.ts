// validate reports every issue of a document in one run: a table of bad policies (typos, what used to pass,
// patterns), each with the exact issues it must produce, and the same issues again when they share a document.

import { describe, expect, it } from "vitest";
import { bareEnvironment } from "../../../bin/support/environment.js";
import { checkDocument } from "../../../bin/support/documents.js";
import { parsePruned } from "../../../src/core/policy/parse-pruned.js";

/** An expected issue: its exact path, and the words its message must contain. */
type Expected = readonly [path: string, words: string];

interface Case {
  readonly name: string;
  readonly document: Record<string, unknown>;
  readonly issues: readonly Expected[];
}

const CASES: readonly Case[] = [
  {
    name: "append on a singleton header",
    document: { headers: { "X-Frame-Options": { value: "DENY", action: "append" } } },
    issues: [['headers["X-Frame-Options"].action', "append would make it invalid"]],
  },
  {
    name: "a dedicated header under headers, and a header the origin owns",
    document: { headers: { "Content-Security-Policy": "default-src 'self'", "Set-Cookie": "a=b" } },
    issues: [
      ['headers["Content-Security-Policy"]', "the `csp` field for Content-Security-Policy"],
      ['headers["Set-Cookie"]', "Set-Cookie cannot be"],
    ],
  },
  {
    name: "a header both removed and owned",
    document: { headers: { "X-Custom": "1" }, remove: ["X-Custom", "X-Powerd-By"] },
    issues: [
      ["remove[0]", 'also has an entry in headers["X-Custom"]'],
      ["remove[1]", "did you mean `X-Powered-By`?"],
    ],
  },
  {
    name: "header names one edit from known ones",
    document: { headers: { "X-Frame-Option": "DENY", "Referer-Policy": "no-referrer", "Stict-Transport-Security": "max-age=1" } },
    issues: [
      ['headers["X-Frame-Option"]', "did you mean `X-Frame-Options`?"],
      ['headers["Referer-Policy"]', "did you mean `Referrer-Policy`?"],
      ['headers["Stict-Transport-Security"]', "did you mean `Strict-Transport-Security`?"],
    ],
  },
  {
    name: "a near-miss header marked custom, and an unknown header far from every known one (both allowed)",
    document: { headers: { "X-Frame-Optionz": { value: "1", custom: true }, "X-Shop-Id": "7" } },
    issues: [],
  },
  {
    name: "a Permissions-Policy feature one edit from a known one",
    document: { headers: { "Permissions-Policy": "geolocaton=(), camera=(), brand-new-feature=()" } },
    issues: [['headers["Permissions-Policy"]', "did you mean `geolocation`?"]],
  },
  {
    name: "a CSP report-to group one edit from the group the policy defines",
    document: {
      headers: { "Reporting-Endpoints": 'csp-main="https://r.example/csp"' },
      csp: { directives: { "report-to": ["csp-man"] } },
    },
    issues: [['csp.directives["report-to"][0]', "did you mean `csp-main`?"]],
  },
  {
    name: "preload without its requirements (found only when compiling)",
    document: { hsts: { maxAge: 300, preload: true } },
    issues: [["hsts.preload", "preload only with includeSubDomains"]],
  },
  {
    name: "a misspelled directive with a bad source in it",
    document: { csp: { directives: { "script-scr": ["'self'", "'unsafe-inlin'"] } } },
    issues: [
      ['csp.directives["script-scr"]', "did you mean `script-src`?"],
      ['csp.directives["script-scr"][1]', "a quoted keyword"],
    ],
  },
  {
    name: "a malformed header entry beside ones with other problems",
    document: { headers: { "X-Number": 5, "X-Frame-Options": { value: "DENY", action: "append" } } },
    issues: [
      ['headers["X-Number"]', "a header value string"],
      ['headers["X-Frame-Options"].action', "append would make it invalid"],
    ],
  },
  {
    name: "a rule without a path, and a later rule that only compiling rejects",
    document: { rules: [{ headers: { "X-A": "1" } }, { path: "/x", hsts: { maxAge: 10, preload: true } }] },
    issues: [
      ["rules[0].path", "the required field"],
      ["rules[1].hsts.preload", "preload only with includeSubDomains"],
    ],
  },
];

/** Objects merged key by key; anything else from `b`. The cases touch disjoint leaves, so nothing is lost. */
function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const mine = out[key];
    out[key] = isPlain(mine) && isPlain(value) ? deepMerge(mine, value) : value;
  }
  return out;
}

function isPlain(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function issuesOf(document: unknown): readonly { path: string; message: string }[] {
  const check = checkDocument(JSON.stringify(document), bareEnvironment().config);
  return check.stage === "rules" ? [] : check.issues;
}

function expectIssues(actual: readonly { path: string; message: string }[], expected: readonly Expected[]): void {
  expect(actual.map((issue) => issue.path).sort()).toEqual(expected.map(([path]) => path).sort());
  for (const [path, words] of expected) {
    expect(actual.find((issue) => issue.path === path)?.message, path).toContain(words);
  }
}

describe("validate's issues", () => {
  for (const { name, document, issues } of CASES) {
    it(`are exactly the expected ones: ${name}`, () => {
      expectIssues(issuesOf(document), issues);
    });
  }

  it("are all reported in one run when the mistakes share one document", () => {
    const document = CASES.reduce<Record<string, unknown>>((all, c) => deepMerge(all, c.document), {});
    const expected = new Map(CASES.flatMap((c) => c.issues.map((issue) => [issue[0], issue] as const)));
    expectIssues(issuesOf(document), [...expected.values()]);
  });
});

describe("what remains of an invalid document", () => {
  it("keeps the rules after a broken one at their index, the broken one made empty", () => {
    const rest = parsePruned({ rules: [{ path: 5 }, { path: "/x", headers: { "X-A": "1" } }] });
    expect(rest?.rules).toEqual([{ path: "/" }, { path: "/x", headers: { "X-A": "1" } }]);
  });

  it("takes out only the invalid parts, and nothing of a valid document", () => {
    const valid = { headers: { "X-A": "1" }, hsts: { maxAge: 10 } };
    expect(parsePruned(valid)).toEqual(valid);
    expect(parsePruned({ headers: { "X-A": "1", "X-B": 5 }, hsts: { maxAge: -1 } })).toEqual({ headers: { "X-A": "1" }, hsts: {} });
  });

  it("is nothing when the document is not an object", () => {
    expect(parsePruned([1])).toBeUndefined();
  });
});
