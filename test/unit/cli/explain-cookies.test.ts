// explain with cookie entries: the entries that apply to a path, most precedent first, and what each
// --set-cookie line becomes, over https and http.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Explanation } from "../../../bin/commands/explain-output.js";
import { runMain } from "../../support/cli-io.js";

let dir = "";
let policy = "";

const DOCUMENT = {
  cookies: [{ name: "sessionid", httpOnly: true, sameSite: "Strict" }],
  rules: [{ path: "/admin/*", cookies: [{ pattern: "*", sameSite: "Strict", override: true }] }],
};

beforeAll(async () => {
  // No wrangler.toml here or above a temporary directory: the CLI compiles over the built-in defaults.
  dir = await mkdtemp(join(tmpdir(), "shw-explain-cookies-"));
  policy = join(dir, "policy.json");
  await writeFile(policy, JSON.stringify(DOCUMENT));
});

afterAll(async () => {
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

const LINES = ["--set-cookie", "sessionid=1", "--set-cookie", "theme=dark; SameSite=Lax", "--set-cookie", "__Host-a=1; Domain=x.example"];

describe("explain with cookie entries", { timeout: 30_000 }, () => {
  it("lists the entries for the path, the rule's first, and what each line becomes", async () => {
    const run = await runMain(["explain", policy, "https://x.example/admin/a", ...LINES, "--json"], { cwd: dir });
    expect(run.code).toBe(0);
    const x = JSON.parse(run.stdout) as Explanation;
    expect(x.cookies?.entries.map((e) => e.from)).toEqual(["KV.rules[0] /admin/* cookies[0]", "KV cookies[0]", "defaults cookies[0]"]);
    expect(x.cookies?.lines).toEqual([
      { origin: "sessionid=1", sent: "sessionid=1; Secure; HttpOnly; SameSite=Strict", note: null },
      { origin: "theme=dark; SameSite=Lax", sent: "theme=dark; SameSite=Lax; Secure; SameSite=Strict", note: null },
      { origin: "__Host-a=1; Domain=x.example", sent: "__Host-a=1; Domain=x.example", note: expect.stringContaining("Domain") },
    ]);
  });

  it("adds no Secure over http, and prints each line with what it becomes", async () => {
    const run = await runMain(["explain", policy, "/shop", ...LINES.slice(0, 4)], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("sessionid=1\n    → sessionid=1; HttpOnly; SameSite=Strict\n");
    expect(run.stdout).toContain("theme=dark; SameSite=Lax\n    → theme=dark; SameSite=Lax\n");
  });
});
