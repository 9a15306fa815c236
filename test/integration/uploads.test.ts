// Uploads sent with `Expect: 100-continue` (curl does so past 1 MiB) through the Worker in Miniflare: every
// byte reaches the origin and the client gets the origin's final answer. A bare Worker beside ours shows
// what workerd itself does with the expectation.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BARE_WORKER, startWorker, type RunningWorker } from "../support/miniflare-worker.js";
import { patternChunk } from "../support/origin.js";
import { sha256Of, uploadExpectingContinue, type ExpectUpload } from "../support/expect-upload.js";
import { useHarness } from "./support/harness.js";
import { expectDefaultPolicy } from "./support/policy-headers.js";
import { within } from "./support/raw-http.js";

const MiB = 1 << 20;
/** An upload's outcome must arrive within this: loopback moves 16 MiB in well under a second. */
const UPLOAD_BOUND_MS = 30_000;

const { harness, workerUrl } = useHarness();

/** What the origin's /echo reports about the request it received. */
interface Echo {
  readonly method: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly bodyLength: number;
  readonly bodySha256: string;
}

/** `length` bytes of the /bytes pattern, cut into chunks of `size`. */
function body(length: number, size = 64 * 1024): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < length; offset += size) chunks.push(patternChunk(offset, Math.min(size, length - offset)));
  return chunks;
}

function echoOf(upload: ExpectUpload): Echo {
  return JSON.parse(upload.body.toString("utf8")) as Echo;
}

describe("uploads with Expect: 100-continue through the Worker", () => {
  // Each waits out the client's 1 s for a 100 Continue (see the platform finding below): run them side by side.
  // Boundaries: nothing, one byte, just past curl's 1 MiB threshold, the reported 2 MiB, and a large one.
  const sizes = [0, 1, MiB + 1, 2 * MiB, 16 * MiB];
  for (const size of sizes) {
    for (const chunked of [false, true]) {
      it.concurrent(
        `delivers ${size} bytes sent ${chunked ? "chunked" : "with a Content-Length"} intact and answers with the origin's 200`,
        async ({ expect }) => {
          const chunks = body(size);
          const upload = await within(
            uploadExpectingContinue(workerUrl(`/echo/upload-${size}`), chunks, chunked),
            UPLOAD_BOUND_MS,
            `a ${size}-byte upload`,
          );
          expect(upload.status).toBe(200);
          expectDefaultPolicy(upload.headers);
          const echo = echoOf(upload);
          expect(echo.method).toBe("POST");
          expect(echo.bodyLength).toBe(size);
          expect(echo.bodySha256).toBe(sha256Of(chunks));
          // The expectation was the client's with the runtime, which already holds the body: never forwarded.
          expect(echo.headers.expect).toBeUndefined();
          expect(upload.interim).toEqual([]);
        },
      );
    }
  }

  // Platform finding (workerd's HTTP server; docs/faults.md): it never answers an expectation with 100
  // Continue, so a client waits out its own timer (curl: 1 s) before sending the body. The Worker cannot
  // send an interim response. If this starts failing, workerd now answers: assert "after-100".
  it("workerd sends no 100 Continue of its own: the client sends the body when its wait runs out (platform finding)", async () => {
    const chunks = body(MiB + 1);
    const upload = await within(uploadExpectingContinue(workerUrl("/echo/no-continue"), chunks, false), UPLOAD_BOUND_MS, "an upload");
    expect(upload.bodySent).toBe("after-wait");
    expect(upload.status).toBe(200);
    expect(echoOf(upload).bodySha256).toBe(sha256Of(chunks));
  });
});

describe("the same upload through a bare pass-through Worker", () => {
  let bare: RunningWorker | undefined;
  beforeAll(async () => {
    bare = await startWorker({ bindings: { ORIGIN_URL: harness.get().origin("/").origin }, script: BARE_WORKER });
  });
  afterAll(async () => {
    await bare?.dispose();
  });

  // Platform finding: workerd forwards the client's Expect, the origin answers 100 Continue, and fetch()
  // resolves with that interim response as if it were final; Miniflare's entry worker then fails on it.
  it("fails: workerd forwards Expect and returns the origin's 100 Continue as the answer (platform finding)", async () => {
    if (bare === undefined) throw new Error("the bare Worker did not start");
    const upload = await within(
      uploadExpectingContinue(new URL("/echo/bare", bare.url), body(2 * MiB), false),
      UPLOAD_BOUND_MS,
      "an upload through the bare Worker",
    );
    expect(upload.status).toBe(500);
    expect(upload.bodySent).toBe("not-sent");
  });
});
