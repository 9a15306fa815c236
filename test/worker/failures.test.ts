// When things fail: the origin is down or slow, the configuration is wrong, or the Worker itself
// faults. Every one of these still answers, with the policy on.

import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env.js";
import { createHandler, DEFAULT_DEPS } from "../../src/handler.js";
import { call, expectBaseline, ORIGIN_URL, unique } from "./support.js";

afterEach(() => {
  vi.restoreAllMocks();
});

function logLines(spy: { mock: { calls: unknown[][] } }): Record<string, unknown>[] {
  return spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
}

describe("gateway errors", () => {
  it("answers 504 with the policy when the origin's headers do not arrive in time", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await call("https://www.example.com/stall", {}, { ORIGIN_TIMEOUT_MS: "200" });
    expect(res.status).toBe(504);
    expectBaseline(res.headers, expect);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const body = await res.text();
    expect(body).toBe("Gateway Timeout\n");
    expect(logLines(errors)).toEqual([expect.objectContaining({ event: "origin.timeout", path: "/stall", timeoutMs: 200 })]);
  });

  it("does not cut a slow body once the headers arrived within the timeout", async () => {
    const res = await call("https://www.example.com/slow?ms=400", {}, { ORIGIN_TIMEOUT_MS: "200" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("first\nsecond\n");
  });

  it("answers 502 with the policy when the origin refuses the connection", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await call("https://www.example.com/html", {}, { ORIGIN_URL: "http://127.0.0.1:1" });
    expect(res.status).toBe(502);
    expectBaseline(res.headers, expect);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await res.text();
    expect(body).toBe("Bad Gateway\n");
    expect(body).not.toContain("127.0.0.1");
    expect(logLines(errors)).toEqual([expect.objectContaining({ event: "origin.unreachable", method: "GET", path: "/html" })]);
  });

  it("answers HEAD errors without a body", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await call("https://www.example.com/html", { method: "HEAD" }, { ORIGIN_URL: "http://127.0.0.1:1" });
    expect(res.status).toBe(502);
    expect(res.body).toBeNull();
  });

  it("answers 502 rather than guess when ORIGIN_URL is invalid, and says why once", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const bad = `https://${unique("origin")}.example.com/app`;
    for (let i = 0; i < 3; i++) {
      const res = await call("https://www.example.com/html", {}, { ORIGIN_URL: bad });
      expect(res.status).toBe(502);
      expectBaseline(res.headers, expect);
    }
    const lines = logLines(errors);
    expect(lines.filter((l) => l.event === "config.invalid")).toHaveLength(1);
    expect(lines.filter((l) => l.event === "origin.misconfigured")).toHaveLength(3);
  });

  it("keeps serving after an error", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    await call("https://www.example.com/html", {}, { ORIGIN_URL: "http://127.0.0.1:1" });
    const res = await call("https://www.example.com/html");
    expect(res.status).toBe(200);
  });
});

describe("faults inside the Worker", () => {
  const bindings = { ...env, ORIGIN_URL } as Env;

  it("puts the built-in defaults on the origin's response when planning throws", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const worker = createHandler({
      ...DEFAULT_DEPS,
      planHeaders: (policy, facts) => {
        if (policy.options.reportOnly || facts.https) throw new Error("planner broke");
        return DEFAULT_DEPS.planHeaders(policy, facts);
      },
    });
    const res = await worker.fetch(
      new Request("https://www.example.com/html"),
      { ...bindings, POLICY: '{"headers":{"X-Frame-Options":"SAMEORIGIN"}}' },
      createExecutionContext(),
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Hello from the origin");
    expectBaseline(res.headers, expect);
    expect(logLines(errors)).toEqual([expect.objectContaining({ event: "worker.fault", stage: "headers", error: "Error: planner broke" })]);
  });

  const BLANKET = { ...bindings, POLICY: '{"nonce":{"mode":"blanket"}}' } as Env;

  it("sends the body untouched under the plan's nonce-free CSP when the body rewrite cannot start", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const worker = createHandler({
      ...DEFAULT_DEPS,
      rewriteBody: () => {
        throw new Error("rewrite broke");
      },
    });
    const res = await worker.fetch(new Request("https://www.example.com/html"), BLANKET, createExecutionContext());
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<script>document.title = "ran";</script>');
    expectBaseline(res.headers, expect);
    expect(res.headers.get("content-security-policy")).not.toContain("'nonce-");
    expect(logLines(errors)).toEqual([expect.objectContaining({ event: "worker.fault", stage: "nonce", error: "Error: rewrite broke" })]);
  });

  it("answers 502 with the policy, never a bare error, when the body rewrite fails after it started", async () => {
    // Fails on the handler before issue 12, whose `stamped.then(finish)` had no rejection handler.
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const worker = createHandler({ ...DEFAULT_DEPS, rewriteBody: () => Promise.reject(new Error("body broke")) });
    const res = await worker.fetch(new Request("https://www.example.com/html"), BLANKET, createExecutionContext());
    expect(res.status).toBe(502);
    expect(await res.text()).toBe("Bad Gateway\n");
    expectBaseline(res.headers, expect);
    expect(res.headers.get("content-security-policy")).not.toContain("'nonce-");
    expect(logLines(errors)).toEqual([expect.objectContaining({ event: "worker.fault", stage: "nonce", error: "Error: body broke" })]);
  });

  it("answers 502 with the defaults when the configuration cannot load", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const worker = createHandler({
      ...DEFAULT_DEPS,
      loadConfig: () => {
        throw new Error("config broke");
      },
    });
    const res = await worker.fetch(new Request("https://www.example.com/html"), bindings, createExecutionContext());
    expect(res.status).toBe(502);
    expectBaseline(res.headers, expect);
  });

  it("answers 500 with the defaults when forwarding throws", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const worker = createHandler({
      ...DEFAULT_DEPS,
      fetchOrigin: () => Promise.reject(new Error("proxy broke")),
    });
    const res = await worker.fetch(new Request("https://www.example.com/html"), bindings, createExecutionContext());
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("Internal Error\n");
    expectBaseline(res.headers, expect);
  });
});
