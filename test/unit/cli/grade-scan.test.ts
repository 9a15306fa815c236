// The adapter held to the real thing: the MDN HTTP Observatory's own `scan()` run against a local origin
// (127.0.0.1, plain http: scan tries https on the same port, fails, and grades the http answer), and the
// grade `check` computes from its own fetch of the same origin. Same grade, score and test results.

import { createServer, type OutgoingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gradeRetrieval } from "../../../bin/support/grade/grade.js";
import { followRoute, retrievalOf } from "../../../bin/support/grade/retrieval.js";
import { getRaw } from "../../../bin/support/http-get.js";

const DEFAULTS: OutgoingHttpHeaders = {
  "content-security-policy": "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
  "permissions-policy": "geolocation=(), camera=(), microphone=()",
};

const CASES: readonly { readonly name: string; readonly headers: OutgoingHttpHeaders; readonly body?: string }[] = [
  { name: "a bare origin", headers: {} },
  { name: "today's defaults", headers: DEFAULTS },
  {
    name: "a weak CSP and referrer policy",
    headers: { ...DEFAULTS, "content-security-policy": "default-src * 'unsafe-inline' 'unsafe-eval'", "referrer-policy": "unsafe-url" },
  },
  {
    name: "CORP and a CSP with default-src 'none'",
    headers: {
      ...DEFAULTS,
      "content-security-policy": "default-src 'none'; frame-ancestors 'self'",
      "cross-origin-resource-policy": "same-origin",
    },
  },
  { name: "cookies", headers: { ...DEFAULTS, "set-cookie": ["sessionid=1; Path=/", "csrftoken=2; Path=/; SameSite=Lax"] } },
  {
    name: "an invalid X-Frame-Options and X-Content-Type-Options",
    headers: { ...DEFAULTS, "x-frame-options": "ALLOWALL", "x-content-type-options": "sniff" },
  },
  {
    name: "meta tags and an external script",
    headers: { "x-content-type-options": "nosniff" },
    body: `<html><head><meta http-equiv="Content-Security-Policy" content="script-src 'self' https://cdn.example.net"><meta name="referrer" content="origin"><script src="https://cdn.example.net/a.js"></script></head></html>`,
  },
];

let server: Server | undefined;
let current: (typeof CASES)[number] = { name: "", headers: {} };
let host = "";

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", ...current.headers });
    res.end(current.body ?? "<html><head><title>t</title></head><body>hello</body></html>");
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

describe("the adapter agrees with the Observatory's own scan", () => {
  it.each(CASES)("on $name", async (example) => {
    current = example;
    const url = new URL(`http://${host}/`);
    const get = (u: URL) => getRaw(u, 10_000, "grade-test");
    const page = await get(url);
    // Ours first: the adapter primes the analyzer's (absent) HSTS preload list, which scan() then shares.
    const ours = await gradeRetrieval(retrievalOf(url, page, await followRoute(url, get, page)));
    const { scan } = await import("@mdn/mdn-http-observatory");
    const theirs = await scan(host);
    expect({ grade: ours.grade, score: ours.score }).toEqual({ grade: theirs.scan.grade, score: theirs.scan.score });
    const theirResults = Object.fromEntries(
      Object.entries(theirs.tests).map(([name, test]) => [name, `${test.result} ${test.scoreModifier}`]),
    );
    const ourResults = Object.fromEntries(
      (ours.observatory?.tests ?? []).map((test) => [test.name, `${test.result} ${test.scoreModifier}`]),
    );
    expect(ourResults).toEqual(theirResults);
  });
});
