// Marked-mode stamping as a byte stream: every marker replaced, wherever the chunks split, nothing else touched.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createMarkerStream } from "../../src/core/marker-stream.js";
import { splitBytes, throughStream } from "../support/bytes.js";

const MARKER = "__CSP_NONCE__";
const NONCE = "AAAAAAAAAAAAAAAAAAAAAA==";


const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const run = (chunks: Uint8Array[], marker = MARKER, nonce = NONCE) => throughStream(chunks, createMarkerStream(marker, nonce));
const split = splitBytes;


describe("createMarkerStream", () => {
  it("replaces every marker in one chunk", async () => {
    const html = `<script nonce="${MARKER}">a()</script><style nonce="${MARKER}"></style><script>b()</script>`;
    expect(dec(await run([enc(html)]))).toBe(html.replaceAll(MARKER, NONCE));
  });

  it("finds a marker split across chunks", async () => {
    const html = `<script nonce="${MARKER}">`;
    const cut = html.indexOf(MARKER) + 5;
    expect(dec(await run([enc(html.slice(0, cut)), enc(html.slice(cut))]))).toBe(`<script nonce="${NONCE}">`);
  });

  it("passes a chunk without a marker through as the same bytes", async () => {
    const chunk = enc("<p>nothing here</p>");
    expect(await run([chunk])).toEqual(chunk);
  });

  it("leaves a partial marker at the end of the body alone", async () => {
    expect(dec(await run([enc("text __CSP_NON")]))).toBe("text __CSP_NON");
  });

  it("does not touch unmarked elements or other nonce values", async () => {
    const html = '<script nonce="origin-own">x</script><script>injected()</script>';
    expect(dec(await run([enc(html)]))).toBe(html);
  });

  it("keeps multi-byte characters intact around markers", async () => {
    const html = `é${MARKER}漢字${MARKER}🎉`;
    const bytes = enc(html);
    expect(dec(await run(split(bytes, [1, 3, 9, 17, 20, 22])))).toBe(html.replaceAll(MARKER, NONCE));
  });

  it("equals a whole-string replace for any text and any chunking", async () => {
    const text = fc.array(fc.oneof(fc.constantFrom(MARKER, "__", "__CSP", "_", "<script nonce=\"", "é", "漢"), fc.string({ maxLength: 6 })), { maxLength: 30 }).map((parts) => parts.join(""));
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.nat(), { maxLength: 8 }), async (html, cuts) => {
        const bytes = enc(html);
        expect(dec(await run(split(bytes, cuts)))).toBe(html.replaceAll(MARKER, NONCE));
      }),
      { seed: 1125, numRuns: 300 },
    );
  });
});
