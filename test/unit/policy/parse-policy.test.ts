// Policy validation as tables over fixture files: every valid document passes, every invalid one
// fails with exactly the issue paths it lists.

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parsePolicy, parsePolicyJson } from "../../../src/core/policy/parse-policy.js";

const DIR = new URL("../fixtures/policy/", import.meta.url);

function fixtures(kind: "valid" | "invalid"): { name: string; content: unknown }[] {
  const dir = new URL(`${kind}/`, DIR);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((name) => ({ name, content: JSON.parse(readFileSync(new URL(name, dir), "utf8")) as unknown }));
}

interface InvalidFixture {
  document: unknown;
  issues: string[];
}

describe("valid policy documents", () => {
  it.each(fixtures("valid"))("accepts $name", ({ content }) => {
    const result = parsePolicy(content);
    expect(result.ok ? [] : result.issues).toEqual([]);
  });
});

describe("invalid policy documents", () => {
  it.each(fixtures("invalid"))("rejects $name with an issue at each listed path", ({ content }) => {
    const { document, issues } = content as InvalidFixture;
    const result = parsePolicy(document);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.path).sort()).toEqual([...issues].sort());
    for (const issue of result.issues) {
      expect(issue.message.length).toBeGreaterThan(0);
      expect(issue.received.length).toBeGreaterThan(0);
    }
  });
});

function issueAt(document: unknown, path: string) {
  const result = parsePolicy(document);
  if (result.ok) throw new Error("expected issues");
  const issue = result.issues.find((i) => i.path === path);
  if (issue === undefined) throw new Error(`no issue at ${path}: ${JSON.stringify(result.issues)}`);
  return issue;
}

describe("issue messages", () => {
  it("offers the likely field for a typo", () => {
    const issue = issueAt({ hsts: { includeSubdomains: true } }, "hsts.includeSubdomains");
    expect(issue.message).toContain("did you mean `includeSubDomains`?");
    expect(issue.received).toBe('"includeSubdomains"');
  });

  it("offers the quoted keyword for an unquoted one", () => {
    const issue = issueAt({ csp: { directives: { "script-src": ["self"] } } }, 'csp.directives["script-src"][0]');
    expect(issue.message).toContain("`'self'`");
    expect(issue.received).toBe('"self"');
  });

  it("offers the directive's spec spelling", () => {
    const issue = issueAt({ csp: { directives: { "scripts-src": ["'self'"] } } }, 'csp.directives["scripts-src"]');
    expect(issue.message).toContain("did you mean `script-src`?");
  });

  it("offers the closest action", () => {
    const issue = issueAt({ headers: { "X-A": { value: "1", action: "sett" } } }, 'headers["X-A"].action');
    expect(issue.message).toContain("did you mean `set`?");
  });

  it("names header injection for a CR/LF value", () => {
    const issue = issueAt({ headers: { "X-A": "a\r\nb" } }, 'headers["X-A"]');
    expect(issue.message).toContain("CR, LF or NUL");
    expect(issue.received).toBe(JSON.stringify("a\r\nb"));
  });

  it("says what a valid value of a known header looks like", () => {
    const issue = issueAt({ headers: { "X-Frame-Options": "ALLOWALL" } }, 'headers["X-Frame-Options"]');
    expect(issue.message).toContain("deny, sameorigin");
    expect(issue.received).toBe('"ALLOWALL"');
  });

  it("cuts a long received value short", () => {
    const long = "x".repeat(500);
    const issue = issueAt({ headers: { "X-Frame-Options": long } }, 'headers["X-Frame-Options"]');
    expect(issue.received.length).toBeLessThanOrEqual(80);
    expect(issue.received.endsWith("…")).toBe(true);
  });

  it("reports a JSON syntax error at the document root", () => {
    const result = parsePolicyJson('{"hsts": ');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues).toHaveLength(1);
      expect(result.issues[0]?.path).toBe("");
      expect(result.issues[0]?.message).toMatch(/^valid JSON/);
    }
  });
});
