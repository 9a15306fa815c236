// The stream driver the Worker ships, driven into memory: large BYOB reads where possible, every byte
// accounted for, first bytes out before the source ends, and every way out ending both sides.

import { describe, expect, it } from "vitest";
import { driveBody, READ_SIZE, transformChunks, type ChunkTransformer } from "../../../src/core/nonce/body-driver.js";
import { chunkStream, concatBytes, memoryWriter } from "../../support/bytes.js";

const identity: ChunkTransformer = { transform: (chunk, enqueue) => enqueue(chunk), flush: () => undefined };

/** A byte stream (BYOB-capable, like workerd's fetch bodies) of `n` chunks of `size` bytes. */
function byteSource(n: number, size: number, onCancel: (reason: unknown) => void = () => undefined): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      if (sent === n) {
        controller.close();
        // A byte stream must answer a pending BYOB read with 0 bytes once it closes.
        controller.byobRequest?.respond(0);
        return;
      }
      controller.enqueue(new Uint8Array(size).fill(sent++));
    },
    cancel: onCancel,
  });
}

describe("driveBody", () => {
  it("delivers every byte of a byte stream through the transformer, in reads of at most READ_SIZE", async () => {
    const writer = memoryWriter();
    await driveBody(byteSource(64, 4096), identity, writer);
    expect(writer.ended).toBe("closed");
    expect(writer.chunks.reduce((n, c) => n + c.byteLength, 0)).toBe(64 * 4096);
    expect(writer.chunks.every((c) => c.byteLength <= READ_SIZE)).toBe(true);
    expect(concatBytes(writer.chunks).slice(4096 * 63)).toEqual(new Uint8Array(4096).fill(63));
  });

  it("works on a plain stream that has no BYOB reader", async () => {
    const writer = memoryWriter();
    await driveBody(chunkStream([new Uint8Array([1, 2]), new Uint8Array([3])]), identity, writer);
    expect(writer.chunks.flatMap((c) => [...c])).toEqual([1, 2, 3]);
    expect(writer.ended).toBe("closed");
  });

  it("writes the first bytes before the source has ended", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let wrote: () => void = () => undefined;
    const firstWrite = new Promise<void>((resolve) => (wrote = resolve));
    const source = new ReadableStream<Uint8Array>({
      type: "bytes",
      async start(controller) {
        controller.enqueue(new Uint8Array([1]));
        await held;
        controller.enqueue(new Uint8Array([2]));
        controller.close();
      },
    });
    const writer = memoryWriter((count) => {
      if (count === 0) wrote();
      return undefined;
    });
    const done = driveBody(source, identity, writer);
    await firstWrite;
    expect(writer.chunks).toEqual([new Uint8Array([1])]);
    expect(writer.ended).toBe("open");
    release();
    await done;
    expect(writer.chunks).toEqual([new Uint8Array([1]), new Uint8Array([2])]);
    expect(writer.ended).toBe("closed");
  });

  it("reads on while the transformer holds everything back, and writes its flush at the end", async () => {
    const holdAll: ChunkTransformer = { transform: () => undefined, flush: (enqueue) => enqueue(new Uint8Array([9])) };
    const writer = memoryWriter();
    await driveBody(byteSource(3, 10), holdAll, writer);
    expect(writer.chunks).toEqual([new Uint8Array([9])]);
    expect(writer.ended).toBe("closed");
  });

  it("never writes an empty chunk", async () => {
    const blanks: ChunkTransformer = {
      transform: (chunk, enqueue) => {
        enqueue(new Uint8Array(0));
        enqueue(chunk);
      },
      flush: (enqueue) => enqueue(new Uint8Array(0)),
    };
    const writer = memoryWriter();
    await driveBody(chunkStream([new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2])]), blanks, writer);
    expect(writer.chunks).toEqual([new Uint8Array([1]), new Uint8Array([2])]);
  });

  it("cancels the source when a write fails (the client went away), and aborts the writer", async () => {
    let cancelled: unknown;
    const writer = memoryWriter((count) => (count === 2 ? new Error("client went away") : undefined));
    await driveBody(
      byteSource(1000, 8, (reason) => (cancelled = reason)),
      identity,
      writer,
    );
    expect(writer.chunks).toHaveLength(2);
    expect(String(cancelled)).toBe("Error: client went away");
    expect(writer.ended).toBe("aborted");
  });

  it("aborts the writer with the source's error when the origin breaks off", async () => {
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([1]));
        controller.error(new TypeError("connection reset"));
      },
    });
    const writer = memoryWriter();
    await driveBody(broken, identity, writer);
    expect(writer.ended).toBe("aborted");
    expect(String(writer.abortReason)).toBe("TypeError: connection reset");
  });

  it("aborts the writer and cancels the source when the transformer throws", async () => {
    let cancelled: unknown;
    const throwing: ChunkTransformer = {
      transform: () => {
        throw new Error("model failed");
      },
      flush: () => undefined,
    };
    const writer = memoryWriter();
    await driveBody(
      byteSource(5, 8, (reason) => (cancelled = reason)),
      throwing,
      writer,
    );
    expect(writer.ended).toBe("aborted");
    expect(String(cancelled)).toBe("Error: model failed");
  });
});

describe("transformChunks", () => {
  it("runs each chunk as one read, then the flush, keeping no empty piece", () => {
    const seen: number[] = [];
    const counting: ChunkTransformer = {
      transform: (chunk, enqueue) => {
        seen.push(chunk.byteLength);
        enqueue(chunk);
        enqueue(new Uint8Array(0));
      },
      flush: (enqueue) => enqueue(new Uint8Array([7])),
    };
    const out = transformChunks([new Uint8Array([1, 2]), new Uint8Array([3])], counting);
    expect(seen).toEqual([2, 1]);
    expect(out).toEqual([new Uint8Array([1, 2]), new Uint8Array([3]), new Uint8Array([7])]);
  });

  it("gives the same bytes as driveBody for the same reads", async () => {
    const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array([4]), new Uint8Array([5, 6])];
    const writer = memoryWriter();
    await driveBody(chunkStream(chunks), identity, writer);
    expect(concatBytes(transformChunks(chunks, identity))).toEqual(concatBytes(writer.chunks));
  });
});
