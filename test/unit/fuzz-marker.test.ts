// Fuzzing marked-mode stamping on raw bytes (invalid UTF-8, Latin-1, NUL, any marker the schema allows, any chunking): everything but the marker passes byte for byte.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createMarkerStream } from "../../src/core/marker-stream.js";
import { fuzzParameters } from "../fuzz-config.js";
import { concatBytes, splitBytes, throughStream } from "../support/bytes.js";

const encoder = new TextEncoder();
const pipe = (chunks: readonly Uint8Array[], marker: string, nonce: string) => throughStream(chunks, createMarkerStream(marker, nonce));
const concat = concatBytes;



/** The reference: scan left to right, replace each whole marker, skip past it, copy every other byte. */
function replaceBytes(input: Uint8Array, needle: Uint8Array, replacement: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < input.byteLength) {
    let hit = i + needle.byteLength <= input.byteLength;
    for (let j = 0; hit && j < needle.byteLength; j++) hit = input[i + j] === needle[j];
    if (hit) {
      out.push(...replacement);
      i += needle.byteLength;
    } else {
      out.push(input[i] ?? 0);
      i++;
    }
  }
  return Uint8Array.from(out);
}

/** Cut at every point, repeated ones too: empty chunks are part of what the stream must take. */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  return splitBytes(bytes, cuts, { keepEmpty: true });
}

/** Markers the policy schema accepts (8 to 64 of A-Za-z0-9_-), many of them self-overlapping. */
const marker = fc.oneof(
  fc.constantFrom("__CSP_NONCE__", "aaaaaaaa", "abababab", "aaaaaaab", "abaabaab", "________", "--------x"),
  fc.string({ unit: fc.constantFrom("a", "b", "_"), minLength: 8, maxLength: 12 }),
  fc.string({ unit: fc.constantFrom(..."ABCxyz019_-"), minLength: 8, maxLength: 64 }),
);
const nonce = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => btoa(String.fromCharCode(...b)));

/** Bytes built from the marker, its prefixes and suffixes, invalid UTF-8, Latin-1, NUL, CR/LF and the marker's own letters. */
function body(markerText: string): fc.Arbitrary<Uint8Array> {
  const m = encoder.encode(markerText);
  const piece = fc.oneof(
    fc.constant(m),
    fc.nat({ max: m.byteLength }).map((n) => m.slice(0, n)),
    fc.nat({ max: m.byteLength }).map((n) => m.slice(n)),
    fc.constantFrom(
      Uint8Array.of(0xff, 0xfe),
      Uint8Array.of(0xc3),
      Uint8Array.of(0xe2, 0x80),
      Uint8Array.of(0xf0, 0x9f, 0x98),
      Uint8Array.of(0xe9, 0xe8, 0xa0),
      Uint8Array.of(0x00),
      Uint8Array.of(0x0d, 0x0a),
      Uint8Array.of(0xef, 0xbb, 0xbf),
      encoder.encode('<meta charset="iso-8859-1"><script nonce="'),
    ),
    fc.uint8Array({ maxLength: 8 }),
    fc.string({ unit: fc.constantFrom(...new Set(markerText)), maxLength: 10 }).map((s) => encoder.encode(s)),
  );
  return fc.array(piece, { maxLength: 24 }).map(concat);
}

describe("createMarkerStream on raw bytes", () => {
  it("equals a byte-wise replace for any bytes, any schema-valid marker and any chunking", async () => {
    await fc.assert(
      fc.asyncProperty(
        marker.chain((m) => fc.tuple(fc.constant(m), body(m), fc.array(fc.nat(), { maxLength: 10 }))),
        nonce,
        async ([m, bytes, cuts], n) => {
          const expected = replaceBytes(bytes, encoder.encode(m), encoder.encode(n));
          expect(await pipe(split(bytes, cuts), m, n)).toEqual(expected);
        },
      ),
      fuzzParameters(400),
    );
  });

  it("passes a body without the marker through unchanged, one byte per chunk included", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (bytes, bytewise) => {
        const chunks = bytewise ? [...bytes].map((b) => Uint8Array.of(b)) : [bytes];
        const out = await pipe(chunks, "__CSP_NONCE__", "AAAAAAAAAAAAAAAAAAAAAA==");
        expect(out).toEqual(replaceBytes(bytes, encoder.encode("__CSP_NONCE__"), encoder.encode("AAAAAAAAAAAAAAAAAAAAAA==")));
      }),
      fuzzParameters(300),
    );
  });
});
