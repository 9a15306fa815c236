// A flood cannot blind the collector: the rate limit counts reports, repeats from one client count once a
// minute, one client cannot fill the day's rows, and a real violation that arrives afterwards is stored.

import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ReportConfig } from "../../src/core/policy/parse-env.js";
import type { Env } from "../../src/env.js";
import { createReportEndpoint, type ReportHandler } from "../../src/reports/endpoint.js";
import { batchFor, callEndpoint, d1With, fakeLimiter, lines, NOW, postBatch, rows, SITE, SUMMARY, TOKEN } from "./report-support.js";

/** What docs/reports.md promises: 60 reports per client per minute, 100 distinct violations per client per day. */
const PER_MINUTE = 60;
const PER_CLIENT_DAY = 100;
const MINUTE = 60_000;

let now: number;
let endpoint: ReportHandler;
let bindings: Env;
let reports: ReportConfig;
let log: ReturnType<typeof vi.spyOn>;
let errors: ReturnType<typeof vi.spyOn>;

beforeEach(async () => {
  now = NOW;
  endpoint = createReportEndpoint({ random: () => 0.5, clock: () => now });
  bindings = { ...env };
  reports = { enabled: true, path: "/__csp-report", sampleRate: 1, token: TOKEN };
  log = vi.spyOn(console, "log").mockImplementation(() => undefined);
  errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
  await env.REPORTS_DB.exec("DELETE FROM csp_violations");
  await env.REPORTS_DB.exec("DELETE FROM csp_report_drops");
  await env.REPORTS_DB.exec("DELETE FROM csp_report_clients");
});

afterEach(() => {
  vi.restoreAllMocks();
});

function call(request: Request): Promise<Response> {
  return callEndpoint(endpoint, request, bindings, reports);
}

/** An address no other test uses, so the real limiter's counters start at zero for it. */
function freshClient(): string {
  const group = () => Math.floor(Math.random() * 0xffff).toString(16);
  return `2001:db8:${group()}:${group()}::1`;
}

/** `n` distinct pages: each is a distinct violation, so each would need its own row. */
function pages(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `/${prefix}/${i}`);
}

async function storedReports(): Promise<number> {
  return (await rows()).reduce((sum, row) => sum + row.count, 0);
}

describe("the rate limit counts reports", () => {
  it("stores one client's budget of reports from 5 POSTs of 100, through the REPORT_LIMITER of wrangler.toml", async () => {
    const client = freshClient();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await call(postBatch(batchFor(pages(`p${i}`, 100)), client))).status);
    expect(await storedReports()).toBe(PER_MINUTE);
    // The first POST is accepted in part; the client is then over its budget and refused unread.
    expect(statuses).toEqual([204, 429, 429, 429, 429]);
    expect(lines(log)[0]).toMatchObject({
      event: "csp.report",
      received: 100,
      accepted: PER_MINUTE,
      dropped: { rateLimited: 100 - PER_MINUTE },
    });
    expect(lines(errors)).toEqual([]);
  });

  it("keeps 20 fast POSTs from one client from filling the day, and stores another client's violation afterwards", async () => {
    const flooder = freshClient();
    for (let i = 0; i < 20; i++) await call(postBatch(batchFor(pages(`flood${i}`, 100)), flooder));
    expect(await storedReports()).toBeLessThanOrEqual(PER_MINUTE);
    expect((await call(postBatch(batchFor(["/checkout"], "script-src-elem", "https://evil.example/x.js"), freshClient()))).status).toBe(
      204,
    );
    expect((await rows()).filter((r) => r.page.endsWith("/checkout"))).toEqual([
      expect.objectContaining({ directive: "script-src-elem", count: 1 }),
    ]);
    expect(lines(errors)).toEqual([]);
  });

  it("gives a client that floods minute after minute at most its daily share of rows, even when the limiter lets everything through", async () => {
    // A limiter that never refuses stands in for the binding's limits, which are per Cloudflare location and
    // eventually consistent: the collector's own accounting must hold without it.
    bindings = { ...bindings, REPORT_LIMITER: fakeLimiter() };
    const flooder = freshClient();
    for (let minute = 0; minute < 40; minute++) {
      await call(postBatch(batchFor(pages(`m${minute}`, 100)), flooder));
      now += MINUTE;
    }
    expect((await rows()).length).toBeLessThanOrEqual(PER_CLIENT_DAY);
    await call(postBatch(batchFor(["/after-the-flood"], "frame-src"), freshClient()));
    expect((await rows()).filter((r) => r.page.endsWith("/after-the-flood"))).toHaveLength(1);
    expect(lines(errors)).toEqual([]);
  });
});

describe("repeats", () => {
  it("counts identical reports from one client once a minute, and once per client", async () => {
    bindings = { ...bindings, REPORT_LIMITER: fakeLimiter() };
    const [a, b] = [freshClient(), freshClient()];
    const same = batchFor(Array<string>(10).fill("/same"));
    for (let i = 0; i < 3; i++) expect((await call(postBatch(same, a))).status).toBe(204);
    expect((await rows()).map((r) => r.count)).toEqual([1]);
    await call(postBatch(same, b));
    expect((await rows()).map((r) => r.count)).toEqual([2]);
    now += MINUTE;
    await call(postBatch(same, a));
    expect((await rows()).map((r) => r.count)).toEqual([3]);
    expect(lines(log).map((l) => [l.accepted, (l.dropped as Record<string, number>).duplicate])).toEqual([
      [1, 9],
      [0, 10],
      [0, 10],
      [1, 9],
      [1, 9],
    ]);
  });
});

describe("bodies that cost no report budget", () => {
  it("refuses unread a client's 61st body in a minute, though it sends only repeats and reports for other hosts", async () => {
    bindings = { ...bindings, REPORT_LIMITER: fakeLimiter() };
    const client = freshClient();
    const repeat = batchFor(["/same"]);
    const offHost = JSON.stringify([
      { type: "csp-violation", url: "https://elsewhere.example/", body: { documentURL: "https://elsewhere.example/" } },
    ]);
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push((await call(postBatch(i % 2 === 0 ? repeat : offHost, client))).status);
    expect(statuses.slice(0, 60).every((s) => s === 204)).toBe(true);
    expect(statuses[60]).toBe(429);
    // Read bodies are logged one line each; the refused one is not.
    expect(lines(log)).toHaveLength(60);
    now += MINUTE;
    expect((await call(postBatch(repeat, client))).status).toBe(204);
  });
});

describe("the summary's drop counts", () => {
  it("says how many reports were dropped and why, in JSON, on the HTML page, and adds up", async () => {
    bindings = { ...bindings, REPORT_LIMITER: fakeLimiter() };
    const flooder = freshClient();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(postBatch(batchFor(["/same", "/same", ...pages(`f${i}`, 70)]), flooder))).status);
    await call(postBatch(batchFor(["/other"]), freshClient()));
    expect(statuses).toEqual([204, 429, 429]);
    const get = (format: string) => new Request(`${SUMMARY}?format=${format}&days=1`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    const summary = await (await call(get("json"))).json<{ totals: { all: number }; dropped: Record<string, unknown> }>();
    // The first POST: /same counted once, then 59 more stored and 11 over the minute's budget.
    expect(summary.totals.all).toBe(PER_MINUTE + 1);
    expect(summary.dropped).toEqual({
      received: 73,
      reports: 12,
      byReason: expect.objectContaining({ rateLimited: 11, duplicate: 1, clientCap: 0, rowCap: 0, sampledOut: 0, d1Error: 0 }),
      refusedRequests: expect.objectContaining({ rateLimited: 2 }),
    });
    const html = await (await call(get("html"))).text();
    expect(html).toContain(
      "73 reports received: 61 stored, 12 dropped. 2 requests were refused before their reports were read (2 over the rate limit).",
    );
    expect(html).toMatch(/<td class="n">11<\/td><td>rate limit<\/td>/);
    expect(lines(errors)).toEqual([]);
  });

  it("includes reports D1 lost, written once D1 answers again, and this isolate's latest drops", async () => {
    bindings = { ...bindings, REPORT_LIMITER: fakeLimiter(), REPORTS_DB: d1With(() => Promise.reject(new Error("D1_ERROR: overloaded"))) };
    await call(postBatch(batchFor(["/a", "/b"]), freshClient()));
    expect(lines(errors)).toEqual([expect.objectContaining({ event: "csp.report.dropped", reason: "d1Error", reports: 2 })]);
    bindings = { ...bindings, REPORTS_DB: env.REPORTS_DB };
    const client = freshClient();
    await call(postBatch(batchFor(["/c"]), client));
    // A repeat: counted in this isolate, not yet written when the summary is asked for.
    await call(postBatch(batchFor(["/c"]), client));
    const res = await call(new Request(`${SUMMARY}?format=json&days=1`, { headers: { Authorization: `Bearer ${TOKEN}` } }));
    const summary = await res.json<{ totals: { all: number }; dropped: { received: number; byReason: Record<string, number> } }>();
    expect(summary.totals.all).toBe(1);
    expect(summary.dropped).toMatchObject({ received: 4, byReason: { d1Error: 2, duplicate: 1 } });
  });
});

describe("the day's rows after a flood from many addresses (red team, probe-report-flood.ts)", () => {
  /** A small day: 40 rows, 10 of them reserved, 5 per client; the isolate's own share set out of the way. */
  function smallDay(): ReportHandler {
    return createReportEndpoint({
      random: () => 0.5,
      clock: () => now,
      maxRowsPerDay: 40,
      reservedRowsPerDay: 10,
      clientRowsPerDay: 5,
      clientLimits: { violationsPerDay: 1000, reportsPerWindow: 1000, requestsPerWindow: 1000 },
    });
  }

  async function flood(handler: ReportHandler, ip: string, prefix: string, n: number): Promise<void> {
    // A limiter that admits everything: the day's rows are what is under test, not the minute's budget.
    const res = await callEndpoint(
      handler,
      postBatch(batchFor(pages(prefix, n)), ip),
      { ...bindings, REPORT_LIMITER: fakeLimiter() },
      reports,
    );
    expect(res.status).toBe(204);
  }

  it("counts a /56's 256 /64s as one client, so one subscriber stores one share (main: 256 shares)", async () => {
    const handler = smallDay();
    for (let i = 0; i < 256; i += 17) await flood(handler, `2001:db8:77:${(0xab00 + i).toString(16)}::1`, `v6-${i}`, 5);
    expect((await rows()).length).toBe(5);
  });

  it("keeps a client's share in D1, whichever isolate its reports reach (main: one share per isolate)", async () => {
    for (let isolate = 0; isolate < 4; isolate++) await flood(smallDay(), "198.51.100.9", `iso${isolate}`, 5);
    expect((await rows()).length).toBe(5);
  });

  it("stores a new violation from an untouched client after many clients filled every open row (main: dropped all day)", async () => {
    const handler = smallDay();
    for (let c = 0; c < 12; c++) await flood(handler, `203.0.113.${c}`, `flood${c}`, 5);
    // 30 open rows taken by the first 6 clients; the next 6 got one reserved row each.
    expect((await rows()).length).toBe(36);
    const real = batchFor(["/checkout"], "script-src-elem", "https://evil.example/x.js");
    expect(
      (await callEndpoint(handler, postBatch(real, "192.0.2.200"), { ...bindings, REPORT_LIMITER: fakeLimiter() }, reports)).status,
    ).toBe(204);
    expect(await rows()).toContainEqual(expect.objectContaining({ page: `${SITE}/checkout`, directive: "script-src-elem" }));
    // A flooder with rows already gets no reserved row; the reserve runs out only after 10 new clients.
    await flood(handler, "203.0.113.0", "again", 3);
    expect((await rows()).length).toBe(37);
    const summary = [...lines(log), ...lines(errors)].filter((line) => line.event === "csp.report.dropped");
    expect(summary.at(-1)).toMatchObject({ reason: "rowCap", reports: 3 });
  });
});
