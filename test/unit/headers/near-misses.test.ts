// Near-miss names: a typo of a known header or Permissions-Policy feature is caught, and no two known names
// are one edit apart (or a correct name would be refused as a typo of another).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KNOWN_HEADER_NAMES, nearMiss, PERMISSIONS_FEATURES } from "../../../src/core/headers/near-misses.js";
import { editDistance } from "../../../src/core/shared/result.js";
import { fuzzParameters } from "../../fuzz-config.js";

describe("near-miss names", () => {
  it.each([
    ["known headers", KNOWN_HEADER_NAMES],
    ["Permissions-Policy features", PERMISSIONS_FEATURES],
  ])("are never one edit apart among %s", (_, known) => {
    const names = [...known];
    for (const a of names) for (const b of names) if (a < b) expect(editDistance(a, b), `${a} / ${b}`).toBeGreaterThan(1);
  });

  it("accepts every known name in any case, and suggests a known name for any one-character deletion, insertion or change of one", () => {
    const names = [...KNOWN_HEADER_NAMES];
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.nat(),
        fc.constantFrom("delete", "insert", "change"),
        fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz-"),
        (name, at, edit, c) => {
          expect(nearMiss(name.toUpperCase(), KNOWN_HEADER_NAMES)).toBeUndefined();
          const i = at % name.length;
          const typo =
            edit === "delete" ? name.slice(0, i) + name.slice(i + 1) : name.slice(0, i) + c + name.slice(edit === "insert" ? i : i + 1);
          if (typo === name || KNOWN_HEADER_NAMES.has(typo)) return;
          // Another known name may be one edit from the typo too; any such suggestion is right.
          const hit = nearMiss(typo, KNOWN_HEADER_NAMES) ?? "";
          expect(editDistance(typo, hit)).toBe(1);
        },
      ),
      fuzzParameters(300),
    );
  });
});
