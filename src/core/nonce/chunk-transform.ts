// Run a byte transformer over a body with few, large reads: in workerd every chunk that passes through
// JavaScript costs tens of microseconds, and a fetch body's default reader hands out 4 KiB chunks.

/** A streaming byte transform: what to send for each chunk, and what is left at the end. */
export interface ChunkTransformer {
  transform(chunk: Uint8Array, enqueue: (chunk: Uint8Array) => void): void;
  flush(enqueue: (chunk: Uint8Array) => void): void;
}

/** How much one read asks for: large enough that a 1 MiB page is ~16 chunks, not ~256. */
export const READ_SIZE = 256 * 1024;

/**
 * A body that is `body` through `transformer`. It reads with a BYOB reader into 64 KiB buffers where the
 * stream supports it (workerd's fetch bodies do), which returns whatever has arrived, so the first bytes
 * still leave as soon as the origin sends them; otherwise it reads chunks as they come. It pulls only
 * when its own reader asks (backpressure), and a cancel reaches the origin's stream.
 */
export function transformBody(body: ReadableStream<Uint8Array>, transformer: ChunkTransformer): ReadableStream<Uint8Array> {
  const read = reader(body);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let sent = false;
        const enqueue = (chunk: Uint8Array) => {
          if (chunk.byteLength === 0) return;
          sent = true;
          controller.enqueue(chunk);
        };
        // A chunk may be held back whole (a marker or a tag cut by the chunk's end): read on until
        // something can be sent, so a pull always makes progress.
        while (!sent) {
          const { value, done } = await read.next();
          if (done) {
            transformer.flush(enqueue);
            controller.close();
            return;
          }
          transformer.transform(value, enqueue);
        }
      },
      cancel(reason) {
        return read.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Reads of a body, BYOB where the stream allows it. */
export interface Reads {
  next(): Promise<{ value: Uint8Array; done: false } | { value: undefined; done: true }>;
  cancel(reason: unknown): Promise<void>;
}

/** Read `body` in READ_SIZE BYOB reads where it is a byte stream, else chunk by chunk. */
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
        return done || value === undefined ? { value: undefined, done: true } : { value, done: false };
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

/** The same transformer as a TransformStream, for callers that pipe (and for tests). */
export function transformStream(transformer: ChunkTransformer): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      transformer.transform(chunk, (c) => {
        if (c.byteLength > 0) controller.enqueue(c);
      });
    },
    flush(controller) {
      transformer.flush((c) => {
        if (c.byteLength > 0) controller.enqueue(c);
      });
    },
  });
}
