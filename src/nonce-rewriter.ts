// Stamp this response's nonce into an HTML body as it streams: marked mode replaces the origin's marker
// byte-wise; blanket mode gives the nonce to every script and style start tag (core/tag-stamper.ts).

import { reader, type ChunkTransformer } from "./core/chunk-transform.js";
import { markerScrubber, type CompiledMarker } from "./core/marker-stream.js";
import type { NoncePlan } from "./core/policy.js";
import { tagStampTransformer } from "./core/tag-stamper.js";

/**
 * A new Response around the same status and headers whose body carries the nonce. Both modes are byte
 * transforms of our own rather than HTMLRewriter: lol-html, strict in workerd, aborts mid-stream on some
 * markup (`<select><style>`) and the page is cut off after its headers have gone out; neither transform
 * can abort, and neither runs a callback per element.
 *
 * The body is read in large BYOB reads and written to a native IdentityTransformStream: the response then
 * leaves through workerd's own stream machinery, and JavaScript touches a 1 MiB page ~16 times, not ~256.
 */
export function stampNonce(
  response: Response,
  plan: NoncePlan,
  nonce: string,
  marker: CompiledMarker | null,
  ctx: Pick<ExecutionContext, "waitUntil">,
): Response | Promise<Response> {
  const body = response.body;
  if (body === null) return response;
  if (plan.mode === "marked" && marker === null) throw new Error("a marked nonce without the site's marker");
  const transformer = plan.mode === "marked" && marker !== null ? markerScrubber(marker, nonce) : tagStampTransformer(plan, nonce);
  if (isSmallWholeBody(response.headers)) return stampWhole(response, transformer);
  const { readable, writable } = new IdentityTransformStream();
  ctx.waitUntil(pump(body, transformer, writable));
  return new Response(readable, response);
}

/** A page this small, with its length declared up front, is read whole: one native read, no stream. */
export const SMALL_BODY_BYTES = 64 * 1024;

/**
 * True for an uncompressed body whose declared length is at most SMALL_BODY_BYTES. The origin has the
 * whole page when it declares its length, so reading it whole delays the first byte by at most the time
 * 64 KiB takes to arrive, and saves a stream per response (most of the cost of a small page). A body of
 * unknown length (a streamed page) is never read whole.
 */
function isSmallWholeBody(headers: Headers): boolean {
  const length = headers.get("Content-Length");
  const encoding = headers.get("Content-Encoding");
  if (length === null || (encoding !== null && encoding.trim().toLowerCase() !== "identity")) return false;
  const n = Number(length);
  return Number.isInteger(n) && n >= 0 && n <= SMALL_BODY_BYTES;
}

async function stampWhole(response: Response, transformer: ChunkTransformer): Promise<Response> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    // The origin broke off mid-body: the client sees the same, a body that ends in an error.
    return new Response(new ReadableStream({ start: (controller) => controller.error(error) }), response);
  }
  const pieces: Uint8Array[] = [];
  const collect = (chunk: Uint8Array) => pieces.push(chunk);
  transformer.transform(bytes, collect);
  transformer.flush(collect);
  return new Response(pieces.length === 1 ? pieces[0] : concatAll(pieces), response);
}

function concatAll(pieces: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.byteLength;
  }
  return out;
}

/** Move the body through the transformer into the writable; every way out ends the writable. */
async function pump(body: ReadableStream<Uint8Array>, transformer: ChunkTransformer, writable: WritableStream<Uint8Array>): Promise<void> {
  const writer = writable.getWriter();
  const pending: Uint8Array[] = [];
  const enqueue = (chunk: Uint8Array) => {
    if (chunk.byteLength > 0) pending.push(chunk);
  };
  let reads: ReturnType<typeof reader> | undefined;
  try {
    reads = reader(body);
    for (;;) {
      const { value, done } = await reads.next();
      if (done) break;
      transformer.transform(value, enqueue);
      for (const chunk of pending.splice(0)) await writer.write(chunk);
    }
    transformer.flush(enqueue);
    for (const chunk of pending.splice(0)) await writer.write(chunk);
    await writer.close();
  } catch (error) {
    // The origin's stream failed or the client went away: end both sides rather than hang.
    await Promise.allSettled([writer.abort(error), reads?.cancel(error)]);
  }
}
