// Bodies in a coding workerd leaves encoded (deflate, x-gzip, stacked gzip), decoded in the Worker so that
// the bytes scrubbed are the bytes a client decodes.

import { deflateFormat, type DecodableCoding } from "../core/nonce/content-coding.js";
import { concatBytes } from "../core/shared/bytes.js";

/** The body decoded through each coding in turn (the header's last coding first). */
export function decode(body: ReadableStream<Uint8Array>, steps: readonly DecodableCoding[]): ReadableStream<Uint8Array> {
  let stream = body;
  for (const step of steps) stream = step === "gzip" ? stream.pipeThrough(new DecompressionStream("gzip")) : inflate(stream);
  return stream;
}

/**
 * A deflate body decoded: zlib-wrapped or raw, told apart by its first two bytes as browsers do (origins
 * send both under `Content-Encoding: deflate`). An empty body stays empty.
 */
function inflate(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const source = body.getReader();
  let inner: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (inner === undefined) {
          const head = await readHead(source, 2);
          if (head.byteLength === 0) {
            controller.close();
            return;
          }
          inner = prefixed(head, source)
            .pipeThrough(new DecompressionStream(deflateFormat(head)))
            .getReader();
        }
        const { value, done } = await inner.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => (inner ?? source).cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

/** At least `n` bytes from the start of a stream (fewer only if it ends first). */
async function readHead(source: ReadableStreamDefaultReader<Uint8Array>, n: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  while (length < n) {
    const { value, done } = await source.read();
    if (done) break;
    parts.push(value);
    length += value.byteLength;
  }
  return concatBytes(parts);
}

/** `head`, then the rest of `source`. */
function prefixed(head: Uint8Array, source: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(head);
      },
      async pull(controller) {
        const { value, done } = await source.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => source.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}
