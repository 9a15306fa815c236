// Content-Encoding as the Worker must read it to see the bytes a client will decode: what workerd decodes,
// what the Worker decodes itself, and what it cannot decode at all.

import { deflateRawSync, deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { deflateFormat, parseContentCoding } from "../../../src/core/nonce/content-coding.js";

describe("parseContentCoding", () => {
  it.each<[string | null, unknown]>([
    [null, { kind: "identity" }],
    ["", { kind: "identity" }],
    ["identity", { kind: "identity" }],
    ["identity, Identity", { kind: "identity" }],
    ["gzip", { kind: "runtime" }],
    ["br", { kind: "runtime" }],
    ["GZIP", { kind: "decode", steps: ["gzip"] }],
    ["x-gzip", { kind: "decode", steps: ["gzip"] }],
    ["deflate", { kind: "decode", steps: ["deflate"] }],
    ["gzip, gzip", { kind: "decode", steps: ["gzip", "gzip"] }],
    ["deflate, gzip", { kind: "decode", steps: ["gzip", "deflate"] }],
    ["identity, gzip", { kind: "decode", steps: ["gzip"] }],
    ["zstd", { kind: "refuse", coding: "zstd" }],
    ["gzip, br", { kind: "refuse", coding: "br" }],
    ["compress", { kind: "refuse", coding: "compress" }],
    ["dcb", { kind: "refuse", coding: "dcb" }],
    ["bogus", { kind: "refuse", coding: "bogus" }],
  ])("reads %j as %j", (value, expected) => {
    expect(parseContentCoding(value)).toEqual(expected);
  });
});

describe("deflateFormat", () => {
  const text = Buffer.from("<p>hello</p>".repeat(20));

  it("tells a zlib-wrapped body by its header", () => {
    expect(deflateFormat(deflateSync(text).subarray(0, 2))).toBe("deflate");
    expect(deflateFormat(deflateSync(text, { level: 1 }).subarray(0, 2))).toBe("deflate");
    expect(deflateFormat(deflateSync(text, { level: 9 }).subarray(0, 2))).toBe("deflate");
  });

  it("takes anything else for raw deflate", () => {
    expect(deflateFormat(deflateRawSync(text).subarray(0, 2))).toBe("deflate-raw");
    expect(deflateFormat(Uint8Array.of(0x78))).toBe("deflate-raw");
    expect(deflateFormat(Uint8Array.of(0x78, 0x00))).toBe("deflate-raw");
  });
});
