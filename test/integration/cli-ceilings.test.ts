// The CLI and staging's CEILINGS: validate and push name each value the Worker will cap (field, value,
// ceiling), push stores the document all the same, and a bad CEILINGS fails validate with its field.

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runMain } from "../support/cli-io.js";
import { ROOT } from "./support/cli.js";

const FAKE_WRANGLER = join(ROOT, "test", "integration", "support", "fake-wrangler.js");
const YEAR_WITH_PRELOAD = { hsts: { maxAge: 31536000, includeSubDomains: true, preload: true } };

/** A wrangler.toml whose staging has the project's ceilings (or `ceilings` in their place). */
function wranglerToml(ceilings = "{ hsts = { maxAge = 300, includeSubDomains = false, preload = false }, cspReportOnly = true }"): string {
  return [
    'name = "ceilings-test"',
    'main = "src/index.ts"',
    "[[kv_namespaces]]",
    'binding = "POLICY_KV"',
    "[vars]",
    'ORIGIN_URL = "https://origin.example.com"',
    "[env.staging]",
    `vars = { ORIGIN_URL = "https://origin.example.com", CSP_REPORT_ONLY = "true", CEILINGS = ${ceilings} }`,
    'kv_namespaces = [{ binding = "POLICY_KV" }]',
    "",
  ].join("\n");
}

let dir = "";
let kv = "";

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "shw-ceilings-"));
  kv = join(dir, "kv");
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cli(toml: string, document: unknown, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  await writeFile(join(dir, "wrangler.toml"), toml);
  const file = join(dir, "policy.json");
  await writeFile(file, JSON.stringify(document));
  return runMain([...args, file], { cwd: dir, env: { PATH: process.env.PATH, SHW_WRANGLER: FAKE_WRANGLER, FAKE_WRANGLER_KV: kv } });
}

describe("the CLI reports staging's caps", () => {
  it("push --env staging says a year of HSTS with preload is capped to 300 s, and stores the document", async () => {
    const run = await cli(wranglerToml(), YEAR_WITH_PRELOAD, "push", "--env", "staging", "--local");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("capped: hsts.maxAge 31536000 s (from KV) is above the CEILINGS' 300 s: capped to 300 s");
    expect(run.stdout).toContain("capped: hsts.preload true (from KV) is not allowed by the CEILINGS (hsts.preload = false): dropped");
    expect(run.stdout).toContain("capped: hsts.includeSubDomains true (from KV)");
    expect(JSON.parse(await readFile(join(kv, "key-policy"), "utf8"))).toEqual(YEAR_WITH_PRELOAD);
  });

  it("validate --json lists each cap with its field, value and ceiling", async () => {
    const run = await cli(wranglerToml(), YEAR_WITH_PRELOAD, "validate", "--env", "staging", "--json");
    expect(run.code).toBe(0);
    const caps = (JSON.parse(run.stdout) as { caps: unknown[] }).caps;
    expect(caps).toEqual([
      expect.objectContaining({ field: "hsts.maxAge", value: 31536000, ceiling: 300, from: "KV" }),
      expect.objectContaining({ field: "hsts.includeSubDomains", value: true, ceiling: false, from: "KV" }),
      expect.objectContaining({ field: "hsts.preload", value: true, ceiling: false, from: "KV" }),
    ]);
  });

  it("explain --env staging shows the capped HSTS and the cap that lowered it", async () => {
    await writeFile(join(dir, "wrangler.toml"), wranglerToml());
    await writeFile(join(dir, "policy.json"), JSON.stringify(YEAR_WITH_PRELOAD));
    const run = await runMain(["explain", "--env", "staging", "--https", join(dir, "policy.json"), "/"], {
      cwd: dir,
      env: { PATH: process.env.PATH },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Strict-Transport-Security: max-age=300\b/);
    expect(run.stdout).toContain("capped: hsts.maxAge 31536000 s (from KV) is above the CEILINGS' 300 s: capped to 300 s");
  });

  it("validate without --env (production, no CEILINGS) caps nothing", async () => {
    const run = await cli(wranglerToml(), YEAR_WITH_PRELOAD, "validate");
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain("capped:");
  });

  it("validate fails on a bad CEILINGS, naming the field and the value, and says what the Worker serves instead", async () => {
    const run = await cli(wranglerToml('{ hsts = { maxAge = "300" } }'), {}, "validate", "--env", "staging");
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toMatch(/CEILINGS\.hsts\.maxAge.*"300"/);
    expect(run.stdout + run.stderr).toContain("the Worker serves the strictest ceilings until CEILINGS is fixed: no HSTS at all");
  });
});
