// Every command reads a policy document file as the Worker reads it from KV (decodeDocument): a UTF-8 byte
// order mark is dropped, and bytes that are not UTF-8 are refused, so no command judges other text than the
// Worker applies.

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeDocument } from "../../../src/core/policy/decode-document.js";
import { runMain } from "../../support/cli-io.js";

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const DOCUMENT = `{\r\n  "headers": { "X-Test": "applied" },\r\n  "rules": [{ "path": "/", "csp": { "add": { "script-src": ["'self'"] } } }]\r\n}\r\n`;
const PAGE = "<!doctype html><script>go()</script>";

describe("a policy document file with a byte order mark", () => {
  let dir = "";
  let file = "";
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "document-decoding-"));
    file = join(dir, "policy.json");
    await writeFile(file, Buffer.concat([BOM, Buffer.from(DOCUMENT)]));
    await writeFile(join(dir, "page.html"), PAGE);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is the text the Worker applies: the mark dropped", () => {
    expect(decodeDocument(Buffer.concat([BOM, Buffer.from(DOCUMENT)]))).toBe(DOCUMENT);
  });

  it("is valid for validate and explained by explain", async () => {
    const validate = await runMain(["validate", file]);
    expect(validate.stdout + validate.stderr).toContain("is valid");
    expect(validate.stdout).not.toContain("not valid");
    const explain = await runMain(["explain", file, "/"]);
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.stdout).toContain("X-Test: applied");
  });

  it("takes hashes, and keeps its mark and line endings", async () => {
    const run = await runMain(["hashes", join(dir, "page.html"), "--policy", file, "--path", "/"]);
    expect(run.code, run.stderr).toBe(0);
    const after = await readFile(file);
    expect([...after.subarray(0, 3)]).toEqual([...BOM]);
    expect(decodeDocument(after)).toMatch(/"script-src": \[\s*"'self'",\s*"'sha256-[^"]+'"\s*\]/);
  });

  it("is refused by every command when it is not UTF-8, as the Worker refuses it", async () => {
    await writeFile(file, Buffer.concat([Buffer.from('{ "headers": { "X-Test": "'), Buffer.from([0xff]), Buffer.from('" } }')]));
    for (const args of [
      ["validate", file],
      ["explain", file, "/"],
      ["hashes", join(dir, "page.html"), "--policy", file, "--path", "/"],
    ]) {
      const run = await runMain(args);
      expect(run.code, args[0]).not.toBe(0);
      expect(run.stderr, args[0]).toContain("is not valid UTF-8");
    }
  });
});
