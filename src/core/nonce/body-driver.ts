// The one stream driver for every body the Worker rewrites: read the body in few, large reads, run each
// through a byte transformer, and write what comes out to a writer. The Worker's writer is a native
// stream's (rewrite-body.ts); tests and fuzzers drive the same code into memory. In workerd every chunk
// that passes through JavaScript costs tens of microseconds, and a fetch body's default reader hands out
// 4 KiB chunks: hence the large reads.

/** A streaming byte transform: what to send for each chunk, and what is left at the end. */
export interface ChunkTransformer {
  transform(chunk: Uint8Array, enqueue: (chunk: Uint8Array) => void): void;
  flush(enqueue: (chunk: Uint8Array) => void): void;
  /**
   * True when the transformer keeps no view of a chunk once `transform` returns (what it holds back, it
   * copies): the driver may then read the next chunk into the same memory, once the pieces sent for this
   * one are written.
   */
  readonly releasesChunks?: boolean;
}

/** Where a driven body goes: a WritableStream's writer in the Worker, a list in memory in tests. */
export interface BodyWriter {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(reason: unknown): Promise<void>;
}

/** How much one read asks for: large enough that a 1 MiB page crosses into JavaScript a handful of times, not 256. */
export const READ_SIZE = 256 * 1024;

/**
 * The first read's size: most bodies are small, and a full-size buffer for each would be 256 KiB of memory
 * the allocator keeps. Reads grow to READ_SIZE once one comes back full.
 */
export const FIRST_READ_SIZE = 16 * 1024;

/** Where read buffers come from: injectable so that tests count allocations (op counts, not RSS). */
export type Allocate = (bytes: number) => Uint8Array;

/** Read buffers of an isolate: fresh ones, and full-size ones that finished streams gave back. */
export interface ReadBuffers {
  readonly allocate: Allocate;
  /** A READ_SIZE buffer a finished stream gave back, if there is one; taken, it belongs to one stream. */
  take(): ArrayBuffer | undefined;
  /** Give back a READ_SIZE buffer that no stream, transformer or write refers to any more. */
  give(buffer: ArrayBuffer): void;
}

/**
 * A pool that keeps up to `keep` full-size buffers. workerd's allocator keeps the memory of freed
 * 256 KiB buffers mapped: a fresh one per read of every scrubbed body grew the load test's RSS by
 * tens of MiB over a bare Worker's, where reused ones hold `keep` × 256 KiB.
 */
export function readBuffers(allocate: Allocate = (bytes) => new Uint8Array(bytes), keep = 8): ReadBuffers {
  const spare: ArrayBuffer[] = [];
  return {
    allocate,
    take: () => spare.pop(),
    give: (buffer) => {
      if (buffer.byteLength === READ_SIZE && spare.length < keep && !spare.includes(buffer)) spare.push(buffer);
    },
  };
}

/** The isolate's pool: shared by its streams one at a time per buffer, never two streams at once. */
const ISOLATE_BUFFERS = readBuffers();

/** Reads of a body, BYOB where the stream allows it. */
export interface Reads {
  next(): Promise<{ value: Uint8Array; done: false } | { value: undefined; done: true }>;
  cancel(reason: unknown): Promise<void>;
  /** The body was read to its end and what was read is written: its buffer may serve another stream. */
  release(): void;
}

/**
 * Read `body` in BYOB reads where it is a byte stream (workerd's fetch bodies are), else chunk by chunk.
 * A BYOB read returns whatever has arrived, so the first bytes still leave as soon as the origin sends
 * them. With `reuse` (the caller is done with a chunk when it asks for the next), each read goes into the
 * memory of the one before, which starts as a pooled buffer when there is one: a stream allocates at most
 * two buffers (FIRST_READ_SIZE, then READ_SIZE) and none once the pool has spares. Without it, every read
 * gets fresh memory and nothing is pooled.
 */
export function reader(body: ReadableStream<Uint8Array>, reuse = false, buffers: ReadBuffers = ISOLATE_BUFFERS): Reads {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    byob = undefined;
  }
  if (byob !== undefined) return byobReads(byob, reuse, buffers);
  const r = body.getReader();
  return {
    next: async () => {
      const { value, done } = await r.read();
      return done ? { value: undefined, done: true } : { value, done: false };
    },
    cancel: (reason) => r.cancel(reason),
    release: () => undefined,
  };
}

function byobReads(r: ReadableStreamBYOBReader, reuse: boolean, buffers: ReadBuffers): Reads {
  // The memory the last read returned (the buffer passed in is transferred to it), for the next read.
  let last = reuse ? buffers.take() : undefined;
  let size = last === undefined ? FIRST_READ_SIZE : READ_SIZE;
  return {
    next: async () => {
      const into = last !== undefined && last.byteLength === size ? new Uint8Array(last) : buffers.allocate(size);
      last = undefined;
      const { value, done } = await r.read(into);
      // Even the read that finds the end hands the (empty) buffer back.
      if (reuse && value?.buffer instanceof ArrayBuffer) last = value.buffer;
      if (done) return { value: undefined, done: true };
      if (value.byteLength === size) size = READ_SIZE;
      return { value, done: false };
    },
    cancel: (reason) => r.cancel(reason),
    release: () => {
      if (last !== undefined) buffers.give(last);
      last = undefined;
    },
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
export async function driveBody(
  body: ReadableStream<Uint8Array>,
  transformer: ChunkTransformer,
  writer: BodyWriter,
  buffers: ReadBuffers = ISOLATE_BUFFERS,
): Promise<void> {
  const pending: Uint8Array[] = [];
  let reads: Reads | undefined;
  try {
    reads = reader(body, transformer.releasesChunks === true, buffers);
    for (;;) {
      const { value, done } = await reads.next();
      step(transformer, done ? null : value, pending);
      for (const chunk of pending.splice(0)) await writer.write(chunk);
      if (done) break;
    }
    await writer.close();
    // Only here, every read done and every write settled; after a failure the buffer is left to the GC.
    reads.release();
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
