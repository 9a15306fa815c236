// Per-client report budgets: repeats once per window, reports per window, distinct violations per day, what
// the shared limiter refuses, the memory bound, and a property that every report is accounted for once.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClientLedger, DEFAULT_CLIENT_LIMITS, hashKey, type ClientLimits } from "../../../src/core/reports/client-ledger.js";
import type { ViolationRecord } from "../../../src/core/reports/csp-report.js";
import { violationKey } from "../../../src/core/reports/rows.js";
import { fuzzParameters } from "../../fuzz-config.js";

const LIMITS: ClientLimits = { reportsPerWindow: 3, requestsPerWindow: 5, windowMs: 60_000, violationsPerDay: 4, maxClients: 2 };
const NOON = Date.UTC(2026, 3, 10, 12);

function record(page: string, directive = "img-src"): ViolationRecord {
  return {
    documentUrl: `https://www.example.com/${page}`,
    blockedUrl: "inline",
    effectiveDirective: directive,
    disposition: "report",
    statusCode: 0,
    sourceFile: "",
    lineNumber: 0,
    columnNumber: 0,
    sample: "",
  };
}

function ledger(limits: ClientLimits = LIMITS): { ledger: ClientLedger; advance: (ms: number) => void } {
  let now = NOON;
  return { ledger: new ClientLedger(limits, () => now), advance: (ms) => (now += ms) };
}

const pages = (...names: string[]) => names.map((n) => record(n));

describe("a client's budgets", () => {
  it("counts repeats of a violation once per window, and again in the next window", () => {
    const { ledger: l, advance } = ledger();
    expect(l.admit("a", pages("x", "x", "x"))).toMatchObject({
      admitted: pages("x"),
      dropped: { duplicate: 2, rateLimited: 0, clientCap: 0 },
    });
    expect(l.admit("a", pages("x")).dropped.duplicate).toBe(1);
    // Another client's repeat is its own.
    expect(l.admit("b", pages("x")).admitted).toHaveLength(1);
    advance(LIMITS.windowMs);
    expect(l.admit("a", pages("x")).admitted).toHaveLength(1);
  });

  it("admits the window's budget of distinct reports and drops the rest as rate limited", () => {
    const { ledger: l, advance } = ledger();
    expect(l.admit("a", pages("1", "2", "3", "4", "5"))).toMatchObject({ admitted: pages("1", "2", "3"), dropped: { rateLimited: 2 } });
    expect(l.hasBudget("a")).toBe(false);
    expect(l.hasBudget("b")).toBe(true);
    advance(LIMITS.windowMs);
    expect(l.hasBudget("a")).toBe(true);
  });

  it("limits the bodies a client may have read per window, whatever they hold: repeats and empty batches too", () => {
    const { ledger: l, advance } = ledger();
    l.admit("a", pages("x"));
    for (let i = 0; i < LIMITS.requestsPerWindow - 1; i++) {
      expect(l.hasBudget("a")).toBe(true);
      l.admit("a", i % 2 === 0 ? pages("x") : []);
    }
    expect(l.hasBudget("a")).toBe(false);
    advance(LIMITS.windowMs);
    expect(l.hasBudget("a")).toBe(true);
  });

  it("gives a client a daily share of distinct violations; a violation it already brought today still counts", () => {
    const { ledger: l, advance } = ledger();
    l.admit("a", pages("1", "2", "3"));
    advance(LIMITS.windowMs);
    expect(l.admit("a", pages("4", "5", "1"))).toMatchObject({ admitted: pages("4", "1"), dropped: { clientCap: 1 } });
    // A new UTC day, a new share.
    advance(12 * 3_600_000);
    expect(l.admit("a", pages("5")).admitted).toHaveLength(1);
  });

  it("drops what the shared limiter refused, spends the client's window, and gives the day's share back", () => {
    const { ledger: l, advance } = ledger();
    const admission = l.admit("a", pages("1", "2", "3"));
    expect(l.settle("a", admission, 1)).toMatchObject({ admitted: pages("1"), dropped: { rateLimited: 2 } });
    expect(l.hasBudget("a")).toBe(false);
    advance(LIMITS.windowMs);
    // "2" and "3" were never stored: they take no place in the share, which still has room for three.
    expect(l.admit("a", pages("2", "3", "4")).admitted).toHaveLength(3);
  });

  it("leaves an admission whole when the limiter confirmed all of it", () => {
    const { ledger: l } = ledger();
    const admission = l.admit("a", pages("1", "2"));
    expect(l.settle("a", admission, 2)).toBe(admission);
  });

  it("remembers at most maxClients clients, forgetting the one seen least recently", () => {
    const { ledger: l } = ledger();
    l.admit("a", pages("1", "2", "3"));
    l.admit("b", pages("1", "2", "3"));
    l.admit("a", pages("4"));
    l.admit("c", pages("1"));
    expect([l.hasBudget("a"), l.hasBudget("b")]).toEqual([false, true]);
  });
});

describe("hashKey", () => {
  it("gives distinct violations distinct safe-integer hashes", () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => violationKey(record(`page/${i}`, i % 2 === 0 ? "img-src" : "font-src")));
    const hashes = keys.map(hashKey);
    expect(new Set(hashes).size).toBe(keys.length);
    for (const h of hashes.slice(0, 100)) expect(Number.isSafeInteger(h) && h >= 0).toBe(true);
  });
});

describe("the defaults", () => {
  it("count reports per minute with the same limit and period as REPORT_LIMITER in wrangler.toml", () => {
    const toml = readFileSync(new URL("../../../wrangler.toml", import.meta.url), "utf8");
    // Both forms: the top-level [[ratelimits]] table and staging's inline table.
    const limits = [...toml.matchAll(/"REPORT_LIMITER"[^\]]*?simple = \{ limit = (\d+), period = (\d+) \}/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    expect(limits).toEqual([
      [DEFAULT_CLIENT_LIMITS.reportsPerWindow, DEFAULT_CLIENT_LIMITS.windowMs / 1000],
      [DEFAULT_CLIENT_LIMITS.reportsPerWindow, DEFAULT_CLIENT_LIMITS.windowMs / 1000],
    ]);
  });
});

describe("properties", () => {
  const steps = fc.array(
    fc.record({
      client: fc.constantFrom("a", "b", "c"),
      pages: fc.array(fc.integer({ min: 0, max: 8 }).map(String), { maxLength: 8 }),
      wait: fc.integer({ min: 0, max: 90_000 }),
      confirmed: fc.nat(10),
    }),
    { maxLength: 30 },
  );

  it("accounts for every report once, and no client passes its window's budget, its day's share, or repeats in a window", () => {
    fc.assert(
      fc.property(steps, (list) => {
        const { ledger: l, advance } = ledger({ ...LIMITS, maxClients: 10 });
        let now = NOON;
        const perWindow = new Map<string, string[]>();
        const perDay = new Map<string, Set<string>>();
        for (const step of list) {
          const records = pages(...step.pages);
          const { admitted, dropped } = l.settle(step.client, l.admit(step.client, records), step.confirmed);
          expect(admitted.length + dropped.rateLimited + dropped.duplicate + dropped.clientCap).toBe(records.length);
          const windowKey = `${step.client} ${Math.floor(now / LIMITS.windowMs)}`;
          const inWindow = [...(perWindow.get(windowKey) ?? []), ...admitted.map(violationKey)];
          perWindow.set(windowKey, inWindow);
          expect(inWindow.length).toBeLessThanOrEqual(LIMITS.reportsPerWindow);
          expect(new Set(inWindow).size).toBe(inWindow.length);
          const today = perDay.get(step.client) ?? new Set<string>();
          for (const r of admitted) today.add(violationKey(r));
          perDay.set(step.client, today);
          expect(today.size).toBeLessThanOrEqual(LIMITS.violationsPerDay);
          advance(step.wait);
          now += step.wait;
        }
      }),
      fuzzParameters(300),
    );
  });
});
