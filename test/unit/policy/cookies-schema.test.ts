// Bad cookie entries: a table of documents, each with the exact issues validate must report, all found in
// one run; and what a valid entry compiles to.

import { describe, expect, it } from "vitest";
import { bareEnvironment } from "../../../bin/support/environment.js";
import { checkDocument } from "../../../bin/support/documents.js";

type Expected = readonly [path: string, words: string];

const CASES: readonly { name: string; cookies: unknown; issues: readonly Expected[] }[] = [
  {
    name: "SameSite in lower case",
    cookies: [{ pattern: "*", sameSite: "lax" }],
    issues: [["cookies[0].sameSite", "did you mean `Lax`?"]],
  },
  {
    name: "a misspelled field",
    cookies: [{ name: "sid", httponly: true }],
    issues: [["cookies[0].httponly", "did you mean `httpOnly`?"]],
  },
  {
    name: "both name and pattern",
    cookies: [{ name: "sid", pattern: "s*", secure: true }],
    issues: [["cookies[0].pattern", "either name or pattern, not both"]],
  },
  {
    name: "neither name nor pattern",
    cookies: [{ secure: true }],
    issues: [["cookies[0].name", "a name (one cookie) or a pattern"]],
  },
  {
    name: "an entry that requires nothing",
    cookies: [{ name: "sid" }],
    issues: [["cookies[0]", "an entry that requires nothing does nothing"]],
  },
  {
    name: "SameSite None without Secure",
    cookies: [{ pattern: "*", sameSite: "None", secure: false }],
    issues: [["cookies[0].secure", "browsers reject SameSite=None without Secure"]],
  },
  {
    name: "a flag that is not a boolean, and override without sameSite",
    cookies: [{ name: "sid", httpOnly: "yes", override: true }],
    issues: [
      ["cookies[0].httpOnly", "true or false"],
      ["cookies[0].override", "a sameSite beside override"],
    ],
  },
  {
    name: "a name that is no cookie name, and a * in name",
    cookies: [
      { name: "my cookie", secure: true },
      { name: "s*", secure: true },
    ],
    issues: [
      ["cookies[0].name", "a cookie name"],
      ["cookies[1].name", "no * outside a pattern"],
    ],
  },
  { name: "not a list", cookies: { pattern: "*" }, issues: [["cookies", "a list of cookie entries"]] },
];

function issuesOf(document: unknown): readonly { path: string; message: string }[] {
  const check = checkDocument(JSON.stringify(document), bareEnvironment().config);
  return check.stage === "rules" ? [] : check.issues;
}

function expectIssues(actual: readonly { path: string; message: string }[], expected: readonly Expected[]): void {
  expect(actual.map((issue) => issue.path).sort()).toEqual(expected.map(([path]) => path).sort());
  for (const [path, words] of expected) expect(actual.find((issue) => issue.path === path)?.message, path).toContain(words);
}

describe("validate's issues for cookie entries", () => {
  for (const { name, cookies, issues } of CASES) {
    it(`are exactly the expected ones: ${name}`, () => {
      expectIssues(issuesOf({ cookies }), issues);
    });
  }

  it("are all reported in one run, in the base and in rules", () => {
    const listed = CASES.filter((c) => Array.isArray(c.cookies));
    const document = {
      cookies: listed.flatMap((c) => c.cookies as unknown[]),
      rules: [{ path: "/admin", cookies: [{ pattern: "*", sameSite: "strict" }] }],
    };
    const expected: Expected[] = [["rules[0].cookies[0].sameSite", "did you mean `Strict`?"]];
    let offset = 0;
    for (const c of listed) {
      for (const [path, words] of c.issues)
        expected.push([path.replace(/^cookies\[(\d+)\]/, (_, i: string) => `cookies[${Number(i) + offset}]`), words]);
      offset += (c.cookies as unknown[]).length;
    }
    expectIssues(issuesOf(document), expected);
  });

  it("accept the brief's example, false, and an entry that only lifts a requirement", () => {
    const cookies = [
      { name: "sessionid", httpOnly: true, sameSite: "Strict" },
      { pattern: "__Host-*", httpOnly: true },
      { pattern: "legacy-*", secure: false },
      { pattern: "*", secure: true, sameSite: "Lax", override: false },
    ];
    expect(issuesOf({ cookies, rules: [{ path: "/raw/*", cookies: false }] })).toEqual([]);
  });
});
