// `hashes --policy FILE` edits the file minimally: only the hash arrays change, the user's layout stays.

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { editJson } from "../../../bin/support/json-edit.js";
import { runMain } from "../../support/cli-io.js";
import { FUZZ_SEED, fuzzRuns } from "../../fuzz-config.js";

/** Lines of `after` not in a longest common subsequence with `before`, plus the lines `before` lost. */
function changedLines(before: string, after: string): number {
  const a = before.split("\n");
  const b = after.split("\n");
  let row: number[] = new Array<number>(b.length + 1).fill(0);
  for (const line of a) {
    const next = [0];
    for (let j = 1; j <= b.length; j++) {
      next[j] = line === b[j - 1] ? (row[j - 1] ?? 0) + 1 : Math.max(row[j] ?? 0, next[j - 1] ?? 0);
    }
    row = next;
  }
  const common = row[b.length] ?? 0;
  return a.length - common + (b.length - common);
}

// A user's own layout: four-space indentation, keys in their order, a long array wrapped one per line
// and a short one inline. prettyJson would rewrite all of it.
const POLICY = `{
    "remove": ["Server", "X-Runtime"],
    "headers": {
        "Cache-Control": {"action": "set", "value": "no-store"}
    },
    "rules": [
        {
            "description": "static pages",
            "path": "/docs/*",
            "csp": {
                "add": {
                    "img-src": [
                        "https://a.example"
                    ],
                    "script-src": ["https://cdn.example.com"]
                }
            }
        },
        {"path": "/other", "headers": {"X-Frame-Options": "SAMEORIGIN"}}
    ]
}
`;

const PAGE = "<script>a()</script><script>b()</script><script>c()</script><script>d()</script>";

describe("hashes --policy", () => {
  let dir = "";
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "hashes-edit-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function hashInto(policy: string, path: string, page = PAGE): Promise<string> {
    const file = join(dir, "policy.json");
    await writeFile(file, policy);
    await writeFile(join(dir, "page.html"), page);
    const run = await runMain(["hashes", join(dir, "page.html"), "--policy", file, "--path", path]);
    expect(run.code, run.stderr).toBe(0);
    return readFile(file, "utf8");
  }

  it("changes only the script-src array when adding 4 hashes to an existing rule", async () => {
    const after = await hashInto(POLICY, "/docs/*");
    const added = (JSON.parse(after) as { rules: { csp: { add: Record<string, string[]> } }[] }).rules[0]?.csp.add;
    expect(added?.["script-src"]?.filter((s) => s.startsWith("'sha256-"))).toHaveLength(4);
    expect(added?.["script-src"]?.[0]).toBe("https://cdn.example.com");
    // Only the script-src line is replaced, by the array wrapped one source per line (6 lines).
    expect(changedLines(POLICY, after)).toBe(1 + 7);
    const untouched = POLICY.split("\n").filter((line) => !line.includes('"script-src"'));
    for (const line of untouched) expect(after.split("\n")).toContain(line);
  });

  it("inserts a new rule at the end of rules in the file's indentation, leaving the others alone", async () => {
    const after = await hashInto(POLICY, "/new", "<script>a()</script>");
    expect(after.startsWith(POLICY.slice(0, POLICY.indexOf('        {"path": "/other"')))).toBe(true);
    expect(after).toContain(
      '        {"path": "/other", "headers": {"X-Frame-Options": "SAMEORIGIN"}},\n        {\n            "path": "/new",',
    );
    expect((JSON.parse(after) as { rules: { path: string }[] }).rules.map((r) => r.path)).toEqual(["/docs/*", "/other", "/new"]);
  });

  it('refuses a rule whose "csp" is false, naming it, and writes nothing (hashes would turn "no CSP" into a CSP)', async () => {
    const policy = '{\n  "rules": [\n    { "path": "/a", "csp": {} },\n    { "path": "/*", "csp": false }\n  ]\n}\n';
    const file = join(dir, "policy.json");
    await writeFile(file, policy);
    await writeFile(join(dir, "page.html"), PAGE);
    const run = await runMain(["hashes", join(dir, "page.html"), "--policy", file, "--path", "/*"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('rules[1] (/*) sets "csp": false');
    expect(await readFile(file, "utf8")).toBe(policy);
  });

  it("running twice with the same page leaves the file byte for byte", async () => {
    const once = await hashInto(POLICY, "/docs/*");
    const twice = await hashInto(once, "/docs/*");
    expect(twice).toBe(once);
  });

  it("adds a csp to the example's rule that has none, touching only that rule", async () => {
    const example = await readFile("examples/policy.json", "utf8");
    const after = await hashInto(example, "/login", "<script>a()</script><style>b{}</style>");
    expect(changedLines(example, after)).toBeLessThanOrEqual(8);
  });
});

describe("hashes --policy on a one-line csp", () => {
  it("lays out only that csp anew when its add would wrap, keeping every other line of the example", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hashes-edit-"));
    try {
      const example = await readFile("examples/policy.json", "utf8");
      const file = join(dir, "policy.json");
      await writeFile(file, example);
      await writeFile(join(dir, "page.html"), PAGE);
      const run = await runMain(["hashes", join(dir, "page.html"), "--policy", file, "--path", "/embed/*", "--no-styles"]);
      expect(run.code, run.stderr).toBe(0);
      const after = await readFile(file, "utf8");
      const cspLine = example.split("\n").filter((line) => line.includes('"frame-ancestors": ["https://partner.example.com"]'));
      expect(cspLine).toHaveLength(1);
      // The csp line goes, its 13 laid-out lines come; all other lines are the longest common subsequence.
      expect(after).not.toContain(cspLine[0]);
      expect(changedLines(example, after)).toBe(1 + 13);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("editJson", () => {
  it("keeps CRLF line ends and tab indentation in what it writes", () => {
    const text = '{\r\n\t"a": {\r\n\t\t"b": [1]\r\n\t}\r\n}\r\n';
    const out = editJson(text, { a: { b: [1], c: { d: [2] } } }, [["a", "c", "d"]]);
    expect(JSON.parse(out)).toEqual({ a: { b: [1], c: { d: [2] } } });
    expect(out.split("\r\n").join("")).not.toContain("\n");
    expect(out).toContain('\t\t"b": [1]');
  });

  it("removes a value the target no longer has", () => {
    const out = editJson('{ "a": [1], "b": 2 }', { b: 2 }, [["a"]]);
    expect(JSON.parse(out)).toEqual({ b: 2 });
  });

  it("replaces a scalar where the target has an object", () => {
    const out = editJson('{\n  "csp": false,\n  "x": 1\n}\n', { csp: { add: { s: ["a"] } }, x: 1 }, [["csp", "add", "s"]]);
    expect(JSON.parse(out)).toEqual({ csp: { add: { s: ["a"] } }, x: 1 });
    expect(out).toContain('  "x": 1\n');
  });
});

describe("editJson, for any document and change", () => {
  const key = fc.constantFrom("a", "b", "c", "d");
  const leaf = fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }));
  const tree = fc.letrec<{ node: unknown }>((tie) => ({
    node: fc.oneof({ depthSize: "small" }, leaf, fc.dictionary(key, tie("node"), { maxKeys: 3 })),
  })).node;
  const doc = fc.dictionary(key, tree, { maxKeys: 4 });
  const path = fc.array(key, { minLength: 1, maxLength: 3 });

  it("sets the path to the target's value and leaves every other member as it was", () => {
    fc.assert(
      fc.property(doc, path, leaf, fc.constantFrom(2, 4, "\t"), (before, at, value, indent) => {
        const text = `${JSON.stringify(before, null, indent)}\n`;
        const target = withValue(before, at, value);
        expect(JSON.parse(editJson(text, target, [at]))).toEqual(target);
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(200) },
    );
  });
});

/** A copy of `value` with `path` set, making objects of whatever is in the way (as the target of an edit). */
function withValue(value: unknown, path: readonly string[], leafValue: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return leafValue;
  const object = value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  return { ...object, [head]: withValue(object[head], rest, leafValue) };
}
