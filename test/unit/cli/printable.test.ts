// What the CLI prints from the network or a document: every non-printable character escaped, in text
// and in --json, with the JSON still reading back as the same value.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { printable, printableJson, printableLines } from "../../../bin/support/printable.js";
import { fuzzParameters } from "../../fuzz-config.js";

/** Written out here, not taken from printable.ts: C0 but the line break, DEL, C1, zero-width and bidi controls, separators, the BOM. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

describe("printable", () => {
  it.each([
    ["CSI in C1", "a\u009b31mb", "a\\x9b31mb"],
    ["ESC", "\u001b[2J", "\\x1b[2J"],
    ["DEL", "a\u007fb", "a\\x7fb"],
    ["NUL and BEL", "\u0000\u0007", "\\x00\\x07"],
    ["line breaks and tabs", "a\r\nb\tc", "a\\r\\nb\\tc"],
    ["a right-to-left override", "evil\u202etxt.exe", "evil\\u202etxt.exe"],
    ["a line separator", "a\u2028b", "a\\u2028b"],
    ["a lone surrogate", "a\ud800b", "a\\ud800b"],
    ["an unassigned astral code point", "\u{e0080}", "\\u{e0080}"],
  ])("escapes %s", (_, input, expected) => {
    expect(printable(input)).toBe(expected);
  });

  it("leaves printable text alone, accents, CJK and emoji included", () => {
    const text = "default-src 'self' https://é.example.com; 日本; 😀 ~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./";
    expect(printable(text)).toBe(text);
  });

  it("never lets a control character through, whatever the input", () => {
    fc.assert(
      // A boolean property: fast-check reports the shrunk counterexample itself.
      fc.property(
        fc.string({ unit: "binary", maxLength: 64 }),
        (text) => !RAW_CONTROL.test(printable(text)) && !RAW_CONTROL.test(printableLines(text).replaceAll("\n", "")),
      ),
      fuzzParameters(200),
    );
    // Generous for a loaded machine: the property is bounded by its run count, not by time.
  }, 30_000);
});

describe("printableJson", () => {
  it("escapes DEL, C1 and bidi controls that JSON.stringify leaves raw", () => {
    const json = printableJson({ value: "a\u009b\u007f\u202e\u2028b" });
    expect(json).toBe('{\n  "value": "a\\u009b\\u007f\\u202e\\u2028b"\n}');
  });

  it("reads back as the same value and holds no raw control character but its line breaks", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: "binary", maxLength: 8 }), fc.string({ unit: "binary", maxLength: 32 }), { maxKeys: 4 }),
        (value) => {
          const json = printableJson(value);
          expect(JSON.parse(json)).toEqual(value);
          expect(json.replaceAll("\n", "")).not.toMatch(RAW_CONTROL);
        },
      ),
      fuzzParameters(200),
    );
  }, 30_000);
});
