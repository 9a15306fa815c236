// Near-miss names: a typo of a known header or Permissions-Policy feature is caught (a swapped pair of letters
// or `_` for `-` included), and no two known names are that close (or a correct name would be refused as a
// typo of another).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KNOWN_HEADER_NAMES, nearMiss, PERMISSIONS_FEATURES, typoDistance, typoSlack } from "../../../src/core/headers/near-misses.js";
import { fuzzParameters } from "../../fuzz-config.js";

const SETS = [
  ["known headers", KNOWN_HEADER_NAMES],
  ["Permissions-Policy features", PERMISSIONS_FEATURES],
] as const;

const EDITS = ["swap", "delete", "insert", "change", "underscore"] as const;

/** `name` with one typo of the given kind near position `at` (it may come out unchanged). */
function typo(name: string, at: number, edit: (typeof EDITS)[number], c: string): string {
  const i = at % name.length;
  switch (edit) {
    case "swap":
      return i + 1 < name.length ? name.slice(0, i) + name.charAt(i + 1) + name.charAt(i) + name.slice(i + 2) : name;
    case "delete":
      return name.slice(0, i) + name.slice(i + 1);
    case "insert":
      return name.slice(0, i) + c + name.slice(i);
    case "change":
      return name.slice(0, i) + c + name.slice(i + 1);
    case "underscore":
      return name.replace("-", "_");
  }
}

describe("near-miss names", () => {
  it.each(SETS)("are never within a typo's reach of each other among %s", (_, known) => {
    const names = [...known];
    for (const a of names)
      for (const b of names) if (a < b) expect(typoDistance(a, b), `${a} / ${b}`).toBeGreaterThan(Math.max(typoSlack(a), typoSlack(b)));
  });

  it("counts a swap of neighbours as one edit", () => {
    expect(typoDistance("x-frame-otpions", "x-frame-options")).toBe(1);
    expect(typoDistance("ab", "ba")).toBe(1);
    expect(typoDistance("abc", "ca")).toBe(3);
    expect(typoDistance("", "abc")).toBe(3);
  });

  it.each([
    ["X-Frame-Otpions", "x-frame-options"],
    ["Stirct-Transport-Security", "strict-transport-security"],
    ["X-Content-Type-Otpions", "x-content-type-options"],
    ["Refferer-Policy", "referrer-policy"],
    ["Cross-Origin-Opener-Poilcy", "cross-origin-opener-policy"],
    ["X_Frame_Options", "x-frame-options"],
    ["X-Powred-By-", "x-powered-by"],
    ["Sevrer", "server"],
    ["Integrity-Polcy", "integrity-policy"],
  ])("takes the red team's %s for %s", (name, hit) => {
    expect(nearMiss(name, KNOWN_HEADER_NAMES, typoSlack)).toBe(hit);
  });

  it.each([
    ["geolocaiton", "geolocation"],
    ["camrea", "camera"],
  ])("takes the feature %s for %s", (name, hit) => {
    expect(nearMiss(name, PERMISSIONS_FEATURES, typoSlack)).toBe(hit);
  });

  it.each(SETS)("accepts every one of the %s in any case, and catches any one swap, deletion, insertion, change or _ for -", (_, known) => {
    fc.assert(
      fc.property(
        fc.constantFrom(...known),
        fc.nat(),
        fc.constantFrom(...EDITS),
        fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz-_"),
        (name, at, edit, c) => {
          expect(nearMiss(name.toUpperCase(), known, typoSlack)).toBeUndefined();
          const wrong = typo(name, at, edit, c);
          if (wrong === name || known.has(wrong)) return;
          // Another known name may be as close to the typo; any such suggestion is right.
          const hit = nearMiss(wrong, known, typoSlack) ?? "";
          expect(typoDistance(wrong.replaceAll("_", "-"), hit)).toBeLessThanOrEqual(1);
        },
      ),
      fuzzParameters(500),
    );
  });
});
