// `scan`'s report for people: what it shows for a scanned site, the findings with fix and fallback, and the
// grade check's grading gives each path, with the weaknesses it found.

import { describe, expect, it } from "vitest";
import type { SiteScan } from "../../../bin/support/scan/observations.js";
import { renderScanReport } from "../../../bin/support/scan/render.js";
import { synthesizePolicy } from "../../../bin/support/scan/synthesize.js";
import { createStyle } from "../../../bin/support/io.js";

const SITE = "https://shop.example";
const SCAN: SiteScan = {
  origin: SITE,
  passes: [0, 1].map(() => [
    {
      url: `${SITE}/contact`,
      pages: [
        {
          url: `${SITE}/contact`,
          html: "<button onclick='send()'>",
          violations: [{ directive: "img-src", blocked: "https://cdn.example.net/a.png", sample: "", sourceFile: "", line: 0 }],
          dom: {
            handlers: [{ element: "<button#send>", attribute: "onclick", code: "send()" }],
            javascriptUrls: [],
            formActions: [],
            plugins: [],
          },
          ownCsp: true,
        },
      ],
      workers: [],
      requests: [],
    },
  ]),
  skipped: [{ url: `${SITE}/report.pdf`, reason: "not an HTML page (application/pdf)" }],
};

describe("renderScanReport", () => {
  const { document, report } = synthesizePolicy(SCAN, { nonceMode: "marked" });
  const text = renderScanReport(
    report,
    document,
    {
      valid: true,
      lines: ["valid: the Worker's own validator accepts it"],
      paths: [
        { path: "/", grade: "A+", score: 115 },
        { path: "/contact", grade: "B", score: 75, weaknesses: ["Strict-Transport-Security: missing (fix: keep hsts on)"] },
      ],
    },
    "policy.json",
    createStyle(false, {}),
  );

  it("names the site, the base policy and what each page needs beyond it", () => {
    expect(text).toContain(`Scanned ${SITE}: 1 page, each loaded twice in Chromium`);
    expect(text).toContain("default-src 'none'; script-src 'report-sample'; style-src 'report-sample'; img-src https://cdn.example.net;");
  });

  it("lists what the policy blocks on purpose, with the pages, the fix and the fallback", () => {
    expect(text).toMatch(/✗ onclick on <button#send>: "send\(\)"\n\s+on \/contact\n\s+fix: move it into a script/);
    expect(text).toContain(`fallback: add "script-src-attr": ["'unsafe-hashes'", "'sha256-`);
  });

  it("says the site's own CSP was removed, what was not scanned, where the policy went and its grade", () => {
    expect(text).toContain("the site sends a CSP of its own; the scan removed it");
    expect(text).toContain(`${SITE}/report.pdf: not an HTML page (application/pdf)`);
    expect(text).toContain("written to policy.json");
    expect(text).toContain("✓ valid: the Worker's own validator accepts it");
    expect(text).toContain("grade A+ (115) on /\n");
    expect(text).toContain("grade B (75) on /contact\n    ✗ Strict-Transport-Security: missing (fix: keep hsts on)\n");
  });
});
