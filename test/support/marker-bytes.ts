// The reference for marker scrubbing, written the slow and obvious way, and helpers that plant a marker in
// its three forms (ASCII, UTF-16-like stride 2, UTF-32-like stride 4) for the properties to compare against.

import { spread } from "../../src/core/nonce/marker-stream.js";
import { concatBytes } from "./bytes.js";

export const STRIDES = [1, 2, 4] as const;
export type Stride = (typeof STRIDES)[number];

/** Every occurrence of every form of `marker` in `input`, overlapping ones included, by start. */
export function occurrences(input: Uint8Array, marker: string): { start: number; end: number; stride: Stride }[] {
  const found: { start: number; end: number; stride: Stride }[] = [];
  for (let start = 0; start < input.byteLength; start++) {
    for (const stride of STRIDES) {
      const form = spread(marker, stride);
      if (start + form.byteLength > input.byteLength) continue;
      let hit = true;
      for (let j = 0; hit && j < form.byteLength; j++) hit = input[start + j] === form[j];
      if (hit) found.push({ start, end: start + form.byteLength - 1, stride });
    }
  }
  return found;
}

/**
 * The reference: every byte of every occurrence removed, and each occurrence replaced by `replacement` in
 * its own form, where it starts (an occurrence overlapping the one before adds its replacement there).
 */
export function scrubReference(input: Uint8Array, marker: string, replacement: string): Uint8Array {
  const out: Uint8Array[] = [];
  let cursor = 0;
  for (const { start, end, stride } of occurrences(input, marker)) {
    if (start >= cursor) out.push(input.subarray(cursor, start));
    out.push(spread(replacement, stride));
    cursor = Math.max(cursor, end + 1);
  }
  out.push(input.subarray(cursor));
  return concatBytes(out);
}

/** True when `bytes` contains any form of `marker`. */
export function containsMarker(bytes: Uint8Array, marker: string): boolean {
  return occurrences(bytes, marker).length > 0;
}

/** `text` as UTF-16 (either byte order) or UTF-32 LE: how a wide page carries an ASCII marker. */
export function wide(text: string, encoding: "utf-16le" | "utf-16be" | "utf-32le"): Uint8Array {
  const unit = encoding === "utf-32le" ? 4 : 2;
  const out = new Uint8Array(text.length * unit);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (encoding === "utf-16be") {
      out[i * 2] = code >> 8;
      out[i * 2 + 1] = code & 0xff;
    } else {
      out[i * unit] = code & 0xff;
      out[i * unit + 1] = code >> 8;
    }
  }
  return out;
}
