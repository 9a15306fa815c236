// Fuzzing marked-mode scrubbing through the transformer the Worker runs (markerScrubber): random bodies with
// the marker planted anywhere in any form, cut into any chunks, against the obvious slow reference; and the
// work it does, counted, on bodies built to make a naive search slow.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { transformChunks } from "../../../src/core/nonce/body-driver.js";
import { compileMarker, markerScrubber, spread, type MarkerScrubber } from "../../../src/core/nonce/marker-stream.js";
import { createMarker, markerProblem } from "../../../src/core/nonce/nonce-marker.js";
import { fuzzParameters } from "../../fuzz-config.js";
import { concatBytes, splitBytes } from "../../support/bytes.js";
import { containsMarker, occurrences, scrubReference, STRIDES } from "../../support/marker-bytes.js";

const encoder = new TextEncoder();
const ALPHABET = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"];

/** Run chunks through a scrubber with the Worker's stream driver, one read per chunk. */
function drive(scrubber: MarkerScrubber, chunks: readonly Uint8Array[]): Uint8Array {
  return concatBytes(transformChunks(chunks, scrubber));
}

/** Markers the rules accept, drawn (never written down). */
const marker = fc
  .string({ unit: fc.constantFrom(...ALPHABET), minLength: 22, maxLength: 48 })
  .filter((m) => markerProblem(m) === undefined);

/** Markers that overlap themselves (P + x + P): the case a leftmost-only replace would leave pieces of. */
const bordered = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: 10, maxLength: 16 }),
    fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: 2, maxLength: 4 }),
  )
  .map(([p, x]) => `${p}${x}${p}`)
  .filter((m) => markerProblem(m) === undefined);

/** A replacement as the Worker draws them: a 16-byte base64 nonce, or filler of the marker's length. */
function replacement(m: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => btoa(String.fromCharCode(...b))),
    fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: m.length, maxLength: m.length }),
  );
}

const stride = fc.constantFrom(...STRIDES);

/** Noise: HTML bits, invalid UTF-8, NULs, CR/LF, the marker's own letters, random bytes. */
function noise(m: string): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.constantFrom(
      encoder.encode('<script nonce="'),
      encoder.encode('">'),
      Uint8Array.of(0x00),
      Uint8Array.of(0x00, 0x00, 0x00),
      Uint8Array.of(0xff, 0xfe),
      Uint8Array.of(0xef, 0xbb, 0xbf),
      Uint8Array.of(0xc3),
      Uint8Array.of(0x0d, 0x0a),
    ),
    fc.uint8Array({ maxLength: 8 }),
    fc.string({ unit: fc.constantFrom(...new Set(m)), maxLength: 10 }).map((s) => encoder.encode(s)),
  );
}

/** A fragment of a form of the marker: a prefix or a suffix, of at most `max` bytes short of whole. */
function fragment(m: string, shortBy: number): fc.Arbitrary<Uint8Array> {
  return fc.tuple(stride, fc.boolean(), fc.nat()).map(([s, head, n]) => {
    const form = spread(m, s);
    const keep = n % Math.max(1, form.byteLength - shortBy + 1);
    return head ? form.slice(0, keep) : form.slice(form.byteLength - keep);
  });
}

/** Cut points for any chunking, empty chunks included (a stream may carry them). */
const cuts = fc.array(fc.nat(), { maxLength: 12 });

describe("markerScrubber on any body, any chunking", () => {
  it("equals the reference: every byte of every occurrence removed, each occurrence replaced in its form", () => {
    fc.assert(
      fc.property(
        fc.oneof(marker, bordered).chain((m) =>
          fc.tuple(
            fc.constant(m),
            replacement(m),
            fc.array(
              fc.oneof(
                stride.map((s) => spread(m, s)),
                fragment(m, 1),
                noise(m),
              ),
              { maxLength: 24 },
            ),
            cuts,
          ),
        ),
        ([m, r, pieces, points]) => {
          const body = concatBytes(pieces);
          const out = drive(markerScrubber(compileMarker(m), r), splitBytes(body, points, { keepEmpty: true }));
          expect(out).toEqual(scrubReference(body, m, r));
        },
      ),
      fuzzParameters(400),
    );
  });

  it("never lets the marker out in any form, and changes nothing but the planted markers", () => {
    fc.assert(
      fc.property(
        marker.chain((m) =>
          fc.tuple(
            fc.constant(m),
            replacement(m),
            fc.array(
              fc.oneof(
                stride.map((s) => ({ planted: s })),
                fragment(m, 4).map((bytes) => ({ bytes })),
                noise(m).map((bytes) => ({ bytes })),
              ),
              { maxLength: 24 },
            ),
            cuts,
          ),
        ),
        ([m, r, pieces, points]) => {
          const body = concatBytes(pieces.map((p) => ("planted" in p ? spread(m, p.planted) : p.bytes)));
          // Two fragments side by side can make a whole marker of their own: then more than the planted
          // ones must go (the first property covers that); this one is about the planted ones.
          fc.pre(occurrences(body, m).length === pieces.filter((p) => "planted" in p).length);
          const expected = concatBytes(pieces.map((p) => ("planted" in p ? spread(r, p.planted) : p.bytes)));
          const out = drive(markerScrubber(compileMarker(m), r), splitBytes(body, points, { keepEmpty: true }));
          expect(out).toEqual(expected);
          expect(containsMarker(out, m)).toBe(false);
        },
      ),
      fuzzParameters(400),
    );
  });
});

describe("markerScrubber's work is linear in the body", () => {
  const n = 1 << 20;
  const fill = (unit: Uint8Array): Uint8Array => {
    const out = new Uint8Array(n);
    for (let at = 0; at < n; at += unit.byteLength) out.set(unit.subarray(0, Math.min(unit.byteLength, n - at)), at);
    return out;
  };
  const plain = createMarker();
  let selfOverlapping = "";
  while (markerProblem(selfOverlapping) !== undefined) {
    const part = createMarker().slice(0, 11);
    selfOverlapping = `${part}Z_${part}`;
  }

  it.each([
    ["the marker's first byte repeated", plain, () => fill(encoder.encode(plain.slice(0, 1)))],
    ["the marker less its last byte, repeated", plain, () => fill(encoder.encode(`${plain.slice(0, -1)}!`))],
    [
      "the UTF-16 form less its last byte, repeated",
      plain,
      () => fill(concatBytes([spread(plain.slice(0, -1), 2), Uint8Array.of(0, 0x21)])),
    ],
    [
      "the UTF-32 form less its last byte, repeated",
      plain,
      () => fill(concatBytes([spread(plain.slice(0, -1), 4), Uint8Array.of(0, 0, 0, 0x21)])),
    ],
    ["a self-overlapping marker chained end to end", selfOverlapping, () => fill(encoder.encode(selfOverlapping.slice(0, 13)))],
    ["an ordinary page", plain, () => fill(encoder.encode(`<p>Lorem ipsum dolor sit amet</p><script nonce="${plain}">x()</script>\n`))],
  ])("on %s: at most one step per byte, three fallbacks per step, one search per byte", (_, m, build) => {
    const body = build();
    const scrubber = markerScrubber(compileMarker(m), "AAAAAAAAAAAAAAAAAAAAAA==");
    drive(scrubber, splitBytes(body, [4096, 65536, 65537, 300000, 1000000]));
    const { steps, fallbacks, searches } = scrubber.work;
    // A step is a byte compared one at a time, by the direct compare of a candidate or by the automata.
    expect(steps).toBeLessThanOrEqual(n);
    expect(fallbacks).toBeLessThanOrEqual(3 * steps);
    expect(searches).toBeLessThanOrEqual(n + 6);
    // Horspool windows only move forward: at most one per byte.
    expect(scrubber.work.skips).toBeLessThanOrEqual(n);
  });

  // A marker whose first character is a common letter: its search must not stop at each one. The '.' and
  // '!' make it one no site could use (the repository publishes no usable marker); the scrubber takes it.
  const common = "eQ7.ZK2!R9WVJ3HXP5TN8MYC4BFD6GAU";
  it.each([
    ["the marker's first byte repeated", () => fill(encoder.encode("e"))],
    ["English text full of it", () => fill(encoder.encode("<p>the entire essence of the sentence here.</p>\n"))],
    ["English text with a NUL now and then", () => fill(encoder.encode(`<p>${"these were seen, and then the rest. ".repeat(8)}</p>\0`))],
  ])("on %s: looks at fewer than one byte in eight", (_, build) => {
    const body = build();
    const scrubber = markerScrubber(compileMarker(common), "AAAAAAAAAAAAAAAAAAAAAA==");
    drive(scrubber, splitBytes(body, [4096, 65536, 65537, 300000, 1000000]));
    const { steps, searches, skips } = scrubber.work;
    expect(steps + searches + skips).toBeLessThan(n / 8);
  });
});
