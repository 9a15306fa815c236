// The hand-written cases in test/html/cases (one rule each, named by its spec section on the first line)
// against parse5: cut at every byte, in 1-byte chunks and at random points. Together they drive the
// tokenizer through every one of its states and the tree model through every insertion mode ("in head
// noscript" with scripting disabled, the parse of a browser with JavaScript off).

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as S from "../../src/core/nonce/html/states.js";
import { Tokenizer } from "../../src/core/nonce/html/tokenizer.js";
import { TreeBuilder } from "../../src/core/nonce/html/tree.js";
import { seeded } from "./budget.js";
import { check, chunkings, latin1 } from "./differential.js";

const DIR = new URL("./cases/", import.meta.url);
const CASES = readdirSync(DIR)
  .filter((name) => name.endsWith(".html"))
  .sort()
  .map((name) => {
    const bytes = new Uint8Array(readFileSync(new URL(name, DIR)));
    const section = /<!-- WHATWG HTML \S*?(13\.[^\n]*?) -->/.exec(latin1(bytes))?.[1] ?? "";
    return { name, bytes, section };
  });

describe("the hand-written cases", () => {
  it("each names the spec section of its rule", () => {
    expect(CASES.filter((c) => c.section === "").map((c) => c.name)).toEqual([]);
    expect(CASES.length).toBeGreaterThan(100);
  });

  it.each(CASES.map((c) => [`${c.name} (${c.section})`, c] as const))("%s", (_, c) => {
    const result = check(c.bytes, chunkings(c.bytes.length, seeded(c.bytes.length)));
    expect(result.problems).toEqual([]);
    expect(result.outcome.gaveUp).toBeNull();
  });
});

describe("what the cases cover", () => {
  /** Feed every case a byte at a time and note each tokenizer state and insertion mode reached. */
  function visited(): { states: Set<number>; modes: Set<number> } {
    const states = new Set<number>();
    const modes = new Set<number>();
    for (const c of CASES.flatMap((one) => [true, false].map((scripting) => ({ ...one, scripting })))) {
      const meter = { steps: 0 };
      const tree = new TreeBuilder(meter, c.scripting);
      const tokenizer = new Tokenizer(tree, meter);
      const start = c.bytes[0] === 0xef ? 3 : 0;
      tokenizer.base = start;
      for (let i = start; i < c.bytes.length; i++) {
        tokenizer.feed(c.bytes.subarray(i, i + 1));
        states.add(tokenizer.state);
        modes.add(tree.mode);
      }
    }
    return { states, modes };
  }

  it("reach every tokenizer state and every insertion mode, with scripting enabled and disabled", () => {
    const { states, modes } = visited();
    const missing = Array.from({ length: S.STATE_COUNT }, (_, i) => i).filter((s) => !states.has(s));
    expect(missing).toEqual([]);
    expect([...modes].sort((a, b) => a - b)).toEqual(Array.from({ length: 21 }, (_, i) => i));
  });
});
