// The checks before the origin fetch, inside workerd: the loop entry on every forwarded request, and the
// Worker's own answers (with the policy) to a request it sent, a host it does not serve, and route mode
// without a list of hosts.

import { afterEach, describe, expect, it, vi } from "vitest";
import { call, expectBaseline, ORIGIN_URL } from "./support.js";

interface Echo {
  readonly url: string;
  readonly headers: Record<string, string | undefined>;
  readonly bodyLength: number;
}

const ORIGIN_HOST = new URL(ORIGIN_URL).host;

afterEach(() => {
  vi.restoreAllMocks();
});

function logLines(spy: { mock: { calls: unknown[][] } }): Record<string, unknown>[] {
  return spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
}

/** Assert a refusal of the Worker's own: the status, the policy, no-store, and the short body. */
async function expectRefusal(res: Response, status: number, text: string): Promise<void> {
  expect(res.status).toBe(status);
  expectBaseline(res.headers, expect);
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(await res.text()).toBe(`${text}\n`);
}

describe("what the origin receives", () => {
  it("appends this Worker's CDN-Loop entry after the client's, and drops Expect", async () => {
    const res = await call("https://www.example.com/echo", {
      method: "POST",
      body: "x",
      headers: { "CDN-Loop": "cloudflare; loops=1", Expect: "100-continue" },
    });
    const echo = await res.json<Echo>();
    expect(echo.headers["cdn-loop"]).toMatch(/^cloudflare; loops=1, security-headers-worker; id=[0-9a-f]{32}$/);
    expect(echo.headers.expect).toBeUndefined();
    expect(echo.bodyLength).toBe(1);
  });

  it("uses one token per isolate", async () => {
    const first = (await (await call("https://www.example.com/echo")).json<Echo>()).headers["cdn-loop"];
    const second = (await (await call("https://www.example.com/echo")).json<Echo>()).headers["cdn-loop"];
    expect(first).toBeDefined();
    expect(second).toBe(first);
  });
});

describe("a request this Worker sent", () => {
  it("answers 508 with the policy and one log line when its own entry comes back, whatever came before it", async () => {
    const forwarded = (await (await call("https://www.example.com/echo")).json<Echo>()).headers["cdn-loop"] ?? "";
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await expectRefusal(
      await call("https://www.example.com/echo", { headers: { "CDN-Loop": `Fastly, ${forwarded}` } }),
      508,
      "Loop Detected",
    );
    expect(logLines(errors)).toEqual([
      expect.objectContaining({
        event: "origin.loop",
        own: true,
        hops: 1,
        path: "/echo",
        hint: expect.stringContaining("ORIGIN_URL leads back"),
      }),
    ]);
  });

  it("serves a request that another instance of the Worker forwarded", async () => {
    const res = await call("https://www.example.com/echo", { headers: { "CDN-Loop": `security-headers-worker; id=${"0".repeat(32)}` } });
    expect(res.status).toBe(200);
    const hops = (await res.json<Echo>()).headers["cdn-loop"]?.match(/security-headers-worker/g);
    expect(hops).toHaveLength(2);
  });
});

describe("hosts", () => {
  it("answers 421 with the policy to a host not in ALLOWED_HOSTS, before the report collector or the origin", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    for (const path of ["/echo", "/__csp-report"]) {
      const res = await call(
        `https://evil.example${path}`,
        { method: "POST", body: "{}" },
        { ALLOWED_HOSTS: "www.example.com", REPORTS_ENABLED: "true" },
      );
      await expectRefusal(res, 421, "Misdirected Request");
    }
    expect(logLines(errors).map((l) => [l.event, l.host, l.allowed])).toEqual([
      ["host.refused", "evil.example", "www.example.com"],
      ["host.refused", "evil.example", "www.example.com"],
    ]);
  });

  it("serves a listed host with ORIGIN_URL set", async () => {
    const res = await call("https://www.example.com/echo", {}, { ALLOWED_HOSTS: "www.example.com" });
    expect(res.status).toBe(200);
    expect((await res.json<Echo>()).headers.host).toBe(ORIGIN_HOST);
  });

  it("serves a listed host in route mode by fetching that host", async () => {
    // The origin's own address stands in for a route's host: the fetch goes to the request's host.
    const res = await call(`${ORIGIN_URL}/echo/route`, {}, { ORIGIN_URL: "", ALLOWED_HOSTS: ORIGIN_HOST });
    expect(res.status).toBe(200);
    const echo = await res.json<Echo>();
    expect(echo.url).toBe("/echo/route");
    expect(echo.headers["x-forwarded-host"]).toBe(ORIGIN_HOST);
  });

  it("answers 502 with the policy and says to set ORIGIN_URL in route mode without ALLOWED_HOSTS", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    // The origin's address as the host: without the guard, route mode would fetch it.
    await expectRefusal(await call(`${ORIGIN_URL.replace("http:", "https:")}/echo`, {}, { ORIGIN_URL: "" }), 502, "Bad Gateway");
    expect(logLines(errors)).toEqual([expect.objectContaining({ event: "origin.unset", hint: expect.stringContaining("Set ORIGIN_URL") })]);
  });
});
