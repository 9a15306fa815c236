// validate's warnings about rule patterns that look like mistakes: a splat without its base, a rule that
// can never win, a content-type limit that matches nothing.

import { describe, expect, it } from "vitest";
import { checkDocument } from "../../../bin/support/documents.js";
import { bareEnvironment } from "../../../bin/support/environment.js";
import { ruleWarnings } from "../../../bin/support/rule-warnings.js";
import type { CompiledPolicy } from "../../../src/core/policy/types.js";

function compiled(rules: readonly Record<string, unknown>[]): CompiledPolicy {
  const check = checkDocument(JSON.stringify({ rules }), bareEnvironment().config);
  if (check.stage !== "rules") throw new Error(`invalid test document: ${JSON.stringify(check.issues)}`);
  return check.policy;
}

function warnings(rules: readonly Record<string, unknown>[]): string[] {
  return ruleWarnings(compiled(rules), "KV").map((w) => `${w.rule}: ${w.message}`);
}

describe("rule warnings", () => {
  it("warn about /admin/* exactly when the matcher does not let it match /admin and no rule of its own does", () => {
    const policy = compiled([{ path: "/admin/*", headers: { "X-Frame-Options": "DENY" } }]);
    const route = policy.paths.route("/admin");
    const splatMatchesBase = route.ok && route.rules.includes(0);
    const found = ruleWarnings(policy, "KV").filter((w) => w.message.includes("/admin itself"));
    expect(found.length).toBe(splatMatchesBase ? 0 : 1);
  });

  it("say nothing about /admin/* when /admin has a rule of its own, or for /*", () => {
    expect(
      warnings([
        { path: "/admin/*", headers: { "X-Frame-Options": "DENY" } },
        { path: "/admin", headers: { "X-Frame-Options": "DENY" } },
        { path: "/*", headers: { "X-A": "1" } },
      ]),
    ).toEqual([]);
  });

  it("name a rule that a later one with the same pattern overrides in full, and not one it overrides in part", () => {
    expect(
      warnings([
        { path: "/shop", headers: { "X-A": "1" } },
        { path: "/shop", headers: { "X-A": "2", "X-B": "1" } },
        { path: "/cart", headers: { "X-A": "1", "X-C": "1" } },
        { path: "/cart", headers: { "X-A": "2" } },
      ]),
    ).toEqual(["KV.rules[0] /shop: can never win: KV.rules[1] /shop matches the same requests and sets everything it sets"]);
  });

  it("name a misspelled content type, and nonces limited to responses that are not HTML", () => {
    const found = warnings([
      { path: "/docs", contentType: ["text/htm"], headers: { "X-C": "1" } },
      { path: "/j", contentType: ["application/json"], nonce: { scripts: true } },
      { path: "/h", contentType: ["text/html"], nonce: { scripts: true } },
    ]);
    expect(found).toHaveLength(2);
    expect(found[0]).toContain("did you mean text/html?");
    expect(found[1]).toMatch(/^KV\.rules\[1\] \/j: sets only nonces/);
  });
});

describe("rules that never decide anything, judged by outcome", () => {
  it("name a rule that more specific rules override on every path it matches", () => {
    const found = warnings([
      { path: "/docs/:page", headers: { "X-A": "1" } },
      { path: "/docs/*", headers: { "X-A": "2", "X-B": "1" } },
    ]);
    expect(found.filter((w) => w.includes("can never win"))).toEqual([
      "KV.rules[0] /docs/:page: can never win: on every path it matches, KV.rules[1] /docs/* decides everything it sets",
    ]);
  });

  it("say nothing when a later rule only extends the CSP it sets, or overrides it on some paths only", () => {
    const found = warnings([
      { path: "/a", csp: { directives: { "img-src": ["'self'", "https://img.example"] } } },
      { path: "/a", csp: { add: { "img-src": ["https://cdn.example"] } } },
      { path: "/b/*", headers: { "X-A": "1" } },
      { path: "/b/c", headers: { "X-A": "2" } },
    ]);
    expect(found.filter((w) => w.includes("can never win"))).toEqual([]);
  });

  it("say nothing when the later rule is limited to other content types", () => {
    const found = warnings([
      { path: "/p", headers: { "X-A": "1" } },
      { path: "/p", contentType: ["application/json"], headers: { "X-A": "2" } },
    ]);
    expect(found).toEqual([]);
  });
});
