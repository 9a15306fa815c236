// Fuzzing the proxy inside workerd: random paths through the real Worker reach the test origin's /echo with the origin's host and exactly the client's parsed path and query.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parsedPathAndQuery, requestTail } from "../fuzz-arbitraries.js";
import { workerFuzzParameters } from "./fuzz-support.js";
import { call, ORIGIN_URL } from "./support.js";

interface Echo {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
}

const ORIGIN_HOST = new URL(ORIGIN_URL).host;

/** Client URLs under /echo (so the origin answers with what it received); the long run is capped below Node's 16 KiB header limit. */
const clientUrl = fc
  .tuple(
    fc.constantFrom("https://www.example.com", "http://www.example.com:8080", "https://WWW.EXAMPLE.COM.", "https://[::1]:8443"),
    fc.constantFrom("/echo/", "/echo"),
    requestTail(4096),
  )
  .map(([origin, echo, tail]) => `${origin}${echo}${tail.replace(/^[/\\]/, "")}`);

describe("the proxy under random paths", () => {
  it("sees the seed and run count from the config", () => {
    expect(workerFuzzParameters(5).numRuns).toBeGreaterThanOrEqual(5);
  });

  it("sends every request to the configured origin with exactly the parsed path and query", async () => {
    await fc.assert(
      fc.asyncProperty(clientUrl, fc.constantFrom("GET", "POST", "DELETE"), async (raw, method) => {
        // What the Worker receives is the Request's URL: workerd's Request encodes a lone surrogate as its
        // WTF-8 bytes (%ED%A0%80) where the URL parser writes U+FFFD, so that URL is the reference, not `raw`.
        const url = new URL(new Request(raw).url);
        // Only paths under /echo reach the echo route; others would be the origin's 404, which says nothing.
        fc.pre(url.pathname === "/echo" || url.pathname.startsWith("/echo/"));
        const res = await call(raw, { method, headers: { Host: "evil.example" } });
        expect(res.status).toBe(200);
        const echo = await res.json<Echo>();
        expect(echo.headers.host).toBe(ORIGIN_HOST);
        expect(echo.method).toBe(method);
        expect(echo.url).toBe(parsedPathAndQuery(url));
      }),
      workerFuzzParameters(60, 3000),
    );
  });
});
