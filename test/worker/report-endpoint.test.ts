// The CSP report collector and its summary inside workerd, with the real D1 (migrated by apply-migrations.ts)
// and fake limiters and databases to inject refusals, failures and slowness.

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ReportConfig } from "../../src/core/policy/parse-env.js";
import type { Env } from "../../src/env.js";
import { createReportEndpoint, type ReportEndpointOptions, type ReportHandler } from "../../src/reports/endpoint.js";
import {
  BATCH,
  batchFor,
  callEndpoint,
  client,
  COLLECTOR,
  d1With,
  DAY,
  fakeLimiter,
  json,
  lines,
  NOW,
  post,
  postBatch,
  REPORT_URI,
  rows,
  SITE,
  SUMMARY,
  TOKEN,
} from "./report-support.js";
import { cspMap } from "./support.js";

let now: number;
let endpoint: ReportHandler;
let bindings: Env;
let reports: ReportConfig;

function makeEndpoint(options: ReportEndpointOptions = {}): ReportHandler {
  return createReportEndpoint({ random: () => 0.5, clock: () => now, ...options });
}

beforeEach(async () => {
  now = NOW;
  endpoint = makeEndpoint();
  bindings = { ...env, REPORT_LIMITER: fakeLimiter() };
  reports = { enabled: true, path: "/__csp-report", sampleRate: 1, token: TOKEN };
  await env.REPORTS_DB.exec("DELETE FROM csp_violations");
  await env.REPORTS_DB.exec("DELETE FROM csp_report_drops");
  await env.REPORTS_DB.exec("DELETE FROM csp_report_clients");
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Call the endpoint and wait for its background work (the D1 write) to finish. */
function call(request: Request, handler: ReportHandler = endpoint): Promise<Response> {
  return callEndpoint(handler, request, bindings, reports);
}

describe("the collector", () => {
  it("stores a report-uri report as one row with count 1, without its query strings", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const res = await call(post(json(REPORT_URI)));
    expect(res.status).toBe(204);
    expect(await rows()).toEqual([
      {
        day: "2026-04-10",
        directive: "script-src-elem",
        blocked: "https://cdn.tracker.example/t.js",
        page: `${SITE}/account`,
        disposition: "enforce",
        count: 1,
        sample: "",
      },
    ]);
  });

  it("counts a report that another client repeats in the same row", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    await call(post(json(REPORT_URI), "application/csp-report", client(1)));
    await call(post(json(REPORT_URI), "application/json", client(2)));
    expect((await rows()).map((r) => r.count)).toEqual([2]);
  });

  it("starts a new row on a new day", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    await call(post(json(REPORT_URI)));
    now += DAY;
    await call(post(json(REPORT_URI)));
    expect((await rows()).map((r) => [r.day, r.count])).toEqual([
      ["2026-04-10", 1],
      ["2026-04-11", 1],
    ]);
  });

  it("stores both reports of a reports+json batch", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const res = await call(post(json(BATCH), "application/reports+json"));
    expect(res.status).toBe(204);
    expect((await rows()).map((r) => [r.page, r.directive, r.blocked, r.disposition, r.count, r.sample])).toEqual([
      [`${SITE}/`, "img-src", "https://img.example.net/a.png", "report", 1, ""],
      [`${SITE}/cart`, "style-src-elem", "inline", "report", 1, "body{}"],
    ]);
  });

  it("writes one structured log line per batch, naming its violations", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    await call(post(json(BATCH), "application/reports+json"));
    expect(lines(log)).toEqual([
      expect.objectContaining({
        event: "csp.report",
        format: "reports-api",
        received: 2,
        accepted: 2,
        storage: "queued",
        violations: [
          { directive: "img-src", blocked: "https://img.example.net/a.png", page: `${SITE}/`, disposition: "report" },
          { directive: "style-src-elem", blocked: "inline", page: `${SITE}/cart`, disposition: "report" },
        ],
      }),
    ]);
  });

  it("drops a report for a page on another host and counts it", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const res = await call(post(json({ "csp-report": { ...REPORT_URI["csp-report"], "document-uri": "https://victim.example/" } })));
    expect(res.status).toBe(204);
    expect(await rows()).toEqual([]);
    expect(lines(log)[0]).toMatchObject({ accepted: 0, dropped: { offHost: 1 }, storage: "nothing to store" });
  });

  it("answers 413 to a body claiming 1 MB without reading it", async () => {
    // A Request built here has no Content-Length header (workerd derives it when sending); one from the
    // network has, so the test writes it as a browser would.
    const request = post("x".repeat(1 << 20), "application/csp-report", { "Content-Length": String(1 << 20) });
    const res = await call(request);
    expect(res.status).toBe(413);
    expect(request.bodyUsed).toBe(false);
  });

  it("answers 413 to a body longer than its Content-Length claims", async () => {
    const res = await call(post(" ".repeat(70_000) + json(REPORT_URI), "application/csp-report", { "Content-Length": "100" }));
    expect(res.status).toBe(413);
  });

  it("answers 413 to a chunked body past 64 KiB, reading little more than 64 KiB of it", async () => {
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        if (pulls > 64) controller.close();
        else controller.enqueue(new TextEncoder().encode(" ".repeat(16 * 1024)));
      },
    });
    const request = post(stream);
    expect(request.headers.has("content-length")).toBe(false);
    const res = await call(request);
    expect(res.status).toBe(413);
    expect(pulls).toBeLessThanOrEqual(8);
  });

  it("accepts a body of exactly 64 KiB", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const body = json(REPORT_URI);
    const padded = body.slice(0, -1) + " ".repeat(64 * 1024 - body.length) + "}";
    expect(new TextEncoder().encode(padded).byteLength).toBe(64 * 1024);
    expect((await call(post(padded))).status).toBe(204);
  });

  it("answers 415 to text/plain", async () => {
    expect((await call(post(json(REPORT_URI), "text/plain"))).status).toBe(415);
  });

  it("answers 405 with Allow: POST to a GET", async () => {
    const res = await call(new Request(COLLECTOR));
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });

  it.each([
    ["garbage", "{not json"],
    ["JSON that is not a report", '{"hello": 1}'],
    ["bytes that are not UTF-8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
    ["an empty body", null],
  ])("answers 400 to %s", async (_, body) => {
    const res = await call(post(body));
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^Bad Request/);
  });

  it("answers 429 when the limiter refuses the client, keyed on CF-Connecting-IP", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const limiter = fakeLimiter(false);
    bindings = { ...bindings, REPORT_LIMITER: limiter };
    const res = await call(post(json(REPORT_URI), "application/csp-report", { "CF-Connecting-IP": "2001:db8:1:2:3:4:5:6" }));
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("60");
    expect(limiter.keys).toEqual(["2001:db8:1::/48"]);
    expect(await rows()).toEqual([]);
    expect(lines(log)).toEqual([
      expect.objectContaining({ event: "csp.report", received: 1, accepted: 0, dropped: expect.objectContaining({ rateLimited: 1 }) }),
    ]);
  });

  it("shares one limiter key between clients without CF-Connecting-IP", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const limiter = fakeLimiter();
    bindings = { ...bindings, REPORT_LIMITER: limiter };
    await call(post(json(REPORT_URI)));
    expect(limiter.keys).toEqual(["no-client-ip"]);
  });

  it("asks the REPORT_LIMITER of wrangler.toml once per report, and drops what it refuses past 60 a minute", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    bindings = { ...env };
    reports = { ...reports, sampleRate: 0 };
    // Budgets of this isolate far above the binding's, so that only the binding refuses.
    const generous = makeEndpoint({ clientLimits: { reportsPerWindow: 1000, violationsPerDay: 1000 } });
    const accepted: unknown[] = [];
    // Up to two attempts: the limiter's minute may roll over in the middle of one.
    for (let attempt = 0; attempt < 2 && !accepted.includes(60); attempt++) {
      const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
      const pages = Array.from({ length: 100 }, (_, i) => `/limited/${attempt}/${i}`);
      expect((await call(postBatch(batchFor(pages), ip), generous)).status).toBe(204);
      accepted.push(lines(log).at(-1)?.accepted);
    }
    expect(accepted).toContain(60);
    expect(lines(log).at(-1)).toMatchObject({ received: 100, accepted: 60, dropped: { rateLimited: 40 } });
  });

  it("accepts but stores nothing at sample rate 0", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    reports = { ...reports, sampleRate: 0 };
    expect((await call(post(json(REPORT_URI)))).status).toBe(204);
    expect(await rows()).toEqual([]);
    expect(lines(log)[0]).toMatchObject({ storage: "sampled out" });
  });

  it("stores a batch whose random draw is below the sample rate", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    reports = { ...reports, sampleRate: 0.25 };
    await call(post(json(REPORT_URI)), makeEndpoint({ random: () => 0.3 }));
    expect(await rows()).toEqual([]);
    await call(post(json(REPORT_URI)), makeEndpoint({ random: () => 0.2 }));
    expect((await rows()).map((r) => r.count)).toEqual([1]);
  });

  it("answers 204 when D1 throws, stores nothing, and logs the counted drop", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    bindings = { ...bindings, REPORTS_DB: d1With(() => Promise.reject(new Error("D1_ERROR: database unavailable"))) };
    expect((await call(post(json(BATCH), "application/reports+json"))).status).toBe(204);
    expect(await rows()).toEqual([]);
    expect(lines(errors)).toEqual([
      expect.objectContaining({
        event: "csp.report.dropped",
        reason: "d1Error",
        reports: 2,
        detail: "Error: D1_ERROR: database unavailable",
        counters: expect.objectContaining({ dropped: expect.objectContaining({ d1Error: 2 }) }),
      }),
    ]);
  });

  it("answers 204 before a slow D1 write finishes, then drops it at the time bound", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    bindings = { ...bindings, REPORTS_DB: d1With(() => new Promise<D1Result[]>(() => undefined)) };
    const slow = makeEndpoint({ d1TimeoutMs: 50 });
    const ctx = createExecutionContext();
    const res = await slow(post(json(REPORT_URI)), bindings, ctx, reports);
    expect(res.status).toBe(204);
    expect(lines(errors)).toEqual([]);
    await waitOnExecutionContext(ctx);
    expect(lines(errors)).toEqual([expect.objectContaining({ event: "csp.report.dropped", reason: "d1Timeout", reports: 1 })]);
  });

  it("stops calling a failing D1 for a while after three failures in a row", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const db = d1With(() => Promise.reject(new Error("D1_ERROR: overloaded")));
    bindings = { ...bindings, REPORTS_DB: db };
    for (let i = 0; i < 4; i++) await call(post(json(REPORT_URI), "application/csp-report", client(i)));
    expect(db.batch).toHaveBeenCalledTimes(3);
    expect(lines(errors).map((l) => l.reason)).toEqual(["d1Error", "d1Error", "d1Error", "circuitOpen"]);
    now += 30_000;
    await call(post(json(REPORT_URI), "application/csp-report", client(4)));
    expect(db.batch).toHaveBeenCalledTimes(4);
  });

  it("keeps at most maxRowsPerDay rows a day, still counting up the existing ones", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const capped = makeEndpoint({ maxRowsPerDay: 2 });
    const report = (page: string) => json({ "csp-report": { ...REPORT_URI["csp-report"], "document-uri": `${SITE}/${page}` } });
    for (const [i, page] of ["a", "b", "c", "a"].entries()) await call(post(report(page), "application/csp-report", client(i)), capped);
    expect((await rows()).map((r) => [r.page, r.count])).toEqual([
      [`${SITE}/a`, 2],
      [`${SITE}/b`, 1],
    ]);
    expect(lines(errors)).toEqual([expect.objectContaining({ event: "csp.report.dropped", reason: "rowCap", reports: 1 })]);
  });

  it("deletes rows older than the retention period once a day", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    await env.REPORTS_DB.prepare(
      "INSERT INTO csp_violations (day, directive, blocked, page, disposition, count, first_seen, last_seen) VALUES ('2025-12-01', 'img-src', 'x', 'y', 'enforce', 3, 0, 0)",
    ).run();
    await call(post(json(REPORT_URI)));
    expect((await rows()).map((r) => r.day)).toEqual(["2026-04-10"]);
  });

  it.each([
    ["204", () => post(json(REPORT_URI)), 204],
    ["405", () => new Request(COLLECTOR, { method: "PUT", body: "x" }), 405],
    ["415", () => post("{}", "text/html"), 415],
    ["413", () => post("x".repeat(70_000)), 413],
    ["400", () => post("nope"), 400],
  ])("puts the fixed hardening headers on a %s", async (_, request, status) => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const res = await call(request());
    expect(res.status).toBe(status);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(cspMap(res.headers.get("content-security-policy")).get("default-src")).toEqual(["'none'"]);
  });
});

describe("the summary", () => {
  async function seed(): Promise<void> {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    await call(post(json(REPORT_URI), "application/csp-report", client(1)));
    await call(post(json(REPORT_URI), "application/csp-report", client(2)));
    now -= 2 * DAY;
    await call(post(json(BATCH), "application/reports+json"));
    now = NOW;
  }

  function get(headers: Record<string, string> = {}, url = SUMMARY, method = "GET"): Request {
    return new Request(url, { method, headers });
  }

  const bearer = { Authorization: `Bearer ${TOKEN}` };
  const basic = (user: string, password: string) => ({ Authorization: `Basic ${btoa(`${user}:${password}`)}` });

  it("answers 404 when no token is configured", async () => {
    reports = { ...reports, token: undefined };
    expect((await call(get(bearer))).status).toBe(404);
  });

  it("answers 401 with a Basic and Bearer challenge without Authorization", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const res = await call(get());
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm="CSP reports".*Bearer/);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it.each([
    ["a wrong bearer token", { Authorization: "Bearer wrong-token-0123456789abcdefghij" }],
    ["a prefix of the token", { Authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ["the token with a suffix", { Authorization: `Bearer ${TOKEN}x` }],
    ["the token as the Basic user name", basic(TOKEN, "")],
    ["an unknown scheme", { Authorization: `Token ${TOKEN}` }],
    ["broken base64", { Authorization: "Basic %%%" }],
  ])("answers 401 to %s, logging the scheme but not the value", async (_, headers) => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    expect((await call(get(headers))).status).toBe(401);
    const logged = JSON.stringify(lines(log));
    expect(logged).toContain("csp.summary.denied");
    expect(logged).not.toContain(TOKEN.slice(0, 12));
  });

  it("serves JSON to the right bearer token with Accept: application/json", async () => {
    await seed();
    const res = await call(get({ ...bearer, Accept: "application/json" }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const body = await res.json<Record<string, unknown>>();
    expect(body).toMatchObject({
      window: { days: 7, from: "2026-04-04", to: "2026-04-10" },
      totals: { all: 4, enforce: 2, report: 2 },
      top: [
        {
          directive: "script-src-elem",
          blocked: "https://cdn.tracker.example/t.js",
          page: `${SITE}/account`,
          disposition: "enforce",
          count: 2,
          lastSeen: new Date(NOW).toISOString(),
        },
        expect.objectContaining({ count: 1 }),
        expect.objectContaining({ count: 1 }),
      ],
      byDirective: [
        { directive: "script-src-elem", count: 2 },
        expect.objectContaining({ count: 1 }),
        expect.objectContaining({ count: 1 }),
      ],
    });
    expect(body.byDay).toHaveLength(7);
    expect(body.byDay).toContainEqual({ day: "2026-04-08", count: 2 });
    expect(body.byDay).toContainEqual({ day: "2026-04-10", count: 2 });
  });

  it("serves JSON for ?format=json whatever the Accept header says", async () => {
    const res = await call(get({ ...bearer, Accept: "text/html" }, `${SUMMARY}?format=json&days=1`));
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect((await res.json<{ window: unknown }>()).window).toEqual({ days: 1, from: "2026-04-10", to: "2026-04-10" });
  });

  it("serves HTML to a browser sending the token as the Basic password, with any user name", async () => {
    await seed();
    const res = await call(get({ ...basic("anyone", TOKEN), Accept: "text/html,application/xhtml+xml,*/*;q=0.8" }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await res.text();
    expect(html).toContain("<svg");
    expect(html).toContain("https://cdn.tracker.example/t.js");
  });

  it("serves the HTML under a strict CSP whose hash allows exactly its one style element", async () => {
    const res = await call(get(bearer));
    const html = await res.text();
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? "";
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(style));
    const hash = btoa(String.fromCharCode(...new Uint8Array(digest)));
    const csp = cspMap(res.headers.get("content-security-policy"));
    expect(csp.get("default-src")).toEqual(["'none'"]);
    expect(csp.get("style-src")).toEqual([`'sha256-${hash}'`]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'none'"]);
    expect(csp.get("form-action")).toEqual(["'none'"]);
    expect(csp.has("script-src")).toBe(false);
    expect(html).not.toMatch(/<script/i);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("escapes a hostile blocked URL and sample in the HTML", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    // The collector reduces a javascript: URL to its scheme; a row written another way must still be inert.
    await env.REPORTS_DB.prepare(
      "INSERT INTO csp_violations (day, directive, blocked, page, disposition, count, first_seen, last_seen, sample) VALUES (?1, 'script-src', ?2, ?3, 'enforce', 9, ?4, ?4, '')",
    )
      .bind("2026-04-10", "javascript:alert(1)<script>", `${SITE}/"><img src=x onerror=alert(2)>`, NOW)
      .run();
    await call(post(json({ "csp-report": { ...REPORT_URI["csp-report"], "script-sample": "</td><script>alert(3)</script>" } })));
    const html = await (await call(get(bearer))).text();
    expect(html).toContain("javascript:alert(1)&#60;script&#62;");
    expect(html).toContain("&#60;/td&#62;&#60;script&#62;alert(3)");
    expect(html).not.toMatch(/<script|<img/i);
  });

  it("answers HEAD with the headers and no body", async () => {
    const res = await call(get(bearer, SUMMARY, "HEAD"));
    expect(res.status).toBe(200);
    expect(res.body).toBeNull();
  });

  it("answers 405 to a POST", async () => {
    expect((await call(new Request(SUMMARY, { method: "POST", headers: bearer, body: "{}" }))).status).toBe(405);
  });

  it.each([["0"], ["91"], ["7.5"], ["x"]])("answers 400 to days=%s", async (days) => {
    expect((await call(get(bearer, `${SUMMARY}?days=${days}`))).status).toBe(400);
  });

  it("answers 503 when D1 fails", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    bindings = { ...bindings, REPORTS_DB: d1With(() => Promise.reject(new Error("D1_ERROR: gone"))) };
    expect((await call(get(bearer))).status).toBe(503);
    expect(lines(errors)).toEqual([expect.objectContaining({ event: "csp.summary.unavailable" })]);
  });
});
