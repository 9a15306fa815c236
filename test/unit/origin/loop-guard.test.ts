// The CDN-Loop guard: an instance recognises its own entry whatever else the header holds, a chain of
// distinct instances passes, and any walk between instances ends at its first revisit or at MAX_CHAIN.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { appendLoopEntry, createLoopToken, inspectCdnLoop, isLoop, LOOP_CDN_ID, MAX_CHAIN } from "../../../src/core/origin/loop-guard.js";
import { fuzzParameters } from "../../fuzz-config.js";

const TOKEN = createLoopToken(new Uint8Array(16).fill(0xab));
const OTHER = createLoopToken(new Uint8Array(16).fill(0x01));

/** A token as the Worker makes one: 16 random bytes. */
const token = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(createLoopToken);

/** What a client or another CDN may have put in the header: entries, parameters, quotes (closed or not), junk. */
const clientHeader = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc
    .array(
      fc.constantFrom(
        "cloudflare",
        "cloudflare; loops=1",
        "Fastly",
        'akamai; x="a, b; c"',
        'other; x="never closed',
        '"',
        "\\",
        LOOP_CDN_ID,
        `${LOOP_CDN_ID}; id=`,
        `${LOOP_CDN_ID}; id="`,
        `${LOOP_CDN_ID.toUpperCase()}; id=abc`,
        ";;,,",
        "",
      ),
      { maxLength: 6 },
    )
    .map((entries) => entries.join(", ")),
);

describe("createLoopToken", () => {
  it("writes the 16 bytes as 32 lower-case hex digits", () => {
    expect(createLoopToken(new Uint8Array([0, 1, 15, 16, 255, 171, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]))).toBe(
      "00010f10ffab00000000000000000009",
    );
  });
});

describe("appendLoopEntry", () => {
  it("starts the header when there is none, and appends after the entries already there", () => {
    expect(appendLoopEntry(null, TOKEN)).toBe(`${LOOP_CDN_ID}; id=${TOKEN}`);
    expect(appendLoopEntry("  ", TOKEN)).toBe(`${LOOP_CDN_ID}; id=${TOKEN}`);
    expect(appendLoopEntry("cloudflare; loops=1", TOKEN)).toBe(`cloudflare; loops=1, ${LOOP_CDN_ID}; id=${TOKEN}`);
  });
});

describe("inspectCdnLoop", () => {
  it("finds nothing in an absent header or one without entries of ours", () => {
    expect(inspectCdnLoop(null, TOKEN)).toEqual({ own: false, hops: 0 });
    expect(inspectCdnLoop("cloudflare; loops=2, Fastly", TOKEN)).toEqual({ own: false, hops: 0 });
  });

  it("tells its own entry from another instance's, and counts both", () => {
    const twoHops = appendLoopEntry(appendLoopEntry(null, OTHER), TOKEN);
    expect(inspectCdnLoop(twoHops, TOKEN)).toEqual({ own: true, hops: 2 });
    expect(inspectCdnLoop(twoHops, createLoopToken(new Uint8Array(16)))).toEqual({ own: false, hops: 2 });
  });

  it("finds its entry behind a quoted string the client opened and never closed", () => {
    // A strict list parser would read everything after the open quote as one parameter value.
    const header = appendLoopEntry('cdn; note="a, b', TOKEN);
    expect(inspectCdnLoop(header, TOKEN)).toEqual({ own: true, hops: 1 });
  });

  it("does not take a longer token that starts with its own for its own", () => {
    expect(inspectCdnLoop(`${LOOP_CDN_ID}; id=${TOKEN}0`, TOKEN)).toEqual({ own: false, hops: 1 });
    expect(inspectCdnLoop(`${LOOP_CDN_ID}; id=${TOKEN}, x`, TOKEN)).toEqual({ own: true, hops: 1 });
  });

  it("finds its entry after whatever a client sent, and counts one more hop", () => {
    fc.assert(
      fc.property(clientHeader, token, (header, t) => {
        const before = inspectCdnLoop(header, t);
        const after = inspectCdnLoop(appendLoopEntry(header, t), t);
        expect(after.own).toBe(true);
        expect(after.hops).toBe(before.hops + 1);
      }),
      fuzzParameters(500),
    );
  });

  it("never takes another instance's entry for its own", () => {
    fc.assert(
      fc.property(clientHeader, token, token, (header, mine, theirs) => {
        fc.pre(mine !== theirs && !header.includes(mine));
        expect(inspectCdnLoop(appendLoopEntry(header, theirs), mine).own).toBe(false);
      }),
      fuzzParameters(500),
    );
  });
});

describe("a request walking between instances", () => {
  it("passes a chain of distinct instances and is refused at its first revisit, or at MAX_CHAIN hops", () => {
    // Instances forward to one another in any order (a misconfigured mesh); each checks, then appends.
    const walk = fc.record({
      instances: fc.array(token, { minLength: 1, maxLength: MAX_CHAIN + 3 }),
      visits: fc.array(fc.nat(), { minLength: 1, maxLength: 30 }),
      header: clientHeader,
    });
    fc.assert(
      fc.property(walk, ({ instances, visits, header }) => {
        fc.pre(new Set(instances).size === instances.length && !header.includes(`${LOOP_CDN_ID}; id=`));
        const seen = new Set<string>();
        let current: string | null = header === "" ? null : header;
        for (const visit of visits) {
          const at = instances[visit % instances.length] ?? "";
          const check = inspectCdnLoop(current, at);
          expect(check.own).toBe(seen.has(at));
          expect(check.hops).toBe(seen.size);
          if (isLoop(check)) {
            expect(seen.has(at) || seen.size >= MAX_CHAIN).toBe(true);
            return;
          }
          seen.add(at);
          current = appendLoopEntry(current, at);
        }
        // Not refused: every visit was a first visit, below the cap.
        expect(seen.size).toBeLessThan(MAX_CHAIN + 1);
      }),
      fuzzParameters(300),
    );
  });

  it("refuses a request that carries MAX_CHAIN entries of other instances, and not one fewer", () => {
    let header: string | null = null;
    for (let i = 0; i < MAX_CHAIN - 1; i++) header = appendLoopEntry(header, createLoopToken(new Uint8Array(16).fill(i)));
    expect(isLoop(inspectCdnLoop(header, TOKEN))).toBe(false);
    header = appendLoopEntry(header, OTHER);
    expect(isLoop(inspectCdnLoop(header, TOKEN))).toBe(true);
  });
});
