// Reading a stream up to a cap: whole below it, refused (and cancelled) above it.

import { describe, expect, it } from "vitest";
import { readCapped } from "../../../src/core/shared/read-capped.js";

function stream(chunks: number[], onCancel: () => void = () => undefined): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const size = chunks[i++];
      if (size === undefined) controller.close();
      else controller.enqueue(new Uint8Array(size).fill(i));
    },
    cancel: onCancel,
  });
}

describe("readCapped", () => {
  it("returns every byte when the stream fits, exactly at the cap included", async () => {
    const bytes = await readCapped(stream([3, 4]), 7);
    expect(bytes).toEqual(new Uint8Array([1, 1, 1, 2, 2, 2, 2]));
  });

  it("refuses a longer stream and cancels it without reading the rest", async () => {
    let cancelled = false;
    const chunks = [4, 4, 4, 4];
    expect(
      await readCapped(
        stream(chunks, () => (cancelled = true)),
        6,
      ),
    ).toBeUndefined();
    expect(cancelled).toBe(true);
  });

  it("reads a null body as empty", async () => {
    expect(await readCapped(null, 10)).toEqual(new Uint8Array(0));
  });
});
