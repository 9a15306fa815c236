// The report summary: escaping of hostile stored strings, the page's CSP hash, zero-filled days, the
// JSON contract the CLI reads back, and content negotiation.

import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { windowDays } from "../../../src/core/reports/days.js";
import { prefersJson } from "../../../src/core/reports/negotiate.js";
import {
  escapeHtml,
  renderSummaryHtml,
  renderSummaryJson,
  renderSummaryText,
  SUMMARY_STYLE,
  summaryCsp,
} from "../../../src/core/reports/render-summary.js";
import { buildSummary, parseSummary, type ReportSummary } from "../../../src/core/reports/summary.js";
import { cspMap } from "../support.js";

const NOW = Date.UTC(2026, 3, 10, 15, 30);
const HOSTILE = `javascript:alert(1)<script>alert("x")</script><img src=x onerror=alert(1)>'&`;

function summary(overrides: Partial<Parameters<typeof buildSummary>[0]> = {}): ReportSummary {
  return buildSummary({
    now: NOW,
    days: 3,
    top: [
      {
        directive: "script-src-elem",
        blocked: "inline",
        page: "https://www.example.com/",
        disposition: "report",
        count: 5,
        lastSeen: "2026-04-10T12:00:00.000Z",
        sample: "alert(1)",
      },
    ],
    byDirective: [{ directive: "script-src-elem", count: 5 }],
    byDay: [{ day: "2026-04-10", count: 5 }],
    byDisposition: [{ disposition: "report", count: 5 }],
    ...overrides,
  });
}

describe("building the summary", () => {
  it("lists every day of the window, oldest first, with zero for days without reports", () => {
    expect(windowDays(NOW, 3)).toEqual(["2026-04-08", "2026-04-09", "2026-04-10"]);
    expect(summary().byDay).toEqual([
      { day: "2026-04-08", count: 0 },
      { day: "2026-04-09", count: 0 },
      { day: "2026-04-10", count: 5 },
    ]);
  });

  it("totals the dispositions", () => {
    expect(
      summary({
        byDisposition: [
          { disposition: "enforce", count: 2 },
          { disposition: "report", count: 7 },
        ],
      }).totals,
    ).toEqual({ all: 9, enforce: 2, report: 7 });
  });
});

describe("the HTML page", () => {
  it("escapes every character that could open a tag or leave an attribute", () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe("&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;&#60;/a&#62;");
  });

  it("escapes hostile strings from every stored field, in the table and in the charts", () => {
    const html = renderSummaryHtml(
      summary({
        top: [
          { directive: HOSTILE, blocked: HOSTILE, page: HOSTILE, disposition: "enforce", count: 1, lastSeen: HOSTILE, sample: HOSTILE },
        ],
        byDirective: [{ directive: HOSTILE, count: 1 }],
      }),
      "/__csp-report",
    );
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).toContain("javascript:alert(1)&#60;script&#62;");
    // Report strings only ever appear as text, never inside an attribute or a link.
    expect(html).not.toMatch(/href=/);
  });

  it("has no script, no style attribute, and exactly one style element", () => {
    const html = renderSummaryHtml(summary(), "/__csp-report");
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html.match(/<style>/g)).toHaveLength(1);
  });

  it("draws a bar per directive and per day as inline SVG", () => {
    const html = renderSummaryHtml(
      summary({
        byDirective: [
          { directive: "img-src", count: 4 },
          { directive: "font-src", count: 2 },
        ],
      }),
      "/r",
    );
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html.match(/<rect class="bar"/g)).toHaveLength(2 + 3);
  });

  it("is allowed its style by the hash in its CSP, and nothing else", () => {
    const html = renderSummaryHtml(summary(), "/__csp-report");
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1];
    expect(style).toBe(SUMMARY_STYLE);
    const hash = createHash("sha256")
      .update(style ?? "", "utf8")
      .digest("base64");
    const csp = cspMap(summaryCsp(hash));
    expect(csp.get("style-src")).toEqual([`'sha256-${hash}'`]);
    expect(csp.get("default-src")).toEqual(["'none'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'none'"]);
    expect(csp.get("form-action")).toEqual(["'none'"]);
    expect(csp.has("script-src")).toBe(false);
    expect(summaryCsp(hash)).not.toContain("unsafe");
  });

  it("says when the window has no Report-Only violations", () => {
    expect(renderSummaryHtml(summary({ top: [], byDirective: [], byDay: [], byDisposition: [] }), "/r")).toContain(
      "No Report-Only violations in the last 3 days.",
    );
  });
});

describe("the JSON the CLI reads back", () => {
  it("round-trips through parseSummary", () => {
    const original = summary();
    const result = parseSummary(JSON.parse(renderSummaryJson(original)));
    expect(result).toEqual({ ok: true, value: original });
  });

  it("strips terminal escape sequences a hostile report smuggled into the store", () => {
    const original = summary({
      top: [
        {
          directive: "img-src",
          blocked: "\u001b]0;pwned\u0007https://x.test/",
          page: "https://www.example.com/",
          disposition: "enforce",
          count: 1,
          lastSeen: "",
          sample: "\u001b[2J",
        },
      ],
    });
    const result = parseSummary(JSON.parse(renderSummaryJson(original)));
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.value.top[0]?.blocked).toBe("]0;pwnedhttps://x.test/");
    expect(renderSummaryText(result.value)).not.toContain("\u001b");
  });

  it.each([
    ["not an object", []],
    ["a bad window", { ...summary(), window: { days: "3" } }],
    ["a negative count", { ...summary(), top: [{ ...summary().top[0], count: -1 }] }],
    ["an unknown disposition", { ...summary(), top: [{ ...summary().top[0], disposition: "maybe" }] }],
  ])("refuses %s", (_, input) => {
    expect(parseSummary(input).ok).toBe(false);
  });

  it("prints the top violations and the totals by directive as tables", () => {
    const text = renderSummaryText(summary());
    expect(text).toContain("5 stored, 0 blocked (enforced), 5 report-only");
    expect(text).toMatch(/COUNT\s+DIRECTIVE\s+MODE\s+BLOCKED\s+PAGE\s+LAST SEEN/);
    expect(text).toMatch(/^\s+5\s+script-src-elem\s+report\s+inline\s+https:\/\/www\.example\.com\/\s+2026-04-10T12:00$/m);
    expect(text).toContain("By directive");
  });
});

describe("content negotiation", () => {
  it.each([
    [null, false],
    ["*/*", false],
    ["application/json", true],
    ["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false],
    ["application/json, text/html;q=0.5", true],
    ["text/html;q=0.4, application/*;q=0.5", true],
    ["application/json;q=0", false],
    ["application/json;q=abc", false],
  ])("Accept %j prefers JSON: %j", (accept, expected) => {
    expect(prefersJson(accept)).toBe(expected);
  });
});

describe("what was not stored", () => {
  const drops = { reports: { rateLimited: 40, duplicate: 9, d1Error: 2 }, requests: { rateLimited: 3, tooLarge: 1 } };

  it("zero-fills every known reason, keeps unknown ones, and adds up what was received", () => {
    const built = summary({ drops: { reports: { ...drops.reports, laterReason: 1 }, requests: drops.requests } });
    expect(built.dropped).toEqual({
      received: 5 + 52,
      reports: 52,
      byReason: expect.objectContaining({
        rateLimited: 40,
        duplicate: 9,
        d1Error: 2,
        clientCap: 0,
        rowCap: 0,
        sampledOut: 0,
        laterReason: 1,
      }),
      refusedRequests: { rateLimited: 3, tooLarge: 1, badBody: 0, mediaType: 0, method: 0 },
    });
    expect(Object.keys(built.dropped?.byReason ?? {}).slice(0, 3)).toEqual(["rateLimited", "duplicate", "clientCap"]);
  });

  it("says on the page how many reports were received, stored and dropped, and why", () => {
    const html = renderSummaryHtml(summary({ drops }), "/r");
    expect(html).toContain(
      "56 reports received: 5 stored, 51 dropped. 4 requests were refused before their reports were read (3 over the rate limit, 1 too large).",
    );
    expect(html).toMatch(/<td class="n">40<\/td><td>rate limit<\/td><td>over the client&#39;s reports per minute<\/td>/);
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).not.toContain("clientCap");
  });

  it("says when every report received was stored, and leaves the section out for a Worker that does not count drops", () => {
    expect(renderSummaryHtml(summary({ drops: { reports: {}, requests: {} } }), "/r")).toContain("5 reports received, all stored.");
    expect(renderSummaryHtml(summary(), "/r")).not.toContain("Not stored");
  });

  it("prints the reasons as a table for the CLI", () => {
    const text = renderSummaryText(summary({ drops }));
    expect(text).toContain("56 reports received: 5 stored, 51 dropped.");
    expect(text).toMatch(/^\s+40\s+rate limit\s+over the client's reports per minute$/m);
    expect(text).toMatch(/^\s+2\s+D1 error\s+the database refused the write$/m);
  });

  it("round-trips through parseSummary, and reads a summary without drops from an older Worker", () => {
    const original = summary({ drops });
    expect(parseSummary(JSON.parse(renderSummaryJson(original)))).toEqual({ ok: true, value: original });
    const older = parseSummary(JSON.parse(renderSummaryJson(summary())));
    expect(older.ok).toBe(true);
    expect(older.ok && older.value).not.toHaveProperty("dropped");
    expect(older.ok && renderSummaryText(older.value)).not.toContain("received");
  });

  it.each([
    ["a negative count", { received: 1, reports: 0, byReason: { rateLimited: -1 }, refusedRequests: {} }],
    ["a reason that could carry an escape sequence", { received: 1, reports: 0, byReason: { "\u001b[2J": 1 }, refusedRequests: {} }],
    ["no refused requests", { received: 1, reports: 0, byReason: {} }],
    ["a string", "lots"],
  ])("refuses dropped with %s", (_, dropped) => {
    expect(parseSummary({ ...summary(), dropped })).toMatchObject({ ok: false, issues: [{ path: "dropped" }] });
  });
});
