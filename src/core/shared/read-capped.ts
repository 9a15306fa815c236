// Read a stream into memory only up to a cap, for inputs that must be whole but may be hostile or huge
// (a KV document, a CSP report, the summary the CLI fetches): past the cap the rest is never read.

import { concatBytes } from "./bytes.js";

/** The stream's bytes, or undefined when it holds more than `max` bytes (the stream is then cancelled). */
export async function readCapped(body: ReadableStream<Uint8Array> | null, max: number): Promise<Uint8Array | undefined> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return concatBytes(chunks);
}
