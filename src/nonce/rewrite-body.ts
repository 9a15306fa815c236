// Rewrite a response body as it streams: marked paths scrub the site's marker (nonce or filler in its place);
// blanket mode gives the nonce to every script and style start tag (core/tag-stamper.ts). Bodies in a coding
// workerd leaves encoded (deflate, x-gzip, stacked gzip) are decoded first, so the bytes scrubbed are the
// bytes a client decodes.

import { reader, type ChunkTransformer } from "../core/nonce/chunk-transform.js";
import { deflateFormat, type BodyCoding, type DecodableCoding } from "../core/nonce/content-coding.js";
import { markerScrubber, type CompiledMarker } from "../core/nonce/marker-stream.js";
import type { NoncePlan } from "../core/policy/types.js";
import { adjustForDecodedBody, scrubHeaders } from "../core/nonce/stamped-response.js";
import { tagStampTransformer } from "../core/nonce/tag-stamper.js";

/** What to do to one body: the byte transform, how to read the body, and whether its length stays. */
export interface BodyRewrite {
  readonly transformer: ChunkTransformer;
  readonly coding: Exclude<BodyCoding, { kind: "refuse" }>;
  readonly sameLength: boolean;
}

/** The transform for a body: the marker scrubbed, then (blanket mode) tags stamped, or either alone. */
export function bodyTransformer(
  scrub: { readonly marker: CompiledMarker; readonly replacement: string } | null,
  tags: { readonly plan: NoncePlan; readonly nonce: string } | null,
  onGiveUp?: (reason: string, at: number) => void,
): ChunkTransformer {
  const scrubber = scrub === null ? null : markerScrubber(scrub.marker, scrub.replacement);
  const stamper = tags === null ? null : tagStampTransformer(tags.plan, tags.nonce, onGiveUp === undefined ? {} : { onGiveUp });
  if (scrubber !== null && stamper !== null) return chain(scrubber, stamper);
  const only = scrubber ?? stamper;
  if (only === null) throw new Error("a body rewrite with nothing to do");
  return only;
}

function chain(first: ChunkTransformer, second: ChunkTransformer): ChunkTransformer {
  return {
    transform(chunk, enqueue) {
      first.transform(chunk, (c) => second.transform(c, enqueue));
    },
    flush(enqueue) {
      first.flush((c) => second.transform(c, enqueue));
      second.flush(enqueue);
    },
  };
}

/**
 * A new Response around the same status and headers whose body went through the transform. Byte
 * transforms of our own rather than HTMLRewriter: lol-html, strict in workerd, aborts mid-stream on some
 * markup (`<select><style>`) and the page is cut off after its headers have gone out; these cannot abort,
 * and run no callback per element.
 *
 * The body is read in large BYOB reads and written to a native IdentityTransformStream (a FixedLengthStream
 * when its length stays, so a download keeps its Content-Length): the response then leaves through
 * workerd's own stream machinery, and JavaScript touches a 1 MiB page ~16 times, not ~256.
 */
export function rewriteBody(response: Response, rewrite: BodyRewrite, ctx: Pick<ExecutionContext, "waitUntil">): Response | Promise<Response> {
  const body = response.body;
  if (body === null) return response;
  if (rewrite.coding.kind === "identity" && isSmallWholeBody(response.headers)) return stampWhole(response, rewrite.transformer);
  const length = rewrite.sameLength && rewrite.coding.kind === "identity" ? declaredLength(response.headers) : undefined;
  let source = body;
  if (rewrite.coding.kind === "decode") {
    source = decode(body, rewrite.coding.steps);
    // Before the new Response reads them: no coding label on bytes that are no longer encoded.
    adjustForDecodedBody(response.headers);
  } else if (length === undefined) response.headers.delete("Content-Length");
  const { readable, writable } = length === undefined ? new IdentityTransformStream() : new FixedLengthStream(length);
  ctx.waitUntil(pump(source, rewrite.transformer, writable));
  return new Response(readable, response);
}

/** A page this small, with its length declared up front, is read whole: one native read, no stream. */
export const SMALL_BODY_BYTES = 64 * 1024;

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
    // The origin's stream failed (or would not decode) or the client went away: end both sides rather than hang.
    await Promise.allSettled([writer.abort(error), reads?.cancel(error)]);
  }
}

/** The body decoded through each coding in turn (the header's last coding first). */
function decode(body: ReadableStream<Uint8Array>, steps: readonly DecodableCoding[]): ReadableStream<Uint8Array> {
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
          inner = prefixed(head, source).pipeThrough(new DecompressionStream(deflateFormat(head))).getReader();
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
  return concatAll(parts);
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

/**
 * The response with no trace of the marker outside its body: every header value (Set-Cookie included) and
 * the status text rewritten with the body's replacement, and `Accept-Ranges: none`, since the Worker
 * answers no ranges on a marked path.
 */
export function withoutMarker(response: Response, marker: string, replacement: string): Response {
  scrubHeaders(response.headers, marker, replacement);
  // A 101 carries the WebSocket and cannot be rebuilt from an init dictionary; it has no ranges either.
  if (response.status === 101) return response;
  response.headers.set("Accept-Ranges", "none");
  if (!response.statusText.includes(marker)) return response;
  return new Response(response.body, { status: response.status, statusText: response.statusText.replaceAll(marker, replacement), headers: response.headers });
}
