// The grade `scan` shows for the policy it wrote: the Worker's validation, then check's grading of every
// path the document has a rule for (gradeDocument), with the weaknesses that cost points.

import { describe, expect, it } from "vitest";
import { checkDocument } from "../../../bin/support/documents.js";
import { bareEnvironment } from "../../../bin/support/environment.js";
import { gradeDocument } from "../../../bin/support/grade/policy-grade.js";
import { gradePolicy } from "../../../bin/support/scan/policy-grade.js";
import type { SiteScan } from "../../../bin/support/scan/observations.js";
import { synthesizePolicy } from "../../../bin/support/scan/synthesize.js";

const SITE = "https://shop.example";
const env = bareEnvironment().config;

/** A two-page site: / runs an inline script, /about loads an image from a CDN. */
const SCAN: SiteScan = {
  origin: SITE,
  passes: [0, 1].map(() =>
    [
      { path: "/", html: "<script>go()</script>", violations: [{ directive: "script-src-elem", blocked: "inline", sample: "go()" }] },
      { path: "/about", html: "<img src=x>", violations: [{ directive: "img-src", blocked: "https://cdn.example.net/a.png", sample: "" }] },
    ].map(({ path, html, violations }) => ({
      url: `${SITE}${path}`,
      pages: [
        {
          url: `${SITE}${path}`,
          html,
          violations: violations.map((v) => ({ ...v, sourceFile: "", line: 0 })),
          dom: { handlers: [], javascriptUrls: [], formActions: [], plugins: [] },
          ownCsp: false,
        },
      ],
      workers: [],
      requests: [],
    })),
  ),
  skipped: [],
};

function grade(text: string) {
  return gradePolicy(checkDocument(text, env), text, env);
}

describe("scan's grade", () => {
  // 30 s: the file's first grade loads the Observatory's modules, seconds on a loaded machine.
  it("grades the base and every rule's path of the scanned policy, each as check grades the document", async () => {
    const text = JSON.stringify(synthesizePolicy(SCAN, { nonceMode: "marked" }).document);
    const result = await grade(text);
    const expected = (await gradeDocument(text, env)) ?? [];
    expect(result.valid).toBe(true);
    expect(result.paths.map((p) => p.path)).toEqual(["/", "/about"]);
    expect(result.paths).toEqual(
      expected.map(({ path, report }) => expect.objectContaining({ path, grade: report.grade, score: report.score })),
    );
    // A strict CSP from default-src 'none', with HSTS and the other defaults: the top grade on every path.
    for (const path of result.paths) expect(path).toEqual(expect.objectContaining({ grade: "A+", weaknesses: [] }));
  }, 30_000);

  it("lists the weaknesses that cost a path its points, with their fix", async () => {
    const document = { ...synthesizePolicy(SCAN, { nonceMode: "marked" }).document, hsts: false };
    const result = await grade(JSON.stringify(document));
    const root = result.paths.find((p) => p.path === "/");
    expect(root?.grade).not.toBe("A+");
    expect(root?.weaknesses).toEqual(expect.arrayContaining([expect.stringMatching(/^Strict-Transport-Security: .*\(fix: /)]));
  });

  it("grades nothing the Worker would not apply, and says why", async () => {
    const result = await grade(JSON.stringify({ csp: { directives: { "script-src": ["*"] } }, rules: [{ path: "nope" }] }));
    expect(result.valid).toBe(false);
    expect(result.paths).toEqual([]);
    expect(result.lines.join("\n")).toContain("rules[0].path");
  });
});
