// Property 3 of issue 8 at the caps: the output of a body with start tags at and around MAX_TAG_BYTES
// (a held script, style or link tag: its bytes wait for its ">") is the same however the body is cut.
// A tag over the cap is given up on by its length alone, never by where a chunk happened to end.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_TAG_BYTES } from "../../src/core/nonce/tag-stamper.js";
import { budget, SEED } from "./budget.js";
import { bytesOf, cut, latin1, NONCE, stamp } from "./differential.js";

/** Held tags whose length is `n` bytes of padding plus their own syntax. */
const SHAPES: readonly ((pad: string) => string)[] = [
  (pad) => `<script ${pad}>`,
  (pad) => `<script src="${pad}">`,
  (pad) => `<script src='${pad}'>`,
  (pad) => `<script src=${pad}>`,
  (pad) => `<style title="a>${pad}">`,
  (pad) => `<link rel=stylesheet href="${pad}">`,
  (pad) => `<link ${pad} rel=stylesheet>`,
  (pad) => `<script/${pad}>`,
  (pad) => `<script src="${pad}`,
];

const longTagDocument = fc
  .record({
    shape: fc.nat(SHAPES.length - 1),
    // Padding from a little under the cap to a little over it, where the answer changes.
    length: fc.integer({ min: MAX_TAG_BYTES - 40, max: MAX_TAG_BYTES + 40 }),
    before: fc.constantFrom("", "<script>a()</script>", "<p>x", "<svg><style>s</style></svg>"),
    after: fc.constantFrom("", "a()</script><script>b()</script>", "</style><style>c{}</style>", "<link rel=stylesheet href=d>"),
  })
  .map(({ shape, length, before, after }) => `${before}${(SHAPES[shape] ?? String)("x".repeat(length))}${after}`);

/** Random cut points, or reads of one random small size (so some chunk ends near the tag's end). */
const chunking = fc.oneof(
  fc.array(fc.nat(), { minLength: 1, maxLength: 12 }).map((points) => ({ points, size: 0 })),
  fc.integer({ min: 1, max: 64 }).map((size) => ({ points: [] as number[], size })),
);

describe("start tags around the cap", () => {
  it("give the same output however the body is cut", () => {
    fc.assert(
      fc.property(longTagDocument, chunking, (text, { points, size }) => {
        const bytes = bytesOf(text);
        const whole = stamp([bytes]);
        const at = size > 0 ? Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => i * size) : points;
        const split = stamp(
          cut(
            bytes,
            at.map((p) => p % (bytes.length + 1)),
          ),
        );
        // Compared as a flag: a failure message with two 64 KiB strings helps no one.
        expect(latin1(split.output) === latin1(whole.output), `cut at ${JSON.stringify(at.slice(0, 12))}`).toBe(true);
        expect(split.outcome).toEqual(whole.outcome);
      }),
      { seed: SEED, numRuns: budget(60, 2_000) },
    );
  });

  it("give the same output in chunks that end right around the tag's end", () => {
    // The tag runs from its name's end (where the nonce would go) to its ">": the padding plus two bytes.
    for (const length of [MAX_TAG_BYTES - 3, MAX_TAG_BYTES - 2, MAX_TAG_BYTES - 1, MAX_TAG_BYTES, MAX_TAG_BYTES + 5]) {
      const text = `<script ${"x".repeat(length)}>a()</script><script>b()</script>`;
      const bytes = bytesOf(text);
      const whole = latin1(stamp([bytes]).output);
      for (let at = MAX_TAG_BYTES - 4; at < MAX_TAG_BYTES + 16; at++) {
        expect(latin1(stamp(cut(bytes, [at])).output) === whole, `length ${length}, cut at ${at}`).toBe(true);
      }
      const small = Array.from({ length: Math.ceil(bytes.length / 1000) }, (_, i) => i * 1000);
      expect(latin1(stamp(cut(bytes, small)).output) === whole, `length ${length}, 1000-byte reads`).toBe(true);
      // A tag within the cap is stamped, a longer one is not: the length decides, not the chunking.
      const stamped = whole.split(`nonce="${NONCE}"`).length - 1;
      expect(stamped).toBe(length + 2 <= MAX_TAG_BYTES ? 2 : 0);
    }
  });
});
