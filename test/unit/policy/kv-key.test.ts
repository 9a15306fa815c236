// The KV key rule, shared by the Worker (POLICY_KV_KEY) and the CLI (--key): KV's limit is 512 bytes of
// UTF-8, so both count bytes, and both accept exactly the same keys.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { kvTarget } from "../../../bin/support/wrangler.js";
import { DEFAULT_KV_KEY, parseEnv } from "../../../src/core/policy/parse-env.js";
import { fuzzParameters } from "../../fuzz-config.js";

function workerAccepts(key: string): boolean {
  const { config, issues } = parseEnv({ POLICY_KV_KEY: key });
  return issues.length === 0 && config.kvKey === key;
}

function cliAccepts(key: string): boolean {
  try {
    return kvTarget({ key }, DEFAULT_KV_KEY).key === key;
  } catch {
    return false;
  }
}

const bytes = (key: string): number => new TextEncoder().encode(key).length;

describe("POLICY_KV_KEY and --key", () => {
  it.each([
    { label: "512 ASCII bytes", key: "k".repeat(512), accepted: true },
    { label: "513 ASCII bytes", key: "k".repeat(513), accepted: false },
    { label: "256 two-byte characters (512 bytes)", key: "é".repeat(256), accepted: true },
    { label: "300 two-byte characters (600 bytes, 300 UTF-16 units)", key: "é".repeat(300), accepted: false },
    { label: "130 emoji (520 bytes, 260 UTF-16 units)", key: "😀".repeat(130), accepted: false },
    { label: "128 emoji (512 bytes)", key: "😀".repeat(128), accepted: true },
    { label: '"."', key: ".", accepted: false },
    { label: '".."', key: "..", accepted: false },
  ])("$label: accepted $accepted by both", ({ key, accepted }) => {
    expect(workerAccepts(key)).toBe(accepted);
    expect(cliAccepts(key)).toBe(accepted);
  });

  it("names the binding, the byte length and the fallback for a key over 512 bytes", () => {
    const { config, issues } = parseEnv({ POLICY_KV_KEY: "é".repeat(300) });
    expect(config.kvKey).toBe(DEFAULT_KV_KEY);
    expect(issues).toEqual([expect.objectContaining({ path: "POLICY_KV_KEY", message: expect.stringContaining("600 bytes") })]);
  });

  it("agrees between the Worker and the CLI on any key, by its UTF-8 length", () => {
    // Around the limit: 1- to 4-byte characters (and a lone surrogate, which UTF-8 carries as 3 bytes).
    const nearLimit = fc
      .array(fc.constantFrom("k", "é", "€", "😀", "\ud800"), { minLength: 100, maxLength: 520 })
      .map((chars) => chars.join(""));
    const key = fc.oneof(nearLimit, fc.string({ unit: "binary", maxLength: 600 }), fc.constantFrom("", ".", ".."));
    fc.assert(
      fc.property(key, (k) => {
        const expected = k !== "" && k !== "." && k !== ".." && bytes(k) <= 512;
        expect(workerAccepts(k)).toBe(expected);
        expect(cliAccepts(k)).toBe(expected);
      }),
      fuzzParameters(150),
    );
    // Generous for a loaded machine: the property is bounded by its run count, not by time.
  }, 30_000);
});
