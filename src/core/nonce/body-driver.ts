// The one stream driver for every body the Worker rewrites: read the body in few, large reads, run each
// through a byte transformer, and write what comes out to a writer. The Worker's writer is a native
// stream's (rewrite-body.ts); tests and fuzzers drive the same code into memory. In workerd every chunk
// that passes through JavaScript costs tens of microseconds, and a fetch body's default reader hands out
// 4 KiB chunks: hence the large reads.

/** A streaming byte transform: what to send for each chunk, and what is left at the end. */
export interface ChunkTransformer {
  transform(chunk: Uint8Array, enqueue: (chunk: Uint8Array) => void): void;
  flush(enqueue: (chunk: Uint8Array) => void): void;
}

/** Where a driven body goes: a WritableStream's writer in the Worker, a list in memory in tests. */
export interface BodyWriter {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(reason: unknown): Promise<void>;
}

/** How much one read asks for: large enough that a 1 MiB page crosses into JavaScript a handful of times, not 256. */
export const READ_SIZE = 256 * 1024;

/** Reads of a body, BYOB where the stream allows it. */
export interface Reads {
  next(): Promise<{ value: Uint8Array; done: false } | { value: undefined; done: true }>;
  cancel(reason: unknown): Promise<void>;
}

/**
 * Read `body` in READ_SIZE BYOB reads where it is a byte stream (workerd's fetch bodies are), else chunk
 * by chunk. A BYOB read returns whatever has arrived, so the first bytes still leave as soon as the origin
 * sends them.
 */
export function reader(body: ReadableStream<Uint8Array>): Reads {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    byob = undefined;
  }
  if (byob !== undefined) {
    const r = byob;
    return {
      next: async () => {
        const { value, done } = await r.read(new Uint8Array(READ_SIZE));
        return done ? { value: undefined, done: true } : { value, done: false };
      },
      cancel: (reason) => r.cancel(reason),
    };
  }
  const r = body.getReader();
  return {
    next: async () => {
      const { value, done } = await r.read();
      return done ? { value: undefined, done: true } : { value, done: false };
    },
    cancel: (reason) => r.cancel(reason),
  };
}

/** Run one read through the transformer (null: the body ended, so flush), keeping the non-empty output. */
function step(transformer: ChunkTransformer, chunk: Uint8Array | null, out: Uint8Array[]): void {
  const enqueue = (piece: Uint8Array): void => {
    if (piece.byteLength > 0) out.push(piece);
  };
  if (chunk === null) transformer.flush(enqueue);
  else transformer.transform(chunk, enqueue);
}

/**
 * Move the body through the transformer into the writer, one write per piece the transformer sends,
 * each awaited (the writer's backpressure reaches the reads). Every way out ends both sides: the writer
 * is closed at the end, or aborted when the body fails, will not decode, or the transformer throws, and
 * the body is then cancelled; a failed write (the client went away) cancels the body too.
 */
export async function driveBody(body: ReadableStream<Uint8Array>, transformer: ChunkTransformer, writer: BodyWriter): Promise<void> {
  const pending: Uint8Array[] = [];
  let reads: Reads | undefined;
  try {
    reads = reader(body);
    for (;;) {
      const { value, done } = await reads.next();
      step(transformer, done ? null : value, pending);
      for (const chunk of pending.splice(0)) await writer.write(chunk);
      if (done) break;
    }
    await writer.close();
  } catch (error) {
    await Promise.allSettled([writer.abort(error), reads?.cancel(error)]);
  }
}

/**
 * A body already in memory, as a sequence of reads, through the transformer: the Worker's small page read
 * whole (one chunk), and the driver's per-read step for tests that cut a body at chosen points.
 */
export function transformChunks(chunks: Iterable<Uint8Array>, transformer: ChunkTransformer): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const chunk of chunks) step(transformer, chunk, out);
  step(transformer, null, out);
  return out;
}
