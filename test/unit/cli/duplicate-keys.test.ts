// A key repeated in one object of a policy document is an error naming its path in every command that
// checks a document (JSON.parse would keep the last copy silently; hashes would edit the one nobody reads).

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkDocument } from "../../../bin/support/documents.js";
import { duplicateKeyIssues } from "../../../src/core/shared/duplicate-keys.js";
import { bareEnvironment } from "../../../bin/support/environment.js";
import { runMain } from "../../support/cli-io.js";
import { fuzzParameters } from "../../fuzz-config.js";

// The red team's document: the first csp.add is shadowed by the second.
const DUPLICATE = `{
  "rules": [
    { "path": "/*", "csp": { "add": { "script-src": ["https://x.example"] }, "add": { "style-src": ["https://y.example"] } } }
  ]
}
`;

describe("duplicateKeyIssues", () => {
  it.each([
    ['{"a": 1, "a": 2}', ["a"]],
    ['{"headers": {"X-A": "1", "X-B": "2", "X-A": "3"}}', ['headers["X-A"]']],
    ['{"rules": [{"path": "/"}, {"path": "/a", "csp": {}, "path": "/b"}]}', ["rules[1].path"]],
    ['{"a\\u0062": 1, "ab": 2}', ["ab"]],
    ['{"x": {"k": 1}, "y": {"k": 1}, "z": [{"k": 1}, {"k": 1}]}', []],
    ['{"s": "a \\" , \\"s\\": 1 {[", "t": ["}", "\\\\"], "s": 0}', ["s"]],
  ])("%s: %j", (text, paths) => {
    expect(duplicateKeyIssues(text).map((issue) => issue.path)).toEqual(paths);
  });

  it("finds no duplicate in any JSON.stringify output, and finds one repeated key at its path", () => {
    const key = fc.string({ unit: fc.constantFrom("a", "b", '"', "\\", "{", "]", ",", ":", "é"), maxLength: 4 });
    fc.assert(
      fc.property(fc.dictionary(key, fc.jsonValue({ maxDepth: 3 })), key, fc.jsonValue({ maxDepth: 2 }), (object, extra, value) => {
        const text = JSON.stringify({ outer: [object] });
        expect(duplicateKeyIssues(text)).toEqual([]);
        if (!(extra in object)) return;
        const repeated = `${text.slice(0, -3)}${Object.keys(object).length > 0 ? "," : ""}${JSON.stringify(extra)}:${JSON.stringify(value)}}]}`;
        expect(JSON.parse(repeated)).toBeTruthy();
        expect(duplicateKeyIssues(repeated).map((issue) => issue.path)).toEqual([
          `outer[0]${/^[A-Za-z_$][\w$]*$/.test(extra) ? `.${extra}` : `[${JSON.stringify(extra)}]`}`,
        ]);
      }),
      fuzzParameters(300),
    );
  });

  it("is an error of checkDocument, unless the document is judged as stored (the Worker reads the last copy)", () => {
    const strict = checkDocument(DUPLICATE, bareEnvironment().config);
    expect(strict.stage === "parse" ? strict.issues.map((issue) => issue.path) : []).toEqual(["rules[0].csp.add"]);
    expect(checkDocument(DUPLICATE, bareEnvironment().config, true).stage).toBe("rules");
  });
});

describe("the commands", () => {
  let dir = "";
  let file = "";
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "duplicate-keys-"));
    file = join(dir, "policy.json");
    await writeFile(file, DUPLICATE);
    await writeFile(join(dir, "page.html"), "<script>go()</script>");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("validate, explain and hashes refuse the document, naming the repeated key; hashes writes nothing", async () => {
    for (const args of [
      ["validate", file],
      ["explain", file, "/"],
      ["hashes", join(dir, "page.html"), "--policy", file, "--path", "/*"],
    ]) {
      const run = await runMain(args);
      expect(run.code, args[0]).toBe(1);
      expect(run.stdout + run.stderr, args[0]).toContain("rules[0].csp.add: expected each key once in an object");
    }
    expect(await readFile(file, "utf8")).toBe(DUPLICATE);
  });
});
