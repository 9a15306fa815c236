// Red team (issue 9, finding 6): a Host header workerd cannot parse as an authority gets workerd's own bare
// 500 before any Worker code runs, ours or a bare pass-through Worker's alike. This records what workerd
// answers today (docs/faults.md, Findings), so that a change in workerd is noticed.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BARE_ROUTE_WORKER, startWorker, type RunningWorker } from "../support/miniflare-worker.js";
import { exchange, parseResponses } from "../support/raw-client.js";
import { startRawOrigin, type RawOrigin } from "../support/raw-origin.js";

let origin: RawOrigin;
let ours: RunningWorker;
let bare: RunningWorker;

beforeAll(async () => {
  origin = await startRawOrigin();
  ours = await startWorker({ bindings: { ALLOWED_HOSTS: `127.0.0.1:${origin.port}` } });
  bare = await startWorker({ bindings: {}, script: BARE_ROUTE_WORKER });
});

afterAll(async () => {
  await ours.dispose();
  await bare.dispose();
  await origin.close();
});

/** Host values that are not an authority (RFC 9110 §7.2: uri-host [ ":" port ]). */
const MALFORMED = (port: number, other: number): string[] => [
  `127.0.0.1:${port}:${other}`,
  `127.0.0.1:${port}@127.0.0.1:${other}`,
  `x@127.0.0.1:${port}`,
  `127.0.0.1:${port}/`,
  `127.0.0.1:${port}#`,
  `127.0.0.1:${port}\\@127.0.0.1:${other}`,
  `127.0.0.1%3A${other}`,
];

/** What workerd logs for such a Host today: kj's URL stringifier, or its JavaScript URL parser. */
const WORKERD_HOST_ERROR = /invalid hostname when stringifying URL|Invalid URL string/;

describe("a malformed Host header", () => {
  it("gets workerd's bare 500, with no policy and nothing fetched, before the Worker runs (platform finding)", async () => {
    for (const worker of [ours, bare]) {
      for (const host of MALFORMED(origin.port, origin.port + 1)) {
        const before = origin.seen.length;
        const { bytes } = await exchange(Number(worker.url.port), `GET /x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, {
          quietMs: 800,
        });
        const [response] = parseResponses(bytes);
        // Today: 500 Internal Server Error from workerd's HTTP server, without any header the Worker sets.
        // Once workerd answers 400 (RFC 9112 §3.2), assert that instead.
        expect(response?.status, host).toBe(500);
        expect(bytes.toString("latin1").toLowerCase()).not.toContain("content-security-policy");
        expect(origin.seen.length, host).toBe(before);
        // workerd's own error line: its URL parser refuses the host before any Worker code runs.
        await worker.output.claim(`workerd's error for Host ${host}`, (e) => e.level === "error" && WORKERD_HOST_ERROR.test(e.message));
      }
    }
    // Our Worker logged nothing of its own for them: it never ran.
    expect(ours.output.events()).toEqual([]);
  });

  it("is not to be confused with a well-formed Host the Worker does not serve, which it answers itself", async () => {
    const { bytes } = await exchange(
      Number(ours.url.port),
      `GET /x HTTP/1.1\r\nHost: 127.0.0.1:${origin.port + 1}\r\nConnection: close\r\n\r\n`,
      {
        quietMs: 800,
      },
    );
    const [response] = parseResponses(bytes);
    expect(response?.status).toBe(421);
    await ours.output.claimEvent({ event: "host.refused" });
    expect(bytes.toString("latin1").toLowerCase()).toContain("content-security-policy");
  });
});
