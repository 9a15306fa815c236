// Which redirects `hashes` follows: the same host only (an upgrade to https on it included), and the
// cap on a page read from a file.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readPage, redirectProblem } from "../../../bin/support/read-page.js";

describe("redirectProblem", () => {
  it.each([
    ["http://a.example/x", "http://a.example/y", undefined],
    ["https://a.example/x", "https://a.example:443/y", undefined],
    ["http://a.example/x", "https://a.example/x", undefined],
    ["http://a.example:8080/x", "https://a.example/x", "another host"],
    ["http://a.example/x", "http://b.example/x", "another host (b.example)"],
    ["http://a.example/x", "http://a.example.evil.test/x", "another host"],
    ["http://a.example/x", "http://a.example:81/x", "another host (a.example:81)"],
    ["https://a.example/x", "http://a.example/x", "downgrades to plain http"],
    ["https://a.example/x", "ftp://a.example/x", "ftp: is not a page"],
  ])("%s → %s: %s", (from, to, problem) => {
    const found = redirectProblem(new URL(from), new URL(to));
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe("readPage from a file", () => {
  it("refuses a file over the cap without reading it, and reads one at the cap", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shw-read-page-"));
    try {
      const file = join(dir, "page.html");
      await writeFile(file, "x".repeat(1025));
      await expect(readPage(file, { timeoutMs: 1000, maxBytes: 1024 })).rejects.toThrow("is larger than 1024 bytes");
      await expect(readPage(file, { timeoutMs: 1000, maxBytes: 1025 })).resolves.toHaveLength(1025);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
