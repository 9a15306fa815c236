// Byte helpers for the tests of the streaming stampers: run chunks through the Worker's own stream driver
// into memory, and cut a body at arbitrary points.

import { driveBody, type BodyWriter, type ChunkTransformer } from "../../src/core/nonce/body-driver.js";
import { concatBytes } from "../../src/core/shared/bytes.js";
import { errorMessage } from "../../src/core/shared/text.js";

export { concatBytes };

/**
 * Cut `bytes` at the given points (taken modulo its length + 1). By default repeated points and empty
 * pieces are left out; with `keepEmpty` every point cuts, so the pieces may include empty chunks, which
 * a stream may carry too.
 */
export function splitBytes(bytes: Uint8Array, cuts: readonly number[], options: { keepEmpty?: boolean } = {}): Uint8Array[] {
  const keepEmpty = options.keepEmpty === true;
  const taken = cuts.map((c) => c % (bytes.byteLength + 1));
  const points = (keepEmpty ? taken : [...new Set(taken)]).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.slice(from, p));
    from = p;
  }
  chunks.push(bytes.slice(from));
  return keepEmpty ? chunks : chunks.filter((c) => c.byteLength > 0);
}

/** `bytes` in consecutive slices of `size` bytes (the last may be shorter), as reads of that size would return it. */
export function slices(bytes: Uint8Array, size: number): Uint8Array[] {
  return Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
}

/** A writer that keeps what it is given in memory, and how it was ended. */
export interface MemoryWriter extends BodyWriter {
  readonly chunks: Uint8Array[];
  readonly ended: "open" | "closed" | "aborted";
  readonly abortReason: unknown;
}

/** An in-memory writer for the stream driver; `failWrite` makes a write reject (a client gone away). */
export function memoryWriter(failWrite: (count: number) => unknown = () => undefined): MemoryWriter {
  const chunks: Uint8Array[] = [];
  let ended: MemoryWriter["ended"] = "open";
  let abortReason: unknown;
  return {
    chunks,
    get ended() {
      return ended;
    },
    get abortReason() {
      return abortReason;
    },
    write(chunk) {
      const failure = failWrite(chunks.length);
      if (failure !== undefined) return Promise.reject(failure instanceof Error ? failure : new Error(errorMessage(failure)));
      chunks.push(chunk.slice());
      return Promise.resolve();
    },
    close() {
      ended = "closed";
      return Promise.resolve();
    },
    abort(reason) {
      ended = "aborted";
      abortReason = reason;
      return Promise.resolve();
    },
  };
}

/** A plain (not BYOB) stream that hands out exactly these chunks, as a fetch body might. */
export function chunkStream(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

/** Feed `chunks` through `transformer` with the Worker's stream driver, and return everything that comes out, joined. */
export async function drive(chunks: readonly Uint8Array[], transformer: ChunkTransformer): Promise<Uint8Array> {
  const writer = memoryWriter();
  await driveBody(chunkStream(chunks), transformer, writer);
  if (writer.ended !== "closed") throw new Error(`the driver ended the body ${writer.ended}: ${String(writer.abortReason)}`);
  return concatBytes(writer.chunks);
}
