// Running a byte transformer over a body: large BYOB reads where possible, every byte accounted for,
// first bytes out before the source ends, and a cancel that reaches the source.

import { describe, expect, it } from "vitest";
import { READ_SIZE, transformBody, type ChunkTransformer } from "../../../src/core/nonce/chunk-transform.js";

const identity: ChunkTransformer = { transform: (chunk, enqueue) => enqueue(chunk), flush: () => undefined };

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
  return chunks;
}

/** A byte stream (BYOB-capable, like workerd's fetch bodies) of `n` chunks of `size` bytes. */
function byteSource(n: number, size: number): ReadableStream<Uint8Array> {
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
  });
}

describe("transformBody", () => {
  it("delivers every byte of a byte stream through the transformer", async () => {
    const chunks = await collect(transformBody(byteSource(64, 4096), identity));
    const total = chunks.reduce((n, c) => n + c.byteLength, 0);
    expect(total).toBe(64 * 4096);
    expect(chunks.every((c) => c.byteLength <= READ_SIZE)).toBe(true);
  });

  it("works on a plain stream that has no BYOB reader", async () => {
    const plain = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([1, 2]));
        controller.enqueue(new Uint8Array([3]));
        controller.close();
      },
    });
    const chunks = await collect(transformBody(plain, identity));
    expect(chunks.flatMap((c) => [...c])).toEqual([1, 2, 3]);
  });

  it("sends the first bytes before the source has ended", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const source = new ReadableStream<Uint8Array>({
      type: "bytes",
      async start(controller) {
        controller.enqueue(new Uint8Array([1]));
        await held;
        controller.enqueue(new Uint8Array([2]));
        controller.close();
      },
    });
    const reader = transformBody(source, identity).getReader();
    expect((await reader.read()).value).toEqual(new Uint8Array([1]));
    release();
    expect((await reader.read()).value).toEqual(new Uint8Array([2]));
    expect((await reader.read()).done).toBe(true);
  });

  it("reads on while the transformer holds a chunk back, and flushes at the end", async () => {
    const holdAll: ChunkTransformer = {
      transform: () => undefined,
      flush: (enqueue) => enqueue(new Uint8Array([9])),
    };
    expect(await collect(transformBody(byteSource(3, 10), holdAll))).toEqual([new Uint8Array([9])]);
  });

  it("passes a cancel on to the source", async () => {
    let cancelled: unknown;
    const source = new ReadableStream<Uint8Array>({
      type: "bytes",
      pull(controller) {
        controller.enqueue(new Uint8Array(8));
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    const reader = transformBody(source, identity).getReader();
    await reader.read();
    await reader.cancel("client went away");
    expect(cancelled).toBe("client went away");
  });
});
