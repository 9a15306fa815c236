// The grade a compiled policy earns per path, through explain's own computation: what validate and explain
// print and what push compares.

import { describe, expect, it } from "vitest";
import { explain, explainedHeaders } from "../../../bin/support/explain-response.js";
import { gradeDocument, gradePolicy, gradeSamples, PAGE_TYPE, weakenings } from "../../../bin/support/grade/policy-grade.js";
import { runMain } from "../../support/cli-io.js";
import { compile } from "../support.js";

describe("the policy grade", () => {
  it("grades the built-in defaults A+ (115) on /, from exactly the headers explain computes", async () => {
    const policy = compile();
    const x = explain(policy, { https: true, path: "/", contentType: PAGE_TYPE }, 200, [["Content-Type", PAGE_TYPE]], {
      environment: "",
      layers: [],
    });
    expect(Object.fromEntries(explainedHeaders(x))).toEqual({
      "content-type": PAGE_TYPE,
      "strict-transport-security": "max-age=31536000; includeSubDomains",
      "content-security-policy": "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
      "x-frame-options": "DENY",
      "x-content-type-options": "nosniff",
      "referrer-policy": "strict-origin-when-cross-origin",
      "permissions-policy": "geolocation=(), camera=(), microphone=()",
    });
    const [root] = await gradePolicy(policy);
    expect([root?.path, root?.report.grade, root?.report.score]).toEqual(["/", "A+", 115]);
  });

  it("samples / and each rule's path, with the content types a rule is limited to", () => {
    const policy = compile([{ rules: [{ path: "/shop/:id/*" }, { path: "/api/*", contentType: ["application/json", "text/*"] }] }]);
    expect(gradeSamples(policy)).toEqual([
      { path: "/", contentType: PAGE_TYPE },
      { path: "/shop/x/x", contentType: PAGE_TYPE },
      { path: "/api/x", contentType: "application/json" },
      { path: "/api/x", contentType: "text/x" },
    ]);
  });

  it("finds the paths a new policy grades lower, and only those", async () => {
    const current = compile([{ rules: [{ path: "/admin/*", headers: { "Cross-Origin-Resource-Policy": "same-origin" } }] }]);
    const next = compile([
      { rules: [{ path: "/admin/*", headers: { "Referrer-Policy": { value: "unsafe-url", action: "set" } } }, { path: "/blog/*" }] },
    ]);
    const found = await weakenings(current, next);
    // /admin/x: 125 (CORP same-origin +10) → 105 (CORP gone, unsafe referrer -5 instead of private +5): both A+.
    expect(found.map((w) => `${w.path} ${w.before.grade} → ${w.after.grade}`)).toEqual([]);
    const weak = compile([{ rules: [{ path: "/admin/*", csp: { directives: { "object-src": ["*"] } } }] }]);
    expect(
      (await weakenings(current, weak)).map((w) => `${w.path} ${w.before.grade} (${w.before.score}) → ${w.after.grade} (${w.after.score})`),
    ).toEqual(["/admin/x A+ (125) → B+ (80)"]);
  });
});

describe("gradeDocument", () => {
  it("grades a document's text over the built-in defaults, and refuses one the Worker would not apply", async () => {
    const grades = await gradeDocument(
      JSON.stringify({ headers: { "Referrer-Policy": { value: "unsafe-url", action: "set" } }, rules: [{ path: "/a" }] }),
    );
    // 100 - 5 (unsafe referrer) = 95 ≥ 90, so the other bonuses count: +5 (CSP) +5 (framing via CSP) = 105.
    expect(grades?.map((g) => `${g.path} ${g.report.grade} (${g.report.score})`)).toEqual(["/ A+ (105)", "/a A+ (105)"]);
    expect(await gradeDocument('{ "hsts": { "maxAge": -1 } }')).toBeNull();
  });
});

describe("validate and explain print the grade", () => {
  it("validate --json carries a grade per sample path", async () => {
    const run = await runMain(["validate", "examples/policy.json", "--json"], { cwd: process.cwd() });
    expect(run.code).toBe(0);
    const grades = (JSON.parse(run.stdout) as { grades: { path: string; contentType: string; grade: string }[] }).grades;
    expect(grades.map((g) => g.path)).toEqual(["/", "/embed/x", "/login", "/logout", "/api/x", "/nonce"]);
    expect(grades.every((g) => g.grade === "A+")).toBe(true);
  });

  it("validate lists each path's grade and each weakness with its fix", async () => {
    const file = "test/unit/fixtures/policy/valid/empty.json";
    const run = await runMain(["validate", file], { cwd: process.cwd() });
    expect(run.stdout).toMatch(/grade on https \(the Observatory's score of these headers/);
    expect(run.stdout).toMatch(/^ {4}\/\s+A\+ \(115\)$/m);
  });

  it("explain grades the https response even for an http request, and says so", async () => {
    const run = await runMain(["explain", "examples/policy.json", "/embed/widget"], { cwd: process.cwd() });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Grade A\+ \(115\) on https: /m);
    const json = await runMain(["explain", "examples/policy.json", "/embed/widget", "--json"], { cwd: process.cwd() });
    const parsed = JSON.parse(json.stdout) as { request: { https: boolean }; grade: { grade: string; score: number } };
    expect([parsed.request.https, parsed.grade.grade, parsed.grade.score]).toEqual([false, "A+", 115]);
  });
});
