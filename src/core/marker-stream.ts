// Marked-mode stamping: replace the origin's nonce marker with this response's nonce as the bytes stream
// by. No HTML parsing and no per-element callback: a native byte search per chunk.

import { transformStream, type ChunkTransformer } from "./chunk-transform.js";

const encoder = new TextEncoder();

/**
 * A transformer that replaces every occurrence of `marker` with `nonce`. Both are ASCII, and in UTF-8 no
 * byte of a multi-byte character is ASCII, so a byte search can neither split a character nor match
 * inside one. A marker split across chunks is found too: a tail that could start one is held back.
 */
export function markerTransformer(marker: string, nonce: string): ChunkTransformer {
  const needle = encoder.encode(marker);
  const replacement = encoder.encode(nonce);
  let carry: Uint8Array | undefined;
  return {
    transform(chunk, enqueue) {
      const input = carry === undefined ? chunk : concat(carry, chunk);
      carry = undefined;
      const { output, rest } = replaceIn(input, needle, replacement);
      enqueue(output);
      if (rest.byteLength > 0) carry = rest;
    },
    flush(enqueue) {
      if (carry !== undefined) enqueue(carry);
    },
  };
}

/** The marker replacement as a TransformStream. */
export function createMarkerStream(marker: string, nonce: string): TransformStream<Uint8Array, Uint8Array> {
  return transformStream(markerTransformer(marker, nonce));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

/** Replace complete matches; return what is safe to send and a tail that might begin a match. */
export function replaceIn(input: Uint8Array, needle: Uint8Array, replacement: Uint8Array): { output: Uint8Array; rest: Uint8Array } {
  const first = needle[0] ?? 0;
  const matches: number[] = [];
  let at = input.indexOf(first);
  let safeEnd = input.byteLength;
  while (at !== -1) {
    if (at + needle.byteLength > input.byteLength) {
      // Too close to the end to decide: hold it back if it is a prefix of the marker.
      if (isPrefixAt(input, at, needle)) {
        safeEnd = at;
        break;
      }
    } else if (matchesAt(input, at, needle)) {
      matches.push(at);
      at = input.indexOf(first, at + needle.byteLength);
      continue;
    }
    at = input.indexOf(first, at + 1);
  }
  const rest = input.subarray(safeEnd);
  if (matches.length === 0) return { output: input.subarray(0, safeEnd), rest };
  const output = new Uint8Array(safeEnd + matches.length * (replacement.byteLength - needle.byteLength));
  let from = 0;
  let to = 0;
  for (const match of matches) {
    output.set(input.subarray(from, match), to);
    to += match - from;
    output.set(replacement, to);
    to += replacement.byteLength;
    from = match + needle.byteLength;
  }
  output.set(input.subarray(from, safeEnd), to);
  return { output, rest };
}

function matchesAt(input: Uint8Array, at: number, needle: Uint8Array): boolean {
  for (let i = 1; i < needle.byteLength; i++) if (input[at + i] !== needle[i]) return false;
  return true;
}

function isPrefixAt(input: Uint8Array, at: number, needle: Uint8Array): boolean {
  for (let i = 1; at + i < input.byteLength; i++) if (input[at + i] !== needle[i]) return false;
  return true;
}
