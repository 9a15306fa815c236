// `npm run deploy:check` on a temporary copy of the project: it fails on an invalid POLICY in any
// environment before wrangler builds anything, and builds both environments without wrangler's
// "no target environment" warning when everything is valid.

import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./support/cli.js";

/** Two offline wrangler builds on a loaded machine: generous, but bounded. */
const RUN_TIMEOUT_MS = 170_000;

let dir = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shw-deploy-check-"));
});

afterAll(async () => {
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

/** A copy of the project whose wrangler.toml is the shipped one with `edit` applied; the code is linked, not copied. */
async function project(name: string, edit: (toml: string) => string): Promise<string> {
  const root = join(dir, name);
  await mkdir(root);
  await copyFile(join(ROOT, "package.json"), join(root, "package.json"));
  await writeFile(join(root, "wrangler.toml"), edit(await readFile(join(ROOT, "wrangler.toml"), "utf8")));
  for (const linked of ["src", "bin", "node_modules", "migrations", "tsconfig.json"]) await symlink(join(ROOT, linked), join(root, linked));
  return root;
}

function deployCheck(cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "deploy:check"], {
      cwd,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`npm run deploy:check did not finish within ${RUN_TIMEOUT_MS} ms:\n${output}`));
    }, RUN_TIMEOUT_MS);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("npm run deploy:check", () => {
  it("fails on `bogus = 1` in staging's POLICY, naming it, before wrangler builds", async () => {
    const root = await project("bogus", (toml) => toml.replace("preload = false } }", "preload = false, bogus = 1 } }"));
    expect(await readFile(join(root, "wrangler.toml"), "utf8")).toContain("bogus = 1");
    const run = await deployCheck(root);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain("POLICY.hsts.bogus: expected a known field");
    expect(run.output).not.toContain("Total Upload");
  });

  it("fails on a bad CEILINGS in staging, naming the field and the value, before wrangler builds", async () => {
    const root = await project("ceilings", (toml) =>
      toml.replace("CEILINGS = { hsts = { maxAge = 300,", 'CEILINGS = { hsts = { maxAge = "300",'),
    );
    expect(await readFile(join(root, "wrangler.toml"), "utf8")).toContain('maxAge = "300"');
    const run = await deployCheck(root);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/CEILINGS\.hsts\.maxAge.*"300"/);
    expect(run.output).not.toContain("Total Upload");
  });

  it("fails on an invalid POLICY at the top level too", async () => {
    const root = await project("top", (toml) =>
      toml.replace('REPORTS_ENABLED = "false"\n', 'REPORTS_ENABLED = "false"\nPOLICY = \'{"hsts":{"maxAge":"a year"}}\'\n'),
    );
    const run = await deployCheck(root);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain("POLICY.hsts.maxAge");
  });

  it("builds both environments of the shipped wrangler.toml without the no-target-environment warning", async () => {
    const root = await project("shipped", (toml) => toml);
    const run = await deployCheck(root);
    expect(run.code).toBe(0);
    expect(run.output.match(/Total Upload/g)).toHaveLength(2);
    expect(run.output).not.toContain("no target environment was specified");
  });
});
