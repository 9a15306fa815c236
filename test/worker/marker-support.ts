// Helpers for the marker tests inside workerd: ask the test origin for a body with the marker in it, and read
// a response the way a client would (decoding what the wire would carry), listing where the marker shows.

import { deflateFormat } from "../../src/core/nonce/content-coding.js";
import { containsMarker } from "../support/marker-bytes.js";

/** What /marker-body should answer (see test/support/origin.ts). */
export interface MarkerBody {
  readonly body?: string | Uint8Array;
  readonly status?: number;
  readonly headers?: readonly (readonly [string, string])[];
  /** A coding from the origin's table: gzip, br, deflate, deflate-raw, x-gzip, GZIP, gzip-gzip, identity, zstd. */
  readonly enc?: string;
  readonly force206?: boolean;
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The Worker URL of a /marker-body answer. */
export function markerUrl(spec: MarkerBody, base = "https://www.example.com"): string {
  const url = new URL("/marker-body", base);
  if (spec.body !== undefined)
    url.searchParams.set("body", base64(typeof spec.body === "string" ? new TextEncoder().encode(spec.body) : spec.body));
  if (spec.status !== undefined) url.searchParams.set("status", String(spec.status));
  for (const [name, value] of spec.headers ?? []) url.searchParams.append("h", `${name}:${value}`);
  if (spec.enc !== undefined) url.searchParams.set("enc", spec.enc);
  if (spec.force206 === true) url.searchParams.set("force206", "1");
  return url.href;
}

async function decompress(bytes: Uint8Array, format: "gzip" | "deflate" | "deflate-raw"): Promise<Uint8Array> {
  const stream = new Response(bytes).body?.pipeThrough(new DecompressionStream(format));
  return new Uint8Array(await new Response(stream ?? null).arrayBuffer());
}

/**
 * The body bytes a client ends up with. Inside the isolate a body labelled exactly `gzip` or `br` is still
 * plain (workerd encodes it on the wire, and the client decodes it again); any other coding is decoded
 * here the way a browser would (codings case-insensitive, deflate zlib or raw).
 */
export async function clientBytes(res: Response): Promise<Uint8Array> {
  let bytes: Uint8Array = new Uint8Array(await res.arrayBuffer());
  const label = res.headers.get("content-encoding");
  // No body (HEAD, 204, 304) is nothing to decode, whatever the label says.
  if (label === null || label === "gzip" || label === "br" || bytes.byteLength === 0) return bytes;
  for (const coding of label
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .reverse()) {
    if (coding === "" || coding === "identity") continue;
    const format = coding === "gzip" || coding === "x-gzip" ? "gzip" : coding === "deflate" ? deflateFormat(bytes) : undefined;
    // A coding no client decodes: its bytes are what the client has.
    if (format === undefined) return bytes;
    bytes = await decompress(bytes, format);
  }
  return bytes;
}

/** Where the marker shows in a response, in any form: header names, "status text", "body". Reads the body. */
export async function markerLeaks(res: Response, marker: string): Promise<string[]> {
  const found: string[] = [];
  for (const [name, value] of res.headers) if (value.includes(marker)) found.push(`header ${name}`);
  if (res.statusText.includes(marker)) found.push("status text");
  if (containsMarker(await clientBytes(res), marker)) found.push("body");
  return found;
}

/** A page that carries the marker where an origin would: marked elements, and the text around them. */
export function markedPage(marker: string): string {
  return `<!doctype html><html><head><script nonce="${marker}">boot()</script></head><body><p>${marker}</p>\n<script>injected()</script></body></html>\n`;
}
