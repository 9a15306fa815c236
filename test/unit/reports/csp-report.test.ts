// Normalising CSP reports: both formats from fixtures, hostile and broken bodies, and a property that the
// parser never throws and never lets an unbounded or unsafe string through.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rateLimitKey } from "../../../src/core/reports/client-key.js";
import {
  bound,
  isReportMediaType,
  MAX_BATCH_REPORTS,
  MAX_FIELD_CHARS,
  MAX_REPORT_BODY_BYTES,
  MAX_SAMPLE_CHARS,
  parseCspReports,
  type ParsedReports,
  type ViolationRecord,
} from "../../../src/core/reports/csp-report.js";
import { countViolations } from "../../../src/core/reports/rows.js";

const HOST = "www.example.com";
const RUNS = { seed: 20261202, numRuns: 300 };

function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/csp-reports/${name}`, import.meta.url), "utf8");
}

function parsed(body: string, host = HOST): ParsedReports {
  const result = parseCspReports(body, host);
  if (!result.ok) throw new Error(`expected reports, got ${JSON.stringify(result.issues)}`);
  return result.value;
}

function uriReport(fields: Record<string, unknown>): string {
  return JSON.stringify({ "csp-report": { "document-uri": "https://www.example.com/", "effective-directive": "script-src", ...fields } });
}

function only(body: string): ViolationRecord {
  const { records } = parsed(body);
  expect(records).toHaveLength(1);
  const [record] = records;
  if (record === undefined) throw new Error("no record");
  return record;
}

describe("the report-uri format", () => {
  it("normalises a Chromium report, dropping every query string and fragment", () => {
    const result = parsed(fixture("report-uri-chromium.json"));
    expect(result.format).toBe("report-uri");
    expect(result.received).toBe(1);
    expect(result.records).toEqual([
      {
        documentUrl: "https://www.example.com/account/settings",
        blockedUrl: "https://cdn.tracker.example/lib/track.js",
        effectiveDirective: "script-src-elem",
        disposition: "enforce",
        statusCode: 200,
        sourceFile: "https://www.example.com/static/app.js",
        lineNumber: 12,
        columnNumber: 7,
        sample: "",
      },
    ]);
  });

  it("takes the directive from violated-directive when an old browser sends no effective-directive", () => {
    expect(only(fixture("report-uri-firefox-legacy.json"))).toMatchObject({
      effectiveDirective: "style-src",
      blockedUrl: "inline",
      disposition: "enforce",
      lineNumber: 3,
      sample: "body { background: red }",
    });
  });
});

describe("the Reporting API format", () => {
  it("normalises the csp-violation entries of a batch and counts the other types", () => {
    const result = parsed(fixture("reports-api-batch.json"));
    expect(result.format).toBe("reports-api");
    expect(result.received).toBe(3);
    expect(result.dropped).toEqual({ offHost: 0, invalid: 0, otherType: 1, overflow: 0 });
    expect(result.records).toEqual([
      {
        documentUrl: "https://www.example.com/checkout",
        blockedUrl: "inline",
        effectiveDirective: "script-src-elem",
        disposition: "report",
        statusCode: 200,
        sourceFile: "https://www.example.com/checkout",
        lineNumber: 121,
        columnNumber: 39,
        sample: 'console.log("lo")',
      },
      {
        documentUrl: "https://www.example.com/",
        blockedUrl: "https://fonts.example.net/font.woff2",
        effectiveDirective: "font-src",
        disposition: "enforce",
        statusCode: 200,
        sourceFile: "",
        lineNumber: 0,
        columnNumber: 0,
        sample: "",
      },
    ]);
  });

  it("falls back on the report's url when the body has no documentURL", () => {
    const body = JSON.stringify([
      { type: "csp-violation", url: "https://www.example.com/a?b", body: { effectiveDirective: "img-src", blockedURL: "data" } },
    ]);
    expect(only(body)).toMatchObject({ documentUrl: "https://www.example.com/a", blockedUrl: "data" });
  });

  it("accepts an empty batch", () => {
    expect(parsed("[]")).toMatchObject({ received: 0, records: [] });
  });

  it(`reads at most ${MAX_BATCH_REPORTS} entries of a batch and counts the rest`, () => {
    const entry = {
      type: "csp-violation",
      url: "https://www.example.com/",
      body: { effectiveDirective: "img-src", blockedURL: "https://x.test/i.png" },
    };
    const result = parsed(JSON.stringify(Array.from({ length: 250 }, () => entry)));
    expect(result.records).toHaveLength(MAX_BATCH_REPORTS);
    expect(result.dropped.overflow).toBe(150);
  });

  it("counts entries that are not objects or have no body as invalid", () => {
    const result = parsed(JSON.stringify([1, "x", null, { type: "csp-violation" }, { type: "csp-violation", body: [] }]));
    expect(result.dropped.invalid).toBe(5);
    expect(result.records).toEqual([]);
  });
});

describe("hostile and odd field values", () => {
  it("drops a report whose page is on another host and counts it", () => {
    const result = parsed(uriReport({ "document-uri": "https://evil.example/" }));
    expect(result.records).toEqual([]);
    expect(result.dropped.offHost).toBe(1);
  });

  it("treats the port as part of the host", () => {
    expect(parsed(uriReport({ "document-uri": "https://www.example.com:8443/" })).dropped.offHost).toBe(1);
    expect(parsed(uriReport({ "document-uri": "http://127.0.0.1:8787/" }), "127.0.0.1:8787").records).toHaveLength(1);
  });

  it.each([["about:srcdoc"], ["javascript:alert(1)"], ["not a url"], [42], [null]])("counts a report with page %j as invalid", (page) => {
    const result = parsed(uriReport({ "document-uri": page }));
    expect(result.records).toEqual([]);
    expect(result.dropped.invalid).toBe(1);
  });

  it.each([
    ["inline", "inline"],
    ["EVAL", "eval"],
    ["", "inline"],
    ["data", "data"],
    ["data:text/html,<script>alert(1)</script>", "data:"],
    ["javascript:alert(1)<script>", "javascript:"],
    ["blob:https://www.example.com/7c3f", "blob:"],
    ["chrome-extension://abcdefghijklmnop/inject.js", "chrome-extension:"],
    ["wss://socket.example.net/live?token=s3cr3t", "wss://socket.example.net/live"],
    ["https://user:pass@cdn.example.net/a.js#frag", "https://cdn.example.net/a.js"],
    ["<script>alert(1)</script>", "other"],
    [17, "other"],
  ])("normalises blocked %j to %j", (blocked, expected) => {
    expect(only(uriReport({ "blocked-uri": blocked })).blockedUrl).toBe(expected);
  });

  it.each([
    ["script-src-elem", "script-src-elem"],
    ["Script-Src", "script-src"],
    ["frame-ancestors", "frame-ancestors"],
    ["require-trusted-types-for", "require-trusted-types-for"],
    ["navigate-to", "navigate-to"],
    ["script-src; img-src *", "other"],
    ["<b>bold</b>", "other"],
    ["", "other"],
  ])("maps directive %j to %j", (directive, expected) => {
    expect(only(uriReport({ "effective-directive": directive })).effectiveDirective).toBe(expected);
  });

  it("keeps the report disposition and takes anything else as enforce", () => {
    expect(only(uriReport({ disposition: "report" })).disposition).toBe("report");
    expect(only(uriReport({ disposition: "REPORT" })).disposition).toBe("enforce");
    expect(only(uriReport({})).disposition).toBe("enforce");
  });

  it("keeps whole numbers in range and zeroes the rest", () => {
    expect(only(uriReport({ "status-code": 404, "line-number": "12", "column-number": -1 }))).toMatchObject({
      statusCode: 404,
      lineNumber: 12,
      columnNumber: 0,
    });
    expect(only(uriReport({ "status-code": 1e9, "line-number": 1.5, "column-number": "7e3" }))).toMatchObject({
      statusCode: 0,
      lineNumber: 0,
      columnNumber: 0,
    });
  });

  it(`cuts the sample to ${MAX_SAMPLE_CHARS} characters and strips control and bidi characters`, () => {
    const sample = only(uriReport({ "script-sample": `\u001b[31mred\u0000\u202eevil\n${"x".repeat(100)}` })).sample;
    // ESC goes, so "[31m" is inert text; the newline, NUL and the right-to-left override go too.
    expect(sample).toBe(`[31mredevil${"x".repeat(MAX_SAMPLE_CHARS - 11)}`);
  });

  it(`bounds a long path to ${MAX_FIELD_CHARS} characters`, () => {
    const record = only(
      uriReport({
        "document-uri": `https://www.example.com/${"a".repeat(5000)}`,
        "blocked-uri": `https://cdn.example.net/${"b".repeat(5000)}`,
      }),
    );
    expect(record.documentUrl).toHaveLength(MAX_FIELD_CHARS);
    expect(record.blockedUrl).toHaveLength(MAX_FIELD_CHARS);
  });

  it("never ends a bounded string on half a surrogate pair", () => {
    expect(bound(`${"a".repeat(9)}😀`, 10)).toBe("a".repeat(9));
    expect(bound("\ud800x", 10)).toBe("\ufffdx");
  });
});

describe("bodies that are not reports", () => {
  it.each([
    ["a truncated body", '{"csp-report": {"document-uri": "https://www.exa'],
    ["an empty body", ""],
    ["a JSON string", '"csp-report"'],
    ["a JSON number", "42"],
    ["null", "null"],
    ["an object without csp-report", '{"report": {}}'],
    ["csp-report that is not an object", '{"csp-report": "x"}'],
    ["csp-report that is an array", '{"csp-report": []}'],
    ["HTML", "<html><script>alert(1)</script>"],
  ])("refuses %s with an issue", (_, body) => {
    const result = parseCspReports(body, HOST);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]?.message).toMatch(/JSON body|report|object/);
  });

  it("refuses a deeply nested body without throwing", () => {
    const depth = 30_000;
    expect(parseCspReports(`${"[".repeat(depth)}${"]".repeat(depth)}`, HOST).ok).toBe(true);
    expect(parseCspReports(`{"csp-report": ${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`, HOST)).toMatchObject({ ok: true });
    expect(parseCspReports("[".repeat(depth), HOST).ok).toBe(false);
  });

  it("refuses a body of the maximum size of garbage without throwing, and cuts what it echoes", () => {
    const result = parseCspReports("\u0000".repeat(MAX_REPORT_BODY_BYTES), HOST);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]?.received.length).toBeLessThanOrEqual(80);
  });
});

describe("media types", () => {
  it.each([
    ["application/csp-report", true],
    ["application/reports+json", true],
    ["application/json; charset=utf-8", true],
    ["Application/CSP-Report", true],
    ["text/plain", false],
    ["application/x-www-form-urlencoded", false],
    ["multipart/form-data; boundary=x", false],
    ["", false],
    [null, false],
  ])("%j is accepted: %j", (type, expected) => {
    expect(isReportMediaType(type)).toBe(expected);
  });
});

describe("rate-limit keys", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["2001:db8:85a3:1:2:3:4:5", "2001:db8:85a3::/48"],
    ["2001:db8:85a3:1:ffff::1", "2001:db8:85a3::/48"],
    // The red team's /56: its 256 /64s are one client.
    ["2001:db8:85a3:ff00::1", "2001:db8:85a3::/48"],
    ["2001:db8:85a3:ffff:1::1", "2001:db8:85a3::/48"],
    ["2001:DB8::1", "2001:db8:0::/48"],
    ["::ffff:198.51.100.2", "198.51.100.2"],
    [null, "no-client-ip"],
    ["", "no-client-ip"],
    ["not an ip", "no-client-ip"],
  ])("keys %j as %j", (ip, key) => {
    expect(rateLimitKey(ip)).toBe(key);
  });
});

describe("folding a batch", () => {
  it("counts identical violations once with their number", () => {
    const records = parsed(
      JSON.stringify(
        [0, 1, 2].map((i) => ({
          type: "csp-violation",
          url: "https://www.example.com/",
          body: { effectiveDirective: i < 2 ? "img-src" : "font-src", blockedURL: "https://x.test/" },
        })),
      ),
    ).records;
    expect(countViolations(records).map((e) => [e.record.effectiveDirective, e.count])).toEqual([
      ["img-src", 2],
      ["font-src", 1],
    ]);
  });
});

describe("properties", () => {
  const anyReportish = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.json({ maxDepth: 4 }),
    fc
      .record({
        "document-uri": fc.oneof(
          fc.webUrl({ withQueryParameters: true, withFragments: true }),
          fc.constant("https://www.example.com/p?q=1#f"),
          fc.string(),
        ),
        "blocked-uri": fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.string(), fc.integer()),
        "effective-directive": fc.oneof(fc.constantFrom("script-src", "img-src", "bogus"), fc.string()),
        "script-sample": fc.string({ unit: "binary", maxLength: 80 }),
        disposition: fc.oneof(fc.constantFrom("enforce", "report"), fc.anything()),
        "line-number": fc.oneof(fc.integer(), fc.double(), fc.string()),
      })
      .map((r) => JSON.stringify({ "csp-report": r })),
    fc
      .array(
        fc.record({
          type: fc.constantFrom("csp-violation", "deprecation", "x"),
          url: fc.oneof(fc.webUrl(), fc.constant("https://www.example.com/x?y")),
          body: fc.oneof(
            fc.record({
              documentURL: fc.oneof(fc.webUrl(), fc.constant("https://www.example.com/z#h")),
              blockedURL: fc.string({ unit: "binary" }),
              sample: fc.string({ unit: "binary" }),
            }),
            fc.anything(),
          ),
        }),
        { maxLength: 5 },
      )
      .map((a) => JSON.stringify(a)),
  );

  it("never throws, and every record is bounded, free of control characters, and has no query or fragment", () => {
    fc.assert(
      fc.property(anyReportish, (body) => {
        const result = parseCspReports(body, HOST);
        if (!result.ok) return;
        for (const record of result.value.records) {
          for (const value of [record.documentUrl, record.blockedUrl, record.effectiveDirective, record.sourceFile, record.sample]) {
            expect(value.length).toBeLessThanOrEqual(MAX_FIELD_CHARS);
            expect(value).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
          }
          expect(record.sample.length).toBeLessThanOrEqual(MAX_SAMPLE_CHARS);
          for (const url of [record.documentUrl, record.blockedUrl, record.sourceFile]) expect(url).not.toMatch(/[?#]/);
          expect(new URL(record.documentUrl).host).toBe(HOST);
        }
      }),
      RUNS,
    );
  });
});
