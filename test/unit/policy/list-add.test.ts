// `add` on list headers: members join what the defaults and lower layers set, replacing same-key members.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { itemKey, splitListValue } from "../../../src/core/headers/known-headers.js";
import { addMembers } from "../../../src/core/policy/merge-layer.js";
import { parsePolicy } from "../../../src/core/policy/parse-policy.js";
import type { CompiledPolicy } from "../../../src/core/policy/types.js";
import { FUZZ_SEED, fuzzRuns } from "../../fuzz-config.js";
import { compile } from "../support.js";

function value(policy: CompiledPolicy, name: string): string | undefined {
  const found = policy.base.https.ops.find((o) => o.name.toLowerCase() === name.toLowerCase());
  return found === undefined || found.kind === "remove" || found.kind === "cookies" ? undefined : found.value;
}

function issuesOf(input: unknown): { path: string; message: string }[] {
  const result = parsePolicy(input);
  return result.ok ? [] : result.issues.map(({ path, message }) => ({ path, message }));
}

describe("add on Permissions-Policy", () => {
  it("keeps the defaults and adds the new feature", () => {
    const policy = compile([{ headers: { "Permissions-Policy": { add: "payment=()" } } }]);
    expect(value(policy, "Permissions-Policy")).toBe("geolocation=(), camera=(), microphone=(), payment=()");
  });

  it("replaces a default member with the same feature instead of repeating it", () => {
    const policy = compile([{ headers: { "Permissions-Policy": { add: "camera=(self), payment=()" } } }]);
    expect(value(policy, "Permissions-Policy")).toBe("geolocation=(), camera=(self), microphone=(), payment=()");
  });

  it("adds onto every lower layer, not only the defaults", () => {
    const policy = compile([
      { headers: { "Permissions-Policy": { add: "usb=()" } } },
      { headers: { "Permissions-Policy": { add: "payment=()" } } },
    ]);
    expect(value(policy, "Permissions-Policy")).toBe("geolocation=(), camera=(), microphone=(), usb=(), payment=()");
  });

  it("adds onto the layer's own value when it gives one", () => {
    const policy = compile([{ headers: { "Permissions-Policy": { value: "usb=()", add: "payment=()", action: "set" } } }]);
    expect(value(policy, "Permissions-Policy")).toBe("usb=(), payment=()");
  });

  it("keeps the action from below when the layer names none", () => {
    const policy = compile([{ headers: { "Permissions-Policy": { add: "payment=()" } } }]);
    expect(policy.base.https.ops.find((o) => o.key === "permissions-policy")?.kind).toBe("default");
  });
});

describe("add on other list headers", () => {
  it("adds a Cache-Control item once", () => {
    const policy = compile([{ headers: { "Cache-Control": "no-store" } }, { headers: { "Cache-Control": { add: "no-store, private" } } }]);
    expect(value(policy, "Cache-Control")).toBe("no-store, private");
  });

  it("replaces a Reporting-Endpoints endpoint by name", () => {
    const policy = compile([
      { headers: { "Reporting-Endpoints": 'csp="https://a.example/r"' } },
      { headers: { "Reporting-Endpoints": { add: 'csp="https://b.example/r", nel="https://b.example/n"' } } },
    ]);
    expect(value(policy, "Reporting-Endpoints")).toBe('csp="https://b.example/r", nel="https://b.example/n"');
  });
});

describe("add is validated with field paths", () => {
  it("refuses add on a single-valued header", () => {
    expect(issuesOf({ headers: { "X-Frame-Options": { add: "DENY" } } })).toEqual([
      { path: 'headers["X-Frame-Options"].add', message: expect.stringContaining("takes one value") as string },
    ]);
  });

  it("refuses an add the header does not accept", () => {
    const issues = issuesOf({ headers: { "Permissions-Policy": { add: "payment" } } });
    expect(issues.map((i) => i.path)).toEqual(['headers["Permissions-Policy"].add']);
    expect(issues[0]?.message).toMatch(/valid Permissions-Policy/);
  });

  it("names a misspelt feature in add", () => {
    const issues = issuesOf({ headers: { "Permissions-Policy": { add: "geolocaton=()" } } });
    expect(issues.map((i) => i.path)).toEqual(['headers["Permissions-Policy"].add']);
    expect(issues[0]?.message).toMatch(/geolocation/);
  });

  it("refuses add beside remove", () => {
    expect(issuesOf({ headers: { "Cache-Control": { add: "no-store", action: "remove" } } }).map((i) => i.path)).toEqual([
      'headers["Cache-Control"].add',
    ]);
  });

  it("refuses an add that is not a string", () => {
    expect(issuesOf({ headers: { "Permissions-Policy": { add: 3 } } }).map((i) => i.path)).toEqual(['headers["Permissions-Policy"].add']);
  });
});

describe("the example policy", () => {
  it("keeps the default Permissions-Policy features and adds its own", () => {
    const example: unknown = JSON.parse(readFileSync("examples/policy.json", "utf8"));
    const members = splitListValue(value(compile([example]), "Permissions-Policy") ?? "");
    for (const feature of ["geolocation=()", "camera=()", "microphone=()", "payment=()", "usb=()", "browsing-topics=()"]) {
      expect(members).toContain(feature);
    }
  });
});

describe("addMembers, for any members", () => {
  const feature = fc.stringMatching(/^[a-z][a-z-]{0,8}$/);
  const member = fc.tuple(feature, fc.constantFrom("()", "(self)", "*")).map(([f, v]) => `${f}=${v}`);
  const list = fc.array(member, { maxLength: 6 }).map((m) => m.join(", "));

  it("keeps one member per key, every key from both sides, and the added member for a shared key", () => {
    fc.assert(
      fc.property(list, list, (below, add) => {
        const merged = splitListValue(addMembers("permissions-policy", below, add));
        const keys = merged.map((m) => itemKey("dictionary", m));
        expect(new Set(keys).size).toBe(keys.length);
        const all = [...splitListValue(below), ...splitListValue(add)].map((m) => itemKey("dictionary", m));
        expect(new Set(keys)).toEqual(new Set(all));
        const lastAdded = new Map(splitListValue(add).map((m) => [itemKey("dictionary", m), m]));
        for (const m of lastAdded.values()) expect(merged).toContain(m);
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(200) },
    );
  });
});
