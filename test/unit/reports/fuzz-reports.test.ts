// Fuzzing CSP report bodies beyond csp-report.test.ts: every truncation, deep nesting in every field, 100k-entry batches, and the accounting and numeric bounds of every output.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CSP_DIRECTIVES } from "../../../src/core/csp/directives.js";
import {
  MAX_BATCH_REPORTS,
  MAX_FIELD_CHARS,
  MAX_SAMPLE_CHARS,
  parseCspReports,
  type ParsedReports,
} from "../../../src/core/reports/csp-report.js";
import { binaryString, TRICKY_CHARS } from "../../fuzz-arbitraries.js";
import { fuzzParameters } from "../../fuzz-config.js";

const HOST = "www.example.com";
const FIXTURES = ["report-uri-chromium.json", "report-uri-firefox-legacy.json", "reports-api-batch.json"];
const DIRECTIVES = new Set([...CSP_DIRECTIVES.keys(), "navigate-to", "prefetch-src", "plugin-types", "require-sri-for", "other"]);
const MAX_POSITION = 10_000_000;

function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/csp-reports/${name}`, import.meta.url), "utf8");
}

/** Every record within its bounds, and every entry of the body accounted for exactly once. */
function expectBounded(parsed: ParsedReports): void {
  const { records, dropped, received, format } = parsed;
  expect(records.length).toBeLessThanOrEqual(MAX_BATCH_REPORTS);
  expect(records.length + dropped.offHost + dropped.invalid + dropped.otherType + dropped.overflow).toBe(received);
  if (format === "report-uri") expect(received).toBe(1);
  for (const r of records) {
    for (const text of [r.documentUrl, r.blockedUrl, r.sourceFile]) expect(text.length).toBeLessThanOrEqual(MAX_FIELD_CHARS);
    expect(r.sample.length).toBeLessThanOrEqual(MAX_SAMPLE_CHARS);
    expect(DIRECTIVES.has(r.effectiveDirective)).toBe(true);
    expect(["enforce", "report"]).toContain(r.disposition);
    expect(Number.isInteger(r.statusCode) && r.statusCode >= 0 && r.statusCode <= 999).toBe(true);
    for (const n of [r.lineNumber, r.columnNumber]) expect(Number.isInteger(n) && n >= 0 && n <= MAX_POSITION).toBe(true);
    expect(new URL(r.documentUrl).host).toBe(HOST);
  }
}

function expectSafe(body: string): void {
  const result = parseCspReports(body, HOST);
  if (result.ok) expectBounded(result.value);
  else for (const issue of result.issues) expect(issue.received.length).toBeLessThanOrEqual(80);
}

/** A JSON text fragment for one field: ordinary values, hostile strings, numbers at the edges, deep nesting. */
const fieldJson: fc.Arbitrary<string> = fc
  .oneof(
    fc.constantFrom(
      "https://www.example.com/p?q=1#f",
      "https://www.example.com:443/",
      "inline",
      "script-src-elem",
      "report",
      "200",
      "12",
      "1e3",
      "-1",
      "007",
    ),
    fc.constantFrom(...TRICKY_CHARS).map((c) => `https://www.example.com/${c}`),
    binaryString(30),
  )
  .map((s) => JSON.stringify(s));
const numberJson = fc.constantFrom(
  "0",
  "-0",
  "1.5",
  "1e308",
  "-1e308",
  "999",
  "1000",
  "9999999",
  "10000001",
  "1e-7",
  "12345678901234567890",
);
const nestedJson = (maxDepth: number) =>
  fc
    .tuple(
      fc.constantFrom("[", '{"a":', '{"csp-report":', '[{"type":"csp-violation","body":'),
      fc.integer({ min: 1, max: maxDepth }),
      fc.constantFrom("1", '"x"', "null", "{}", "[]"),
    )
    .map(
      ([open, depth, core]) =>
        `${open.repeat(depth)}${core}${(open.startsWith("[") && !open.startsWith("[{") ? "]" : open === '[{"type":"csp-violation","body":' ? "}]" : "}").repeat(depth)}`,
    );
const anyFieldJson = (maxDepth: number) =>
  fc.oneof(
    { weight: 4, arbitrary: fieldJson },
    { weight: 2, arbitrary: numberJson },
    { weight: 2, arbitrary: nestedJson(maxDepth) },
    { weight: 1, arbitrary: fc.constantFrom("null", "true", "[]", "{}", '["https://www.example.com/"]') },
  );

const URI_FIELDS = [
  "document-uri",
  "blocked-uri",
  "effective-directive",
  "violated-directive",
  "disposition",
  "status-code",
  "source-file",
  "line-number",
  "column-number",
  "script-sample",
];
const API_FIELDS = [
  "documentURL",
  "blockedURL",
  "effectiveDirective",
  "violatedDirective",
  "disposition",
  "statusCode",
  "sourceFile",
  "lineNumber",
  "columnNumber",
  "sample",
];

function objectJson(fields: readonly string[], maxDepth: number): fc.Arbitrary<string> {
  return fc
    .uniqueArray(fc.tuple(fc.constantFrom(...fields, "__proto__", "constructor"), anyFieldJson(maxDepth)), {
      selector: ([k]) => k,
      maxLength: fields.length,
    })
    .map(
      (pairs) =>
        `{"document-uri":"https://www.example.com/","documentURL":"https://www.example.com/"${pairs.map(([k, v]) => `,${JSON.stringify(k)}:${v}`).join("")}}`,
    );
}

/** A report-uri body or a Reporting API batch, with any field replaced by anything (nested up to `maxDepth`), and members that are not objects. */
const reportBody = (maxDepth: number): fc.Arbitrary<string> =>
  fc.oneof(
    objectJson(URI_FIELDS, maxDepth).map((report) => `{"csp-report":${report}}`),
    fc
      .array(
        fc.oneof(
          {
            weight: 4,
            arbitrary: fc
              .tuple(
                fc.constantFrom('"csp-violation"', '"deprecation"', "1", "null"),
                fc.oneof(objectJson(API_FIELDS, maxDepth), anyFieldJson(maxDepth)),
              )
              .map(([type, body]) => `{"type":${type},"url":"https://www.example.com/u","body":${body}}`),
          },
          { weight: 1, arbitrary: anyFieldJson(maxDepth) },
        ),
        { maxLength: 8 },
      )
      .map((entries) => `[${entries.join(",")}]`),
  );

describe("report bodies cut short", () => {
  it.each(FIXTURES)("never throw at any cut of %s", (name) => {
    const text = fixture(name);
    for (let cut = 0; cut <= text.length; cut++) expectSafe(text.slice(0, cut));
  });

  it("never throw at any cut of a generated body", () => {
    fc.assert(
      fc.property(reportBody(50), (body) => {
        // Every cut of bodies up to 300 characters, 300 evenly spaced cuts of longer ones.
        const step = Math.max(1, Math.floor(body.length / 300));
        for (let cut = 0; cut <= body.length; cut += step) expectSafe(body.slice(0, cut));
      }),
      fuzzParameters(60, 2000),
    );
  });
});

describe("hostile but complete bodies", () => {
  it("never throw, bound every field, and account for every entry", () => {
    fc.assert(
      fc.property(reportBody(3000), (body) => {
        const result = parseCspReports(body, HOST);
        expect(result.ok).toBe(true);
        if (result.ok) expectBounded(result.value);
      }),
      fuzzParameters(500),
    );
  });
});

describe("huge batches", () => {
  const entry = fc.constantFrom(
    '{"type":"csp-violation","url":"https://www.example.com/","body":{"effectiveDirective":"img-src","blockedURL":"https://x.test/i.png"}}',
    '{"type":"csp-violation","url":"https://evil.example/","body":{}}',
    '{"type":"deprecation","body":{}}',
    "1",
    "null",
    '"x"',
    "[[[]]]",
  );

  it(`read at most ${MAX_BATCH_REPORTS} of 100 000 entries, count the rest, and finish quickly`, () => {
    fc.assert(
      fc.property(entry, fc.integer({ min: 100_000, max: 120_000 }), (item, n) => {
        const body = `[${Array.from({ length: n }, () => item).join(",")}]`;
        const started = performance.now();
        const result = parseCspReports(body, HOST);
        const elapsed = performance.now() - started;
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.value.received).toBe(n);
        expect(result.value.dropped.overflow).toBe(n - MAX_BATCH_REPORTS);
        expect(result.value.records.length).toBeLessThanOrEqual(MAX_BATCH_REPORTS);
        expectBounded(result.value);
        expect(elapsed).toBeLessThan(2000);
      }),
      fuzzParameters(4, 40),
    );
  });

  it("finish quickly when one field or one report holds 100 000 items", () => {
    const big = (n: number) => `[${"1,".repeat(n - 1)}1]`;
    const wide = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(",")}}`;
    const bodies = [
      `{"csp-report":{"document-uri":"https://www.example.com/","blocked-uri":${big(100_000)},"script-sample":${big(100_000)}}}`,
      `{"csp-report":${wide(100_000).replace("{", '{"document-uri":"https://www.example.com/",')}}`,
      `[{"type":"csp-violation","url":"https://www.example.com/","body":${wide(100_000)}}]`,
      `{"csp-report":{"document-uri":"https://www.example.com/${"a".repeat(100_000)}","script-sample":"${"\\u202e".repeat(100_000)}"}}`,
    ];
    for (const body of bodies) {
      const started = performance.now();
      expectSafe(body);
      expect(performance.now() - started).toBeLessThan(2000);
    }
  });
});
