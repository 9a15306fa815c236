// The stream driver's read buffers: how many a scrubbed body allocates (counted through the pool's
// allocator, not RSS), and that reused memory never changes a byte that leaves or that a transformer keeps.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  driveBody,
  FIRST_READ_SIZE,
  transformChunks,
  READ_SIZE,
  readBuffers,
  type ChunkTransformer,
  type ReadBuffers,
} from "../../../src/core/nonce/body-driver.js";
import { bodyTransformer } from "../../../src/core/nonce/body-transformer.js";
import { compileMarker, markerScrubber } from "../../../src/core/nonce/marker-stream.js";
import { createMarker } from "../../../src/core/nonce/nonce-marker.js";
import type { NoncePlan } from "../../../src/core/policy/types.js";
import { fuzzParameters } from "../../fuzz-config.js";
import { concatBytes, memoryWriter } from "../../support/bytes.js";
import { scrubReference } from "../../support/marker-bytes.js";

const MARKER = createMarker();
const FILLER = "F".repeat(MARKER.length);
const encoder = new TextEncoder();

/** A pool whose allocations are counted by size. */
function countingPool(keep = 8): { pool: ReadBuffers; sizes: number[] } {
  const sizes: number[] = [];
  return {
    sizes,
    pool: readBuffers((n) => {
      sizes.push(n);
      return new Uint8Array(n);
    }, keep),
  };
}

/** A byte stream (BYOB-capable, like workerd's fetch bodies) that sends `body` in pieces of `piece` bytes. */
function bodyStream(body: Uint8Array, piece: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      if (at >= body.byteLength) {
        controller.close();
        controller.byobRequest?.respond(0);
        return;
      }
      // Copied: enqueue transfers the buffer it is given.
      controller.enqueue(body.slice(at, at + piece));
      at += piece;
    },
  });
}

/** A page of `n` bytes of varied text with the marker written in at a few places. */
function pageWithMarkers(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = 32 + ((i * 7919) % 95);
  for (const at of [100, 70_000, n - MARKER.length - 5]) if (at >= 0 && at + MARKER.length <= n) out.set(encoder.encode(MARKER), at);
  return out;
}

/** Where two byte arrays first differ (their shorter length if one is a prefix), or -1 when equal. toEqual on megabytes is slow. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))) return -1;
  let i = 0;
  while (i < a.byteLength && i < b.byteLength && a[i] === b[i]) i++;
  return i;
}

/**
 * What the scrubber makes of the body as one chunk, with no stream and no buffer reused. (Its answers are
 * held to the slow reference in marker-stream and fuzz-marker tests; that reference takes seconds per MiB.)
 */
function scrubbedWhole(body: Uint8Array): Uint8Array {
  return concatBytes(transformChunks([body], markerScrubber(compileMarker(MARKER), FILLER)));
}

/** The body streamed through the driver in pieces of `piece` bytes comes out as scrubbed whole. */
async function expectScrubbed(body: Uint8Array, piece: number, pool: ReadBuffers): Promise<void> {
  expect(firstDifference(await scrub(body, piece, pool), scrubbedWhole(body))).toBe(-1);
}

async function scrub(body: Uint8Array, piece: number, pool: ReadBuffers): Promise<Uint8Array> {
  const writer = memoryWriter();
  await driveBody(bodyStream(body, piece), markerScrubber(compileMarker(MARKER), FILLER), writer, pool);
  expect(writer.ended).toBe("closed");
  return concatBytes(writer.chunks);
}

describe("read buffers", () => {
  it("scrub the test page as the slow reference does (the oracle below is the scrubber run whole)", () => {
    const body = pageWithMarkers(80_000);
    expect(firstDifference(scrubbedWhole(body), scrubReference(body, MARKER, FILLER))).toBe(-1);
  });

  it("allocates at most a small first buffer and one full-size buffer per scrubbed stream, whatever its length", async () => {
    const body = pageWithMarkers(4 * 1024 * 1024 + 3);
    const { pool, sizes } = countingPool();
    await expectScrubbed(body, 64 * 1024, pool);
    // Before the pool, every read took a fresh 256 KiB buffer: 17 of them for this body.
    expect(sizes).toEqual([FIRST_READ_SIZE, READ_SIZE]);
  });

  it("lets the next stream reuse a finished stream's buffer, so a steady flow of bodies allocates nothing", async () => {
    const body = pageWithMarkers(600_000);
    const { pool, sizes } = countingPool();
    for (let i = 0; i < 5; i++) await expectScrubbed(body, 50_000, pool);
    expect(sizes).toEqual([FIRST_READ_SIZE, READ_SIZE]);
  });

  it("never gives one buffer to two streams in flight, and neither stream's bytes change", async () => {
    const a = pageWithMarkers(900_000);
    const b = pageWithMarkers(700_000).reverse();
    const { pool, sizes } = countingPool();
    await scrub(a, 300_000, pool);
    const [outA, outB] = await Promise.all([scrub(a, 40_000, pool), scrub(b, 33_333, pool)]);
    expect(firstDifference(outA, scrubbedWhole(a))).toBe(-1);
    expect(firstDifference(outB, scrubbedWhole(b))).toBe(-1);
    // The first stream's buffer went to one of the two; the other needed its own.
    expect(sizes.filter((n) => n === READ_SIZE)).toHaveLength(2);
  });

  it("keeps no more spare buffers than it was told to", async () => {
    const body = pageWithMarkers(300_000);
    const { pool, sizes } = countingPool(1);
    await Promise.all([scrub(body, 100_000, pool), scrub(body, 100_000, pool), scrub(body, 100_000, pool)]);
    const before = sizes.length;
    await Promise.all([scrub(body, 100_000, pool), scrub(body, 100_000, pool)]);
    // One spare came back for the two: the other allocated again.
    expect(sizes.slice(before)).toEqual([FIRST_READ_SIZE, READ_SIZE]);
  });

  it("gives fresh memory to every read for a transformer that keeps views of its chunks", async () => {
    const body = pageWithMarkers(1024 * 1024);
    const { pool, sizes } = countingPool();
    // Keeps every chunk it is given and sends them all at the end, as a stamper holding a start tag would.
    const kept: Uint8Array[] = [];
    const keeper: ChunkTransformer = {
      transform: (chunk) => void kept.push(chunk),
      flush: (enqueue) => enqueue(concatBytes(kept)),
    };
    const writer = memoryWriter();
    await driveBody(bodyStream(body, 128 * 1024), keeper, writer, pool);
    expect(firstDifference(concatBytes(writer.chunks), body)).toBe(-1);
    expect(sizes.length).toBe(kept.length + 1);
  });

  it("reuses memory through a chain of scrubbers (a marker being rotated), but not when a blanket stamper follows", () => {
    const scrubs = [
      { marker: compileMarker(MARKER), replacement: FILLER },
      { marker: compileMarker(createMarker()), replacement: FILLER },
    ];
    expect(bodyTransformer(scrubs, null).releasesChunks).toBe(true);
    const plan: NoncePlan = { ops: [], notModifiedOps: [], carriers: [], mode: "blanket", scripts: true, styles: true };
    expect(bodyTransformer(scrubs, { plan, nonce: "bm9uY2Vub25jZW5vbmNlMQ==" }).releasesChunks).not.toBe(true);
  });

  it("scrubs exactly as the reference does, for any body and any piece size, with memory reused across streams", async () => {
    const pool = readBuffers();
    const piece = fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1_000, max: 300_000 }));
    const part = fc.oneof(
      fc.constant(encoder.encode(MARKER)),
      fc.constant(encoder.encode(MARKER.slice(0, 7))),
      fc.uint8Array({ maxLength: 40 }),
      fc.integer({ min: 1, max: 200_000 }).map(pageWithMarkers),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(part, { maxLength: 8 }), piece, async (parts, size) => {
        const body = concatBytes(parts);
        const small = size < 100 && body.byteLength > 50_000 ? 4096 : size;
        await expectScrubbed(body, small, pool);
      }),
      fuzzParameters(40),
    );
  });
});
