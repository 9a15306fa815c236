// CEILINGS in the Worker: a KV document above staging's ceilings is capped on every response (HSTS
// lowered, CSP Report-Only), and each cap is logged once per KV version, not per request.

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env.js";
import { createHandler, DEFAULT_DEPS } from "../../src/handler.js";
import { STRICTEST_CEILINGS_SERVE } from "../../src/core/policy/ceilings.js";
import { createConfigLoader } from "../../src/policy/policy-store.js";
import { ORIGIN_URL, unique } from "./support.js";

/** staging's bindings in wrangler.toml, with CSP_REPORT_ONLY mistyped so only the ceiling keeps CSP Report-Only. */
const STAGING = {
  CSP_REPORT_ONLY: "ture",
  POLICY: { hsts: { maxAge: 300, includeSubDomains: false, preload: false } },
  CEILINGS: { hsts: { maxAge: 300, includeSubDomains: false, preload: false }, cspReportOnly: true },
};
/** A year of HSTS with preload; `tag` makes each test's text (and so its version) its own. */
const yearWithPreload = (tag: string) => ({
  headers: { "X-Test-Version": tag },
  hsts: { action: "set", maxAge: 31536000, includeSubDomains: true, preload: true },
  rules: [{ path: "/admin/*", hsts: { maxAge: 63072000 } }],
});

let now = 0;
let key: string;
let worker: ReturnType<typeof createHandler>;
let bindings: Env;

beforeEach(() => {
  now = 1_700_000_000_000;
  key = unique("ceilings");
  worker = createHandler({ ...DEFAULT_DEPS, loadConfig: createConfigLoader({ clock: () => now, kvTimeoutMs: 300 }) });
  bindings = { ...env, ...STAGING, ORIGIN_URL, POLICY_KV_KEY: key };
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function get(path: string): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`https://www.example.com${path}`), bindings, ctx);
  await res.body?.cancel();
  await waitOnExecutionContext(ctx);
  return res;
}

/** The config.capped lines of KV versions (the bindings' own caps, without a version, are logged apart). */
function cappedVersions(spy: { mock: { calls: unknown[][] } }): Record<string, unknown>[] {
  return spy.mock.calls
    .map(([line]) => JSON.parse(String(line)) as Record<string, unknown>)
    .filter((e) => e.event === "config.capped" && e.version !== undefined);
}

describe("staging's ceilings through KV", () => {
  it("caps a year of HSTS with preload, on the base and on a rule, and keeps CSP Report-Only", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await env.POLICY_KV.put(key, JSON.stringify(yearWithPreload(unique("base"))));
    for (const path of ["/html", "/admin/x"]) {
      const res = await get(path);
      expect(res.headers.get("strict-transport-security")).toBe("max-age=300");
      expect(res.headers.has("content-security-policy")).toBe(false);
      expect(res.headers.has("content-security-policy-report-only")).toBe(true);
    }
    const capped = cappedVersions(errors);
    expect(capped).toHaveLength(1);
    expect(capped[0]?.caps).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: "hsts.maxAge", value: 31536000, ceiling: 300, from: "KV" }),
        expect.objectContaining({ field: "hsts.preload", value: true, ceiling: false, from: "KV" }),
        expect.objectContaining({ field: "hsts.maxAge", value: 63072000, ceiling: 300, from: "KV.rules[0] /admin/*" }),
        expect.objectContaining({ field: "csp", value: "enforced", ceiling: "Report-Only" }),
      ]),
    );
  });

  it("logs the caps once per KV version, not once per request", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await env.POLICY_KV.put(key, JSON.stringify(yearWithPreload(unique("once"))));
    for (let i = 0; i < 20; i++) await get("/html");
    expect(cappedVersions(errors)).toHaveLength(1);
    await env.POLICY_KV.put(key, JSON.stringify({ headers: { "X-Test-Version": unique("day") }, hsts: { action: "set", maxAge: 86400 } }));
    now += 30_000;
    await get("/html"); // the stale version serves while the refresh runs
    for (let i = 0; i < 20; i++) expect((await get("/html")).headers.get("strict-transport-security")).toBe("max-age=300");
    const capped = cappedVersions(errors);
    expect(capped).toHaveLength(2);
    expect(capped[1]?.caps).toContainEqual(expect.objectContaining({ field: "hsts.maxAge", value: 86400, ceiling: 300, from: "KV" }));
  });
});

/** A handler whose origin answers 200 with this HSTS (and a loader that may be replaced). */
function withOrigin(hsts: string, loadConfig = DEFAULT_DEPS.loadConfig) {
  const response = () => new Response("ok", { headers: { "Content-Type": "text/plain", "Strict-Transport-Security": hsts } });
  return createHandler({
    ...DEFAULT_DEPS,
    loadConfig,
    fetchOrigin: () => Promise.resolve({ kind: "response", response: response() }),
  });
}

async function fetchWith(handler: ReturnType<typeof createHandler>, vars: Partial<Env> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await handler.fetch(new Request("https://www.example.com/page"), { ...bindings, ...vars }, ctx);
  await res.body?.cancel();
  await waitOnExecutionContext(ctx);
  return res;
}

describe("the origin's own HSTS under staging's ceilings", () => {
  it("is capped when the policy's action is default, and when the policy sends none", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const loader = () => createConfigLoader({ clock: () => now, kvTimeoutMs: 300 });
    const twoYears = "max-age=63072000; includeSubDomains; preload";
    expect((await fetchWith(withOrigin(twoYears, loader()))).headers.get("strict-transport-security")).toBe("max-age=300");
    await env.POLICY_KV.put(key, JSON.stringify({ hsts: false }));
    expect((await fetchWith(withOrigin(twoYears, loader()))).headers.get("strict-transport-security")).toBe("max-age=300");
  });
});

describe("the fault fallback under CEILINGS", () => {
  const broken = () => {
    throw new Error("the loader broke");
  };

  it("caps the defaults' HSTS and keeps CSP Report-Only when the loader throws", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await fetchWith(withOrigin("max-age=63072000; preload", broken));
    // No configuration: the Worker refuses to guess an origin, and its own answer carries the fallback.
    expect(res.headers.get("strict-transport-security")).toBe("max-age=300");
    expect(res.headers.has("content-security-policy")).toBe(false);
    expect(res.headers.has("content-security-policy-report-only")).toBe(true);
    expect(errors.mock.calls.some(([line]) => String(line).includes("the loader broke"))).toBe(true);
  });

  it("sends no HSTS at all when CEILINGS is set but does not parse", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    for (const CEILINGS of ['{"hsts":{"maxAge":"300"}}', "{not json"]) {
      const res = await fetchWith(withOrigin("max-age=63072000", broken), { CEILINGS });
      expect(res.headers.has("strict-transport-security")).toBe(false);
      expect(res.headers.has("content-security-policy")).toBe(false);
    }
  });

  it("caps the fallback that serves when planning the loaded policy fails", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    let calls = 0;
    const handler = createHandler({
      ...DEFAULT_DEPS,
      loadConfig: createConfigLoader({ clock: () => now, kvTimeoutMs: 300 }),
      fetchOrigin: () => Promise.resolve({ kind: "response", response: new Response("ok", { headers: { "Content-Type": "text/plain" } }) }),
      // The loaded policy's plan throws; secure() then plans the fallback itself.
      planHeaders: () => {
        calls += 1;
        throw new Error("planning broke");
      },
    });
    const res = await fetchWith(handler, { CSP_REPORT_ONLY: "false" });
    expect(calls).toBe(1);
    expect(res.headers.get("strict-transport-security")).toBe("max-age=300");
    expect(res.headers.has("content-security-policy")).toBe(false);
  });
});

describe("a CEILINGS with a mistake", () => {
  // The red team's round 3: `MaxAge` (and every other bad field) lifted the ceiling it misspelt.
  it("serves the strictest ceilings (no HSTS, CSP Report-Only) whatever KV asks for, and says so once", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    bindings = { ...bindings, CEILINGS: { hsts: { MaxAge: 300, includeSubDomains: false, preload: false }, cspReportOnly: true } };
    await env.POLICY_KV.put(key, JSON.stringify({ ...yearWithPreload(unique("typo")), csp: { action: "set" } }));
    for (let i = 0; i < 2; i++) {
      const res = await get("/html");
      expect(res.headers.get("strict-transport-security")).toBeNull();
      expect(res.headers.get("content-security-policy")).toBeNull();
      expect(res.headers.get("content-security-policy-report-only")).not.toBeNull();
    }
    const invalid = errors.mock.calls
      .map(([line]) => JSON.parse(String(line)) as Record<string, unknown>)
      .filter((e) => e.event === "config.invalid" && e.source === "env");
    expect(invalid).toHaveLength(1);
    expect(invalid[0]?.serving).toBe(STRICTEST_CEILINGS_SERVE);
    expect(JSON.stringify(invalid[0]?.issues)).toContain("CEILINGS.hsts.MaxAge");
  });
});
