// The pure parts of the report store and summary: UTC day ranges, `?days=`, Authorization parsing, row shaping, drop counts.

import { describe, expect, it } from "vitest";
import type { ViolationRecord } from "../../../src/core/reports/csp-report.js";
import { isoDay, parseDays, retentionCutoff, windowDays, windowStart } from "../../../src/core/reports/days.js";
import { createCounters, DropTally, REPORT_DROP_REASONS } from "../../../src/core/reports/drops.js";
import { countViolations, toCounts, toDropCounts, toTopViolation, upsertValues } from "../../../src/core/reports/rows.js";
import { authScheme, presentedToken } from "../../../src/core/reports/token.js";

const NOW = Date.UTC(2026, 3, 10, 23, 59, 59);

const RECORD: ViolationRecord = {
  documentUrl: "https://www.example.com/",
  blockedUrl: "inline",
  effectiveDirective: "script-src-elem",
  disposition: "report",
  statusCode: 200,
  sourceFile: "",
  lineNumber: 3,
  columnNumber: 9,
  sample: "alert(1)",
};

describe("days", () => {
  it("names a window's first day, and the retention cutoff, in UTC", () => {
    expect(isoDay(NOW)).toBe("2026-04-10");
    expect(windowStart(NOW, 1)).toBe("2026-04-10");
    expect(windowStart(NOW, 7)).toBe("2026-04-04");
    expect(windowDays(NOW, 7)[0]).toBe(windowStart(NOW, 7));
    expect(retentionCutoff(NOW, 90)).toBe("2026-01-10");
  });

  it.each([
    [null, 7],
    ["1", 1],
    ["90", 90],
    ["0", undefined],
    ["91", undefined],
    ["7.5", undefined],
    ["x", undefined],
    ["", undefined],
    ["0007", undefined],
  ])("reads days=%j as %j", (raw, expected) => {
    expect(parseDays(raw, 7, 90)).toBe(expected);
  });
});

describe("Authorization", () => {
  it.each([
    ["Bearer abc", "abc"],
    ["bearer   abc ", "abc"],
    [`Basic ${btoa("anyone:tok:en")}`, "tok:en"],
    [`Basic ${btoa("token-without-colon")}`, undefined],
    ["Basic %%%", undefined],
    ["Token abc", undefined],
    [null, undefined],
    [`Bearer ${"a".repeat(5000)}`, undefined],
  ])("presents %j as %j", (header, token) => {
    expect(presentedToken(header)).toBe(token);
  });

  it("names only the scheme, short and lower-cased", () => {
    expect(authScheme(null)).toBe("none");
    expect(authScheme("Bearer secret-value")).toBe("bearer");
    expect(authScheme(`${"X".repeat(40)} y`)).toBe("x".repeat(16));
  });
});

describe("rows", () => {
  it("folds identical violations, keeping the latest report's details", () => {
    const later = { ...RECORD, lineNumber: 4 };
    expect(countViolations([RECORD, { ...RECORD, disposition: "enforce" }, later])).toEqual([
      { record: later, count: 2, samples: ["alert(1)"] },
      { record: { ...RECORD, disposition: "enforce" }, count: 1, samples: ["alert(1)"] },
    ]);
  });

  it("keeps a row's distinct samples, at most eight, none empty", () => {
    const records = ["a", "", "b", "a", ...Array.from({ length: 10 }, (_, i) => `s${i}`)].map((sample) => ({ ...RECORD, sample }));
    expect(countViolations(records)[0]?.samples).toEqual(["a", "b", "s0", "s1", "s2", "s3", "s4", "s5"]);
  });

  it("binds a row's values in the upsert's parameter order", () => {
    expect(upsertValues("2026-04-10", NOW, { record: RECORD, count: 2, samples: ["alert(1)"] }, 2000, 8)).toEqual([
      "2026-04-10",
      "script-src-elem",
      "inline",
      "https://www.example.com/",
      "report",
      2,
      NOW,
      200,
      "",
      3,
      9,
      "alert(1)",
      2000,
      8,
      '["alert(1)"]',
    ]);
  });

  it("reads malformed aggregate rows as empty strings and zero counts", () => {
    expect(toTopViolation({ directive: 1, count: -3, last_seen: "x", disposition: "maybe" })).toEqual({
      directive: "",
      blocked: "",
      page: "",
      disposition: "enforce",
      count: 0,
      lastSeen: new Date(0).toISOString(),
      sample: "",
    });
    expect(
      toCounts(
        [
          { day: "2026-04-10", count: 2.7 },
          { day: null, count: Number.NaN },
        ],
        "day",
      ),
    ).toEqual([
      { day: "2026-04-10", count: 2 },
      { day: "", count: 0 },
    ]);
  });
});

describe("drop counts", () => {
  it("tallies drops per day, unit and reason until they are taken, and takes back a failed write", () => {
    const tally = new DropTally();
    tally.add("2026-04-10", "report", "duplicate", 2);
    tally.add("2026-04-10", "report", "duplicate", 3);
    tally.add("2026-04-10", "request", "rateLimited", 1);
    tally.add("2026-04-11", "report", "duplicate", 0);
    const taken = tally.take();
    expect(taken).toEqual([
      { day: "2026-04-10", unit: "report", reason: "duplicate", count: 5 },
      { day: "2026-04-10", unit: "request", reason: "rateLimited", count: 1 },
    ]);
    expect(tally.empty).toBe(true);
    tally.add("2026-04-10", "report", "duplicate", 1);
    tally.restore(taken);
    expect(tally.take()).toEqual([
      { day: "2026-04-10", unit: "report", reason: "duplicate", count: 6 },
      { day: "2026-04-10", unit: "request", reason: "rateLimited", count: 1 },
    ]);
  });

  it("reads drop rows back per unit, skipping units and reasons it does not know the shape of", () => {
    expect(
      toDropCounts([
        { unit: "report", reason: "rateLimited", count: 4 },
        { unit: "request", reason: "tooLarge", count: 1 },
        { unit: "other", reason: "x", count: 9 },
        { unit: "report", reason: "<script>", count: 9 },
      ]),
    ).toEqual({ reports: { rateLimited: 4 }, requests: { tooLarge: 1 } });
  });

  it("starts every counter at zero, one per reason", () => {
    const counters = createCounters();
    expect(Object.keys(counters.dropped)).toEqual(REPORT_DROP_REASONS.map((r) => r.reason));
    expect(Object.values(counters.dropped).every((n) => n === 0)).toBe(true);
  });
});
