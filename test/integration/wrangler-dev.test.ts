// The two reported defects through `wrangler dev` itself: with the shipped wrangler.toml (no ORIGIN_URL)
// one request used to start thousands of nested self-requests, and behind `npm start`'s setup a curl
// upload over 1 MiB answered 502. wrangler's own proxy layer sits in front here, as it does for users.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Of, uploadExpectingContinue } from "../support/expect-upload.js";
import { patternChunk, startOrigin, type Origin } from "../support/origin.js";
import { readResponse, type ReadResponse } from "../support/raw-client.js";
import { expectDefaultPolicy } from "./support/policy-headers.js";
import { header, within } from "./support/raw-http.js";
import { startWranglerDev, type WranglerDev } from "./support/wrangler-dev.js";

const MiB = 1 << 20;
/** Every request must reach its outcome within this; a runaway loop is stopped here (and killed in afterAll). */
const OUTCOME_BOUND_MS = 10_000;
/** After an answer, this long without new sockets counts as idle. */
const QUIET_MS = 1000;

let origin: Origin | undefined;
let shipped: WranglerDev | undefined;
let withOrigin: WranglerDev | undefined;

function running(): { origin: Origin; shipped: WranglerDev; withOrigin: WranglerDev } {
  if (origin === undefined || shipped === undefined || withOrigin === undefined)
    throw new Error("the origin or wrangler dev did not start (see beforeAll)");
  return { origin, shipped, withOrigin };
}

beforeAll(async () => {
  origin = await startOrigin();
  // Both at once: each boot bundles the Worker and starts two workerds.
  [shipped, withOrigin] = await Promise.all([startWranglerDev(), startWranglerDev({ ORIGIN_URL: origin.url })]);
}, 200_000);

afterAll(async () => {
  await Promise.all([shipped?.stop(), withOrigin?.stop()]);
  await origin?.close();
});

function get(dev: WranglerDev, path: string, host?: string): Promise<ReadResponse> {
  const headers = host === undefined ? {} : { Host: host };
  return within(
    readResponse(new URL(path, dev.url), { headers }),
    OUTCOME_BOUND_MS,
    `GET ${path}${host === undefined ? "" : ` with Host ${host}`}`,
  );
}

/** A quiet while after an answer, no more sockets held by wrangler's workerds than before the request. */
async function expectIdle(dev: WranglerDev, before: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
  // wrangler's proxy keeps a pooled connection or two to the Worker; a loop would hold thousands.
  expect(dev.sockets() - before, "sockets held after the answer").toBeLessThanOrEqual(6);
}

describe("wrangler dev with the shipped wrangler.toml (no ORIGIN_URL)", () => {
  it("answers 502 with the policy at once, and logs that ORIGIN_URL is needed", async () => {
    const { shipped } = running();
    const before = shipped.sockets();
    const res = await get(shipped, "/");
    expect(res.status).toBe(502);
    expectDefaultPolicy(res.headers);
    expect(header(res.headers, "cache-control")).toBe("no-store");
    await expectIdle(shipped, before);
    const unset = shipped.events().filter((e) => e.event === "origin.unset");
    expect(unset).toHaveLength(1);
    expect(String(unset[0]?.hint)).toContain("Set ORIGIN_URL");
  });

  it("fetches nothing for a Host a client names, its own address included", async () => {
    const { shipped, origin } = running();
    const before = shipped.sockets();
    for (const host of [shipped.url.host, new URL(origin.url).host, "127.0.0.1:1"]) {
      const res = await get(shipped, "/echo/named-host", host);
      expect(res.status, host).toBe(502);
      expectDefaultPolicy(res.headers);
    }
    expect(origin.hits.get("/echo/named-host")).toBeUndefined();
    await expectIdle(shipped, before);
  });
});

describe("uploads through wrangler dev in front of the origin (npm start's setup)", () => {
  for (const [what, size, chunked] of [
    ["2 MiB with a Content-Length (curl --data-binary)", 2 * MiB, false],
    ["3 MiB chunked (curl -T -)", 3 * MiB, true],
  ] as const) {
    it(`delivers ${what} with Expect: 100-continue intact, and answers with the origin's 200`, async () => {
      const { withOrigin } = running();
      const chunks: Buffer[] = [];
      for (let offset = 0; offset < size; offset += 64 * 1024) chunks.push(patternChunk(offset, Math.min(64 * 1024, size - offset)));
      const upload = await within(uploadExpectingContinue(new URL("/echo/upload", withOrigin.url), chunks, chunked), 30_000, what);
      expect(upload.status).toBe(200);
      expectDefaultPolicy(upload.headers);
      const echo = JSON.parse(upload.body.toString("utf8")) as { bodyLength: number; bodySha256: string; headers: Record<string, string> };
      expect(echo.bodyLength).toBe(size);
      expect(echo.bodySha256).toBe(sha256Of(chunks));
      expect(echo.headers.expect).toBeUndefined();
      // Platform finding 7 (docs/faults.md): wrangler dev sends no 100 Continue either.
      expect(upload.bodySent).toBe("after-wait");
    });
  }
});
