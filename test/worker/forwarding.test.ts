// Forwarding: where requests go, what reaches the origin, and how 3xx come back.

import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, ORIGIN_URL } from "./support.js";

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  bodyLength: number;
  bodySha256: string;
}

async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("forwarding", () => {
  it("keeps the path and query exactly", async () => {
    const res = await call("https://www.example.com/echo/..%2f//x?a=1&b=%20c&a=2");
    const echo = await res.json<Echo>();
    expect(echo.url).toBe("/echo/..%2f//x?a=1&b=%20c&a=2");
  });

  it("sends the request to the configured origin whatever Host and path say", async () => {
    const res = await call("https://www.example.com/echo//evil.example/x", { headers: { Host: "evil.example" } });
    const echo = await res.json<Echo>();
    expect(echo.headers.host).toBe(new URL(ORIGIN_URL).host);
    expect(echo.url).toBe("/echo//evil.example/x");
  });

  it("tells the origin the public host in X-Forwarded-Host, overriding a client's value", async () => {
    const res = await call("https://www.example.com/echo", { headers: { "X-Forwarded-Host": "spoofed.example" } });
    expect((await res.json<Echo>()).headers["x-forwarded-host"]).toBe("www.example.com");
  });

  it("forwards the method, headers and a streamed body", async () => {
    const body = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
    const res = await call("https://www.example.com/echo", {
      method: "PUT",
      headers: { "X-Client": "yes", "Content-Type": "application/octet-stream" },
      body,
    });
    const echo = await res.json<Echo>();
    expect(echo.method).toBe("PUT");
    expect(echo.headers["x-client"]).toBe("yes");
    expect(echo.bodyLength).toBe(body.length);
    expect(echo.bodySha256).toBe(await sha256Hex(body));
  });

  it("returns the origin's redirect instead of following it", async () => {
    const res = await exports.default.fetch("https://www.example.com/redirect", { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/elsewhere");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("returns the redirect even for a request built in follow mode", async () => {
    const res = await call("https://www.example.com/redirect", { redirect: "follow" });
    expect(res.status).toBe(302);
  });
});
