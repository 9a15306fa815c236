// The summary's violations view: the store's rows as groups (samples of every day folded), and the CLI's
// reading of an answer from the network (validated, bounded, stripped of control characters).

import { describe, expect, it } from "vitest";
import { CLIENT_BUCKETS, clientBit, clientBuckets } from "../../../src/core/reports/client-key.js";
import { parseViolationGroups, toViolationGroup } from "../../../src/core/reports/violation-groups.js";

const GROUP = {
  directive: "script-src-elem",
  blocked: "inline",
  page: "https://www.example.com/",
  disposition: "report",
  count: 3,
  firstSeen: "2026-04-09T00:00:00.000Z",
  lastSeen: "2026-04-10T00:00:00.000Z",
  clients: 5,
  samples: ["go()"],
  sourceFile: "",
};

describe("the distinct-clients sketch", () => {
  it("gives each key one of 48 bits, always the same", () => {
    const bits = new Set(Array.from({ length: 2000 }, (_, i) => clientBit(`198.51.100.${i % 256}.${i}`)));
    expect([...bits].every((b) => Number.isSafeInteger(b) && b >= 1 && b < 2 ** CLIENT_BUCKETS && clientBuckets(b) === 1)).toBe(true);
    expect(bits.size).toBe(CLIENT_BUCKETS);
    expect(clientBit("203.0.113.7")).toBe(clientBit("203.0.113.7"));
  });

  it("counts the buckets a sketch has set", () => {
    expect(clientBuckets(0)).toBe(0);
    expect(clientBuckets(0b1011)).toBe(3);
    expect(clientBuckets(2 ** CLIENT_BUCKETS - 1)).toBe(CLIENT_BUCKETS);
  });
});

describe("toViolationGroup", () => {
  it("folds the samples of every day, distinct, and reads malformed values as empty", () => {
    expect(
      toViolationGroup({
        directive: "img-src",
        blocked: "x",
        page: "p",
        disposition: "report",
        count: 2,
        first_seen: 0,
        last_seen: 1000,
        clients: 6,
        samples: '[["a","b"],["b","c"],[]]',
        source_file: "s",
      }),
    ).toEqual({
      directive: "img-src",
      blocked: "x",
      page: "p",
      disposition: "report",
      count: 2,
      firstSeen: new Date(0).toISOString(),
      lastSeen: new Date(1000).toISOString(),
      clients: 6,
      samples: ["a", "b", "c"],
      sourceFile: "s",
    });
    expect(toViolationGroup({ samples: "not json", clients: -1 })).toEqual(
      expect.objectContaining({ samples: [], clients: 0, disposition: "enforce" }),
    );
  });
});

describe("parseViolationGroups", () => {
  const answer = {
    generatedAt: "2026-04-10T00:00:00.000Z",
    window: { days: 7, from: "2026-04-04", to: "2026-04-10" },
    groups: [GROUP],
    truncated: false,
  };

  it("reads a well-formed answer", () => {
    expect(parseViolationGroups(answer)).toEqual({ ok: true, value: answer });
  });

  it("strips control characters from what hostile reports put in strings", () => {
    const hostile = { ...answer, groups: [{ ...GROUP, blocked: "https://x.example/\u001b[2J", samples: ["a\u202eb"] }] };
    const parsed = parseViolationGroups(hostile);
    expect(parsed.ok && parsed.value.groups[0]).toEqual(expect.objectContaining({ blocked: "https://x.example/[2J", samples: ["ab"] }));
  });

  it("refuses a group that is not one, naming it", () => {
    expect(parseViolationGroups({ ...answer, groups: [{ ...GROUP, clients: 2 ** 60 }] })).toEqual({
      ok: false,
      issues: [expect.objectContaining({ path: "groups[0]" })],
    });
    expect(parseViolationGroups({ top: [] })).toEqual({ ok: false, issues: [expect.objectContaining({ path: "" })] });
  });
});
