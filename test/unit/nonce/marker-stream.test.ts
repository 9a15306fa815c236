// Marked-mode scrubbing as a byte stream: every marker replaced in each of its forms, wherever the chunks
// split, with nothing else touched.

import { describe, expect, it } from "vitest";
import { transformChunks } from "../../../src/core/nonce/body-driver.js";
import { compileMarker, markerScrubber, spread } from "../../../src/core/nonce/marker-stream.js";
import { createMarker, markerProblem } from "../../../src/core/nonce/nonce-marker.js";
import { concatBytes, drive, splitBytes } from "../../support/bytes.js";
import { scrubReference, wide } from "../../support/marker-bytes.js";

const MARKER = createMarker();
const NONCE = "AAAAAAAAAAAAAAAAAAAAAA==";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const run = (chunks: Uint8Array[], marker = MARKER, nonce = NONCE) => drive(chunks, markerScrubber(compileMarker(marker), nonce));

describe("markerScrubber through the stream driver", () => {
  it("replaces every marker in one chunk", async () => {
    const html = `<script nonce="${MARKER}">a()</script><style nonce="${MARKER}"></style><script>b()</script>`;
    expect(dec(await run([enc(html)]))).toBe(html.replaceAll(MARKER, NONCE));
  });

  it("finds a marker split across chunks", async () => {
    const html = `<script nonce="${MARKER}">`;
    const cut = html.indexOf(MARKER) + 5;
    expect(dec(await run([enc(html.slice(0, cut)), enc(html.slice(cut))]))).toBe(`<script nonce="${NONCE}">`);
  });

  it("finds a marker cut into one-byte chunks", async () => {
    const bytes = enc(`x${MARKER}y`);
    expect(dec(await run([...bytes].map((b) => Uint8Array.of(b))))).toBe(`x${NONCE}y`);
  });

  it("passes a chunk without a marker through as the same bytes", async () => {
    const chunk = enc("<p>nothing here</p>");
    expect(await run([chunk])).toEqual(chunk);
  });

  it("leaves a partial marker at the end of the body alone", async () => {
    const partial = `text ${MARKER.slice(0, -1)}`;
    expect(dec(await run([enc(partial)]))).toBe(partial);
  });

  it("does not touch unmarked elements or other nonce values", async () => {
    const html = '<script nonce="origin-own">x</script><script>injected()</script>';
    expect(dec(await run([enc(html)]))).toBe(html);
  });

  it("keeps multi-byte characters intact around markers", async () => {
    const html = `é${MARKER}漢字${MARKER}🎉`;
    expect(dec(await run(splitBytes(enc(html), [1, 3, 9, 17, 20, 22])))).toBe(html.replaceAll(MARKER, NONCE));
  });
});

describe("the marker in wide encodings", () => {
  it.each(["utf-16le", "utf-16be", "utf-32le"] as const)("is replaced in a %s page, which stays well-formed", async (encoding) => {
    const page = `<!doctype html><script nonce="${MARKER}">go()</script>`;
    const out = await run(splitBytes(wide(page, encoding), [7, 60, 61, 99]));
    expect(out).toEqual(wide(page.replace(MARKER, NONCE), encoding));
  });

  it("keeps the stride of the form it replaced", () => {
    const scrubber = markerScrubber(compileMarker(MARKER), NONCE);
    const out = transformChunks([concatBytes([enc("a"), spread(MARKER, 4), enc("b")])], scrubber);
    expect(concatBytes(out)).toEqual(concatBytes([enc("a"), spread(NONCE, 4), enc("b")]));
  });
});

describe("overlapping markers", () => {
  // A marker whose start is also its end (P + "Z_" + P), drawn per run: two occurrences can share bytes.
  let bordered = "";
  while (markerProblem(bordered) !== undefined) {
    const part = createMarker().slice(0, 11);
    bordered = `${part}Z_${part}`;
  }

  it("removes every byte of both, giving each its replacement, so no piece of either is left", async () => {
    const body = enc(`<${bordered.slice(0, 13)}${bordered}>`);
    const out = await run([body], bordered, NONCE);
    expect(dec(out)).toBe(`<${NONCE}${NONCE}>`);
    expect(out).toEqual(scrubReference(body, bordered, NONCE));
  });
});
