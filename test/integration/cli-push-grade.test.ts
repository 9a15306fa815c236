// push refuses a document that lowers the grade of a path below what the Worker serves now, unless
// --allow-weaker: run in-process, against a fake wrangler (test/integration/support/fake-wrangler.js)
// whose namespace is a directory, so each case costs no real wrangler start.

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runMain } from "../support/cli-io.js";
import { ROOT } from "./support/cli.js";

const FAKE_WRANGLER = join(ROOT, "test", "integration", "support", "fake-wrangler.js");

/** The defaults' grade on every path, and a rule that adds nothing weaker. */
const STRONG = { rules: [{ path: "/admin/*", headers: { "Cross-Origin-Resource-Policy": "same-origin" } }] };
/** The same rule, now allowing inline scripts on /admin. */
const WEAK_ADMIN = { rules: [{ path: "/admin/*", csp: { directives: { "script-src": ["'self'", "'unsafe-inline'"] } } }] };

let dir = "";
let kv = "";

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "shw-push-grade-"));
  kv = join(dir, "kv");
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function push(document: unknown, ...flags: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(dir, `doc-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(document));
  // A temporary directory has no wrangler.toml: the built-in defaults are the environment.
  return runMain(["push", file, "--local", ...flags], {
    cwd: dir,
    env: { PATH: process.env.PATH, SHW_WRANGLER: FAKE_WRANGLER, FAKE_WRANGLER_KV: kv },
  });
}

async function calls(): Promise<string[]> {
  const log = await readFile(join(kv, "calls.jsonl"), "utf8").catch(() => "");
  return log
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => (JSON.parse(line) as string[]).slice(0, 3).join(" "));
}

async function stored(): Promise<unknown> {
  return JSON.parse(await readFile(join(kv, "key-policy"), "utf8")) as unknown;
}

describe("push and the grade", () => {
  it("pushes into an empty namespace when no path grades lower than the environment's own policy", async () => {
    const run = await push(STRONG);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "grade on https: no path graded lower than what the Worker serves now (no document in KV: POLICY and the built-in defaults)",
    );
    expect(await calls()).toEqual(["kv key get", "kv key put"]);
    expect(await stored()).toEqual(STRONG);
  });

  it("refuses a document that lowers a rule's path below the stored document's grade, and stores nothing", async () => {
    expect((await push(STRONG)).code).toBe(0);
    const run = await push(WEAK_ADMIN);
    expect(run.code).toBe(1);
    // 100 - 20 (script-src 'unsafe-inline') = 80 < 90: the bonuses drop too, so A+ (125) becomes B+ (80).
    expect(run.stderr).toContain("lowers the grade of 1 path below the document now in");
    expect(run.stderr).toContain("/admin/x: A+ (125) → B+ (80)");
    expect(run.stderr).toMatch(/✗ Content-Security-Policy .*csp-implemented-with-unsafe-inline \(-20 points\)/);
    expect(run.stderr).toContain("fix:");
    expect(run.stderr).toContain("--allow-weaker");
    expect((await calls()).filter((c) => c === "kv key put")).toHaveLength(1);
    expect(await stored()).toEqual(STRONG);
  });

  it("pushes the weaker document with --allow-weaker, without reading KV first", async () => {
    expect((await push(STRONG)).code).toBe(0);
    const run = await push(WEAK_ADMIN, "--allow-weaker");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("not compared with what is live (--allow-weaker)");
    expect((await calls()).slice(2)).toEqual(["kv key put"]);
    expect(await stored()).toEqual(WEAK_ADMIN);
  });

  it("refuses a base that weakens every path, naming each path it lowers", async () => {
    const run = await push({
      headers: { "Referrer-Policy": { value: "unsafe-url", action: "set" } },
      csp: { add: { "object-src": ["*"] } },
      rules: [{ path: "/shop/:id" }],
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("lowers the grade of 2 paths below what the Worker serves now");
    expect(run.stderr).toMatch(/^ {2}\/: A\+ \(115\) → /m);
    expect(run.stderr).toMatch(/^ {2}\/shop\/x: A\+ \(115\) → /m);
    expect(await calls()).not.toContain("kv key put");
  });

  it("compares grades, not scores: a lower score within A+ is pushed", async () => {
    expect((await push(STRONG)).code).toBe(0);
    // Without the rule /admin/x loses CORP's +10: A+ (125) → A+ (115).
    const run = await push({ rules: [] });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
  });
});
