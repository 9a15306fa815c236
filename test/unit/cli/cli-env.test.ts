// validate judges a document, and an environment's own bindings, as that environment's Worker does: its
// POLICY var (TOML table or JSON text), Report-Only and report endpoint, and the same header budget.

import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMain } from "../../support/cli-io.js";

const ROOT = new URL("../../../", import.meta.url).pathname;
const EXAMPLE = join(ROOT, "examples", "policy.json");

let dir = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shw-cli-env-unit-"));
  await copyFile(join(ROOT, "wrangler.toml"), join(dir, "wrangler.toml"));
});

afterAll(async () => {
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

/** A directory holding the shipped wrangler.toml with `edit` applied. */
async function projectWith(edit: (toml: string) => string): Promise<string> {
  const sub = await mkdtemp(join(dir, "project-"));
  await writeFile(join(sub, "wrangler.toml"), edit(await readFile(join(ROOT, "wrangler.toml"), "utf8")));
  return sub;
}

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const validate = (args: string[], cwd = dir) => runMain(["validate", ...args], { cwd });

describe("validate --env", () => {
  it("passes the shipped wrangler.toml in every environment", async () => {
    const run = await validate(["--all-envs"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("wrangler.toml (top level)");
    expect(run.stdout).toContain("wrangler.toml [env.staging]: POLICY, CSP_REPORT_ONLY, REPORTS_ENABLED (report-uri /__csp-report)");
  });

  it("fails on a bogus key in staging's POLICY table, naming it, and passes the top level", async () => {
    const cwd = await projectWith((toml) => toml.replace("preload = false } }", "preload = false, bogus = 1 } }"));
    for (const args of [["--env", "staging"], ["--all-envs"]]) {
      const run = await validate(args, cwd);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain("POLICY.hsts.bogus: expected a known field");
      expect(run.stdout).toContain("POLICY refused");
    }
    expect((await validate(["--env", ""], cwd)).code).toBe(0);
  });

  it("judges a document over staging's POLICY, not over the defaults alone", async () => {
    // preload needs a year and includeSubDomains: the defaults give both, staging's POLICY neither.
    const doc = await file("preload.json", JSON.stringify({ hsts: { preload: true } }));
    expect((await validate([doc, "--env", ""])).code).toBe(0);
    const staging = await validate([doc, "--env", "staging"]);
    expect(staging.code).toBe(1);
    expect(staging.stdout).toContain("hsts.preload: expected preload only with");
  });

  it("takes CLOUDFLARE_ENV as wrangler does when --env is not given", async () => {
    const doc = await file("preload-cf.json", JSON.stringify({ hsts: { preload: true } }));
    const run = await runMain(["validate", doc], { cwd: dir, env: { CLOUDFLARE_ENV: "staging" } });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("[env.staging]");
  });

  it("checks the header budget on the policy the environment really compiles, report endpoint included", async () => {
    // The largest padding the top level (no collector) accepts…
    const docWith = (pad: number) => JSON.stringify({ headers: { "X-Pad": "p".repeat(pad) } });
    let low = 1;
    let high = 20_000;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if ((await validate([await file("pad.json", docWith(mid)), "--env", ""])).code === 0) low = mid;
      else high = mid - 1;
    }
    const largest = await file("largest.json", docWith(low));
    expect((await validate([largest, "--env", ""])).code).toBe(0);
    // …is over the budget where REPORTS_ENABLED adds report-uri, report-to and Reporting-Endpoints.
    for (const args of [
      ["--env", "staging"],
      ["--env", "", "--var", "REPORTS_ENABLED:true"],
    ]) {
      const run = await validate([largest, ...args]);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain("expected policy headers within 16384 bytes");
    }
  });
});

describe("without a wrangler configuration", () => {
  it("judges over the built-in defaults and says so", async () => {
    const empty = await mkdtemp(join(tmpdir(), "shw-no-config-"));
    try {
      const run = await validate([EXAMPLE], empty);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("no wrangler configuration found: the built-in defaults");
      const named = await validate([EXAMPLE, "--env", "staging"], empty);
      expect(named.code).toBe(2);
      expect(named.stderr).toContain("no wrangler.toml (or wrangler.json) here or in a parent directory");
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe("--policy-var", () => {
  it("reads a POLICY written as a TOML table, as the README recommends", async () => {
    const toml = await file("policy.toml", '[hsts]\nmaxAge = 300\nincludeSubDomains = false\n\n[headers]\n"X-Robots-Tag" = "noindex"\n');
    const run = await runMain(["explain", EXAMPLE, "/", "--policy-var", toml, "--json"], { cwd: dir });
    expect(run.code).toBe(0);
    const x = JSON.parse(run.stdout) as { sent: { name: string; from: string }[] };
    expect(x.sent.find((op) => op.name === "X-Robots-Tag")?.from).toBe("POLICY");
    expect((await validate([EXAMPLE, "--policy-var", toml])).code).toBe(0);
  });

  it("names the TOML file's own issues as POLICY's", async () => {
    const toml = await file("bad-policy.toml", "[hsts]\nmaxAge = 300\nbogus = 1\n");
    const run = await validate(["--env", "", "--policy-var", toml]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("POLICY.hsts.bogus");
  });
});
