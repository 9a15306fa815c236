// The collector inside the Worker: served at REPORT_PATH when enabled (never forwarded), and every CSP
// points at it; when disabled the path is the origin's like any other.

import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, cspMap } from "./support.js";

const REPORT = JSON.stringify({
  "csp-report": {
    "document-uri": "https://www.example.com/page",
    "blocked-uri": "inline",
    "effective-directive": "script-src-elem",
    "violated-directive": "script-src-elem",
    "original-policy": "default-src 'self'",
    disposition: "report",
    "status-code": 200,
  },
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Capture the Worker's info lines (console.log), each parsed from its JSON. */
function captureInfo(): () => Record<string, unknown>[] {
  const spy = vi.spyOn(console, "log").mockImplementation(() => undefined);
  return () => spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
}

let clients = 0;

/** POST the report from a client of its own: the collector counts a repeated report from one client once. */
function post(path: string, overrides: Record<string, unknown>) {
  clients++;
  const headers = { "Content-Type": "application/csp-report", "CF-Connecting-IP": `192.0.2.${clients}` };
  return call(`https://www.example.com${path}`, { method: "POST", body: REPORT, headers }, overrides);
}

describe("the collector's route", () => {
  it("answers reports itself when enabled, without asking the origin", async () => {
    const info = captureInfo();
    const res = await post("/__csp-report", { REPORTS_ENABLED: "true", REPORTS_DB: env.REPORTS_DB });
    expect(res.status).toBe(204);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(info()).toEqual([expect.objectContaining({ event: "csp.report", format: "report-uri", accepted: 1 })]);
  });

  it("follows REPORT_PATH", async () => {
    const info = captureInfo();
    expect((await post("/csp", { REPORTS_ENABLED: "true", REPORT_PATH: "/csp" })).status).toBe(204);
    // The default path is then an ordinary path, answered by the origin.
    expect((await post("/__csp-report", { REPORTS_ENABLED: "true", REPORT_PATH: "/csp" })).status).toBe(404);
    expect(info()).toEqual([expect.objectContaining({ event: "csp.report", accepted: 1 })]);
  });

  it("leaves the path to the origin when disabled", async () => {
    const res = await post("/__csp-report", { REPORTS_ENABLED: "false" });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("not found\n");
  });

  it("serves the summary only with the token", async () => {
    const token = "t".repeat(40);
    const overrides = { REPORTS_ENABLED: "true", REPORTS_TOKEN: token };
    const info = captureInfo();
    expect((await call("https://www.example.com/__csp-report/summary", {}, overrides)).status).toBe(401);
    expect(info()).toEqual([{ level: "info", event: "csp.summary.denied", scheme: "none" }]);
    const ok = await call(
      "https://www.example.com/__csp-report/summary?format=json",
      { headers: { Authorization: `Bearer ${token}` } },
      overrides,
    );
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("points every page's CSP at the collector when enabled", async () => {
    const res = await call("https://www.example.com/html", {}, { REPORTS_ENABLED: "true" });
    const csp = cspMap(res.headers.get("content-security-policy"));
    expect(csp.get("report-uri")).toEqual(["/__csp-report"]);
    expect(csp.get("report-to")).toEqual(["csp-endpoint"]);
    expect(res.headers.get("reporting-endpoints")).toBe('csp-endpoint="/__csp-report"');
    await res.body?.cancel();
  });

  it("adds no report directives when disabled", async () => {
    const res = await call("https://www.example.com/html");
    expect(cspMap(res.headers.get("content-security-policy")).has("report-uri")).toBe(false);
    expect(res.headers.has("reporting-endpoints")).toBe(false);
    await res.body?.cancel();
  });
});
