// Rewrite a response body as it streams, through the core's stream driver (core/nonce/body-driver.ts):
// marked paths scrub the site's marker (nonce or filler in its place); blanket mode gives the nonce to
// every script and style start tag (core/nonce/tag-stamper.ts).

import { driveBody, transformChunks, type ChunkTransformer } from "../core/nonce/body-driver.js";
import type { BodyCoding } from "../core/nonce/content-coding.js";
import { adjustForDecodedBody, scrubHeaderValues } from "../core/nonce/stamped-response.js";
import type { Scrub } from "../core/nonce/body-transformer.js";
import { concatBytes } from "../core/shared/bytes.js";
import { decode } from "./decode-body.js";

/** What to do to one body: the byte transform, how to read the body, and whether its length stays. */
export interface BodyRewrite {
  readonly transformer: ChunkTransformer;
  readonly coding: Exclude<BodyCoding, { kind: "refuse" }>;
  readonly sameLength: boolean;
}

/** A page this small, with its length declared up front, is read whole: one native read, no stream. */
export const SMALL_BODY_BYTES = 64 * 1024;

/**
 * A new Response around the same status and headers whose body went through the transform. Byte
 * transforms of our own rather than HTMLRewriter: lol-html, strict in workerd, aborts mid-stream on some
 * markup (`<select><style>`) and the page is cut off after its headers have gone out; these cannot abort,
 * and run no callback per element.
 *
 * The body is read in large BYOB reads and written to a native IdentityTransformStream (a FixedLengthStream
 * when its length stays, so a download keeps its Content-Length): the response then leaves through
 * workerd's own stream machinery, and JavaScript touches a 1 MiB page a handful of times (4 reads of
 * 256 KiB when the bytes are there), not 256. Bodies in a coding workerd leaves encoded are decoded first.
 */
export function rewriteBody(
  response: Response,
  rewrite: BodyRewrite,
  ctx: Pick<ExecutionContext, "waitUntil">,
): Response | Promise<Response> {
  // workers-types leaves a body's chunk type open; a fetch body's chunks are bytes.
  const body = response.body as ReadableStream<Uint8Array> | null;
  if (body === null) return response;
  if (rewrite.coding.kind === "identity" && isSmallWholeBody(response.headers)) return rewriteWhole(response, rewrite.transformer);
  const length = rewrite.sameLength && rewrite.coding.kind === "identity" ? declaredLength(response.headers) : undefined;
  let source = body;
  if (rewrite.coding.kind === "decode") {
    source = decode(body, rewrite.coding.steps);
    // Before the new Response reads them: no coding label on bytes that are no longer encoded.
    adjustForDecodedBody(response.headers);
  } else if (length === undefined) response.headers.delete("Content-Length");
  const { readable, writable } = length === undefined ? new IdentityTransformStream() : new FixedLengthStream(length);
  ctx.waitUntil(driveBody(source, rewrite.transformer, writable.getWriter()));
  return new Response(readable, response);
}

function declaredLength(headers: Headers): number | undefined {
  const n = Number(headers.get("Content-Length") ?? "x");
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * True for an uncompressed body whose declared length is at most SMALL_BODY_BYTES. The origin has the
 * whole page when it declares its length, so reading it whole delays the first byte by at most the time
 * 64 KiB takes to arrive, and saves a stream per response (most of the cost of a small page). A body of
 * unknown length (a streamed page) is never read whole.
 */
function isSmallWholeBody(headers: Headers): boolean {
  const n = declaredLength(headers);
  return n !== undefined && n <= SMALL_BODY_BYTES;
}

/** A small page read whole and run through the driver as one read. */
async function rewriteWhole(response: Response, transformer: ChunkTransformer): Promise<Response> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    // The origin broke off mid-body: the client sees the same, a body that ends in an error.
    return new Response(new ReadableStream({ start: (controller) => controller.error(error) }), response);
  }
  return new Response(concatBytes(transformChunks([bytes], transformer)), response);
}

/**
 * The response with no trace of a marker outside its body: every header value (Set-Cookie included) and
 * the status text rewritten with the body's replacements, and on a marked path `Accept-Ranges: none`,
 * since the Worker answers no ranges there. Null, with nothing sent, when a header name carries a marker
 * (the caller refuses the response: a name cannot be rewritten).
 */
export function withoutMarker(response: Response, scrubs: readonly Scrub[], marked = true): Response | null {
  const values = scrubs.map(({ marker, replacement }) => ({ marker: marker.marker, replacement }));
  if (!scrubHeaderValues(response.headers, values)) return null;
  // A 101 carries the WebSocket and cannot be rebuilt from an init dictionary; it has no ranges either.
  if (response.status === 101) return response;
  if (marked) response.headers.set("Accept-Ranges", "none");
  let statusText = response.statusText;
  for (const { marker, replacement } of values) statusText = statusText.replaceAll(marker, replacement);
  if (statusText === response.statusText) return response;
  return new Response(response.body, { status: response.status, statusText, headers: response.headers });
}
