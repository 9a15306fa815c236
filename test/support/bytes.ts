// Byte-stream helpers for the tests of the streaming stampers: feed chunks through a stream, join the
// output, and cut a body at arbitrary points.

/** Join byte arrays into one. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

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

/** Feed `chunks` through `stream` and return everything that comes out, joined. */
export async function throughStream(chunks: readonly Uint8Array[], stream: TransformStream<Uint8Array, Uint8Array>): Promise<Uint8Array> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  const parts: Uint8Array[] = [];
  const reader = source.pipeThrough(stream).getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
  return concatBytes(parts);
}
