// The policy on every outcome: defaults, actions against real origin headers, bindings, https gating.

import { afterEach, describe, expect, it, vi } from "vitest";
import { call, cspMap, expectBaseline, respond, unique } from "./support.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("every origin outcome carries the policy", () => {
  it.each([
    ["/html", 200],
    ["/json", 200],
    ["/status?code=201", 201],
    ["/redirect", 302],
    ["/no-such-page", 404],
    ["/status?code=500", 500],
    ["/status?code=503", 503],
  ])("%s answers %i with the baseline headers", async (path, status) => {
    const res = await call(`https://www.example.com${path}`);
    expect(res.status).toBe(status);
    expectBaseline(res.headers, expect);
    await res.body?.cancel();
  });

  it("keeps 204 bodiless with the policy", async () => {
    const res = await call("https://www.example.com/status?code=204");
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    expectBaseline(res.headers, expect);
  });

  it("keeps a 304's validators with the policy", async () => {
    const res = await call("https://www.example.com/etag", { headers: { "If-None-Match": '"v1"' } });
    expect(res.status).toBe(304);
    expect(res.headers.get("etag")).toBe('"v1"');
    expect(res.headers.get("cache-control")).toBe("max-age=60");
    expectBaseline(res.headers, expect);
  });

  it("answers HEAD with the origin's length and no body", async () => {
    const res = await call("https://www.example.com/head", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe("1234");
    expect(res.body).toBeNull();
    expectBaseline(res.headers, expect);
  });

  it("passes a 206 range through", async () => {
    const res = await call("https://www.example.com/range", { headers: { Range: "bytes=2-5" } });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe("bytes 2-5/20");
    expect(await res.text()).toBe("2345");
    expectBaseline(res.headers, expect);
  });

  it("keeps both Set-Cookie lines, the one with a comma in Expires intact (the defaults' attributes appended)", async () => {
    const res = await call("https://www.example.com/cookies");
    expect(res.headers.getSetCookie()).toEqual([
      "a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Path=/; HttpOnly; Secure",
      "b=2; Path=/; Secure; SameSite=Lax",
    ]);
  });
});

describe("the default action against a real origin", () => {
  it("keeps the origin's valid X-Frame-Options so a page can relax framing", async () => {
    const res = await call(respond([["X-Frame-Options", "SAMEORIGIN"]]));
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
  });

  it("treats an invalid origin value as absent", async () => {
    const res = await call(respond([["X-Frame-Options", "ALLOWALL"]]));
    expect(res.headers.get("x-frame-options")).toBe("DENY");
  });

  it("turns two conflicting origin lines into one", async () => {
    const res = await call(
      respond([
        ["X-Frame-Options", "DENY"],
        ["X-Frame-Options", "SAMEORIGIN"],
      ]),
    );
    expect([...res.headers].filter(([k]) => k.toLowerCase() === "x-frame-options")).toEqual([["x-frame-options", "DENY"]]);
  });

  it("removes the leak headers", async () => {
    const res = await call(
      respond([
        ["X-Powered-By", "Express"],
        ["X-AspNet-Version", "4.0.30319"],
        ["X-AspNetMvc-Version", "5.2"],
      ]),
    );
    expect(res.headers.has("x-powered-by")).toBe(false);
    expect(res.headers.has("x-aspnet-version")).toBe(false);
    expect(res.headers.has("x-aspnetmvc-version")).toBe(false);
  });

  it("strips the versions from Server, Via and X-Generator, keeping the product names", async () => {
    const res = await call(
      respond([
        ["Server", "nginx/1.24.0 (Ubuntu)"],
        ["Via", "1.1 varnish (Varnish/6.0)"],
        ["X-Generator", "Drupal 10 (https://www.drupal.org)"],
        ["X-Mod-Pagespeed", "1.13.35.2-0"],
      ]),
    );
    expect(res.headers.get("server")).toBe("nginx");
    expect(res.headers.get("via")).toBe("1.1 varnish");
    expect(res.headers.get("x-generator")).toBe("Drupal");
    expect(res.headers.has("x-mod-pagespeed")).toBe(false);
  });

  it("leaves a Server with no version as the origin sent it", async () => {
    const res = await call(respond([["Server", "cloudflare"]]));
    expect(res.headers.get("server")).toBe("cloudflare");
  });
});

describe("POLICY", () => {
  it("applies a valid document over the defaults", async () => {
    const policy = JSON.stringify({
      headers: { "X-Frame-Options": { action: "set" }, "Cross-Origin-Opener-Policy": "same-origin" },
      csp: { add: { "img-src": ["data:"] } },
    });
    const res = await call(respond([["X-Frame-Options", "SAMEORIGIN"]]), {}, { POLICY: policy });
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(cspMap(res.headers.get("content-security-policy")).get("img-src")).toEqual(["'self'", "data:"]);
  });

  it("accepts the document as an object (a TOML table in wrangler.toml)", async () => {
    const res = await call("https://www.example.com/html", {}, { POLICY: { hsts: { maxAge: 300, includeSubDomains: false } } });
    expect(res.headers.get("strict-transport-security")).toBe("max-age=300");
  });

  it("never applies an invalid document: the defaults serve and the issues are logged once", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const policy = JSON.stringify({ headers: { "X-Frame-Options": "ALLOWALL", [unique("X-Marker")]: "a\u0007" }, hsts: { maxAge: 1 } });
    for (let i = 0; i < 5; i++) {
      const res = await call("https://www.example.com/html", {}, { POLICY: policy });
      expect(res.status).toBe(200);
      expectBaseline(res.headers, expect);
      await res.body?.cancel();
    }
    const lines = errors.mock.calls.map(([line]) => JSON.parse(String(line)) as { event: string; issues: { path: string }[] });
    const invalid = lines.filter((l) => l.event === "config.invalid");
    expect(invalid).toHaveLength(1);
    expect(invalid[0]?.issues.map((i) => i.path)).toContain('POLICY.headers["X-Frame-Options"]');
  });

  it("rejects a layer that only fails in context, keeping the defaults", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await call(
      "https://www.example.com/html",
      {},
      { POLICY: JSON.stringify({ hsts: { maxAge: 300, preload: true }, headers: { [unique("X-Ctx")]: "1" } }) },
    );
    expect(res.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
    const line = JSON.parse(String(errors.mock.calls[0]?.[0])) as { source: string; issues: { path: string }[] };
    expect(line.source).toBe("env");
    expect(line.issues.map((i) => i.path)).toEqual(["POLICY.hsts.preload"]);
  });
});

describe("CSP_REPORT_ONLY", () => {
  it("sends the CSP as Report-Only and nothing enforced", async () => {
    const res = await call("https://www.example.com/html", {}, { CSP_REPORT_ONLY: "true" });
    expect(res.headers.has("content-security-policy")).toBe(false);
    expect(cspMap(res.headers.get("content-security-policy-report-only")).get("default-src")).toEqual(["'self'"]);
  });

  it("wins over a POLICY that sets the CSP", async () => {
    const res = await call(
      "https://www.example.com/html",
      {},
      { CSP_REPORT_ONLY: "true", POLICY: JSON.stringify({ csp: { action: "set" } }) },
    );
    expect(res.headers.has("content-security-policy")).toBe(false);
    expect(res.headers.has("content-security-policy-report-only")).toBe(true);
  });
});

describe("HSTS and the request scheme", () => {
  it("sends HSTS on https", async () => {
    const res = await call("https://www.example.com/html");
    expect(res.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
  });

  it("sends none on http, even when the client claims https", async () => {
    const res = await call("http://www.example.com/html", {
      headers: { "X-Forwarded-Proto": "https", "CF-Visitor": '{"scheme":"https"}' },
    });
    expect(res.headers.has("strict-transport-security")).toBe(false);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("removes the origin's HSTS on http", async () => {
    const res = await call(respond([["Strict-Transport-Security", "max-age=600"]], 200, "http://www.example.com"));
    expect(res.headers.has("strict-transport-security")).toBe(false);
  });

  it("sends exactly one HSTS value on https when the origin sent its own twice", async () => {
    const res = await call(
      respond([
        ["Strict-Transport-Security", "max-age=600"],
        ["Strict-Transport-Security", "max-age=0"],
      ]),
    );
    expect(res.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
  });
});
