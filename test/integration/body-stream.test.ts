// Large bodies through the real Worker in Miniflare: byte-exact both ways, streamed, workerd memory flat.

import { createHash } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { patternChunk, patternSha256 } from "../support/origin.js";
import { harnessSlot, startHarness } from "./support/harness.js";
import { expectDefaultPolicy } from "./support/policy-headers.js";
import { BodyReader, fetchRaw, header, openRequest } from "./support/raw-http.js";
import { isAlive, residentBytes, workerdServing } from "./support/workerd-process.js";

const MiB = 1 << 20;
const GiB = 1 << 30;
/**
 * Growth allowed in workerd's RSS while 1 GiB streams through. Buffering the body would add ~1 GiB; one
 * isolate may use 128 MB in all. Half of that leaves room for allocator and socket-buffer noise (the
 * platform notes measured ~57 MB for the whole process) while catching any buffering of more than 6 % of
 * the body. Miniflare does not enforce the isolate limit (a Worker that buffered 256 MiB grew workerd by
 * ~400 MiB without an error), so this bound is the only guard locally.
 */
const MAX_RSS_GROWTH = 64 * MiB;
/** Sample workerd's RSS each time this many more bytes have arrived: ~128 samples spread over 1 GiB. */
const SAMPLE_EVERY = 8 * MiB;

const harness = harnessSlot();
let workerdPid: number | undefined;
const workerUrl = (path: string): URL => harness.get().worker(path);

/** The upload body: the /bytes pattern in 64 KiB chunks, generated lazily so nothing holds it whole. */
function* patternChunks(n: number, size = 64 * 1024): Generator<Buffer> {
  for (let offset = 0; offset < n; offset += size) yield patternChunk(offset, Math.min(size, n - offset));
}

beforeAll(async () => {
  harness.set(await startHarness());
  workerdPid = workerdServing(Number(harness.get().running.url.port));
});

afterAll(async () => {
  await harness.stop();
  if (workerdPid !== undefined) expect(isAlive(workerdPid), `workerd ${workerdPid} outlives dispose()`).toBe(false);
});

afterEach(async () => {
  // The Worker keeps serving after each behaviour.
  const res = await fetchRaw(workerUrl("/fixed"));
  expect(res.status).toBe(200);
});

describe("body streaming through the Worker", () => {
  it("streams a 1 GiB download with a matching hash and flat workerd memory", async () => {
    if (workerdPid === undefined) throw new Error("no workerd process found");
    const pid = workerdPid;
    const n = GiB;
    const expectedSha256 = patternSha256(n);

    const before = residentBytes(pid);
    let peak = before;
    let samples = 0;
    const res = await openRequest(workerUrl(`/bytes?n=${n}`));
    expect(res.statusCode).toBe(200);
    expect(header(res.headers, "content-length")).toBe(String(n));
    expectDefaultPolicy(res.headers);

    const hash = createHash("sha256");
    let received = 0;
    let nextSample = SAMPLE_EVERY;
    await new BodyReader(res).drain((chunk) => {
      hash.update(chunk);
      received += chunk.length;
      if (received >= nextSample) {
        peak = Math.max(peak, residentBytes(pid));
        samples++;
        nextSample += SAMPLE_EVERY;
      }
    });
    peak = Math.max(peak, residentBytes(pid));

    const rss = `workerd ${pid} RSS: before ${(before / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB over ${samples} samples`;
    expect(received).toBe(n);
    expect(hash.digest("hex")).toBe(expectedSha256);
    expect(samples).toBeGreaterThanOrEqual(Math.floor(n / SAMPLE_EVERY) - 1);
    expect(peak - before, rss).toBeLessThan(MAX_RSS_GROWTH);
  });

  it("passes a 10 MiB download through with its hash and content-length", async () => {
    const n = 10 * MiB;
    const res = await openRequest(workerUrl(`/bytes?n=${n}`));
    const hash = createHash("sha256");
    let received = 0;
    await new BodyReader(res).drain((chunk) => {
      hash.update(chunk);
      received += chunk.length;
    });
    expect(res.statusCode).toBe(200);
    expect(header(res.headers, "content-length")).toBe(String(n));
    expect(received).toBe(n);
    expect(hash.digest("hex")).toBe(patternSha256(n));
  });

  it("streams a 10 MiB upload to the origin byte for byte", async () => {
    const n = 10 * MiB;
    const res = await fetchRaw(workerUrl("/echo"), {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream" },
      body: patternChunks(n),
    });
    expect(res.status).toBe(200);
    const seen: unknown = JSON.parse(res.body.toString("utf8"));
    expect(seen).toMatchObject({ method: "POST", bodyLength: n, bodySha256: patternSha256(n) });
  });
});
