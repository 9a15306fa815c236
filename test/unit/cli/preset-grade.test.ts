// The strict preset earns the MDN HTTP Observatory's best header-only score: the grade adapter's score for
// the headers it compiles to is the maximum the Observatory's own score table allows for the tests it runs.

import { SCORE_TABLE } from "@mdn/mdn-http-observatory/src/grader/charts.js";
import { describe, expect, it } from "vitest";
import { gradePolicy } from "../../../bin/support/grade/policy-grade.js";
import { compile } from "../support.js";

/** Each Observatory test's expectations, by their prefix in the score table. */
const EXPECTATION_PREFIX: Readonly<Record<string, string>> = {
  "content-security-policy": "csp-",
  cookies: "cookies-",
  "cross-origin-resource-sharing": "cross-origin-resource-sharing-",
  "cross-origin-resource-policy": "corp-",
  redirection: "redirection-",
  "referrer-policy": "referrer-policy-",
  "strict-transport-security": "hsts-",
  "subresource-integrity": "sri-",
  "x-content-type-options": "x-content-type-options-",
  "x-frame-options": "x-frame-options-",
};

/**
 * Not the headers' to earn: cookies, SRI and redirection are the site's (the offline grade scores them 0),
 * and hsts-preloaded is the preload list's verdict on a host, not a header's.
 */
const SITE_TESTS = new Set(["cookies", "subresource-integrity", "redirection"]);
const HOST_EXPECTATIONS = new Set(["hsts-preloaded"]);

/** The best modifier the score table gives a test's expectations (those a header can earn). */
function bestModifier(test: string): number {
  const prefix = EXPECTATION_PREFIX[test];
  if (prefix === undefined) throw new Error(`an Observatory test this table does not know: ${test}`);
  let best = Number.NEGATIVE_INFINITY;
  for (const [expectation, { modifier }] of SCORE_TABLE) {
    if (expectation.startsWith(prefix) && !HOST_EXPECTATIONS.has(expectation)) best = Math.max(best, modifier);
  }
  return best;
}

describe("the strict preset's grade", () => {
  it("is the Observatory's maximum for the header tests it runs, from CSP, CORP, Referrer-Policy and framing", async () => {
    const [root] = await gradePolicy(compile([{ preset: "strict" }]));
    const observatory = root?.report.observatory;
    if (observatory === undefined || observatory === null) throw new Error("no Observatory score");
    for (const test of observatory.tests) expect(test.result.startsWith(EXPECTATION_PREFIX[test.name] ?? "?"), test.name).toBe(true);
    const headerTests = observatory.tests.filter((t) => !SITE_TESTS.has(t.name));
    const maximum = 100 + headerTests.reduce((sum, t) => sum + Math.max(0, bestModifier(t.name)), 0);
    expect(root?.report.score).toBe(maximum);
    expect(root?.report.grade).toBe("A+");
    // Every header test at its best, and which of them give the bonus.
    for (const t of headerTests) expect([t.name, t.scoreModifier]).toEqual([t.name, bestModifier(t.name)]);
    const bonus = Object.fromEntries(headerTests.filter((t) => t.scoreModifier > 0).map((t) => [t.name, t.scoreModifier]));
    expect(bonus).toEqual({
      "content-security-policy": 10,
      "cross-origin-resource-policy": 10,
      "referrer-policy": 5,
      "x-frame-options": 5,
    });
  });
});
