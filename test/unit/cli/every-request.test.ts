// Red team (issue 9, finding 4): the shipped wrangler.toml sets neither ORIGIN_URL nor ALLOWED_HOSTS, so
// its Worker answers every request 502 (origin.unset); validate --all-envs (deploy:check) and explain say so,
// naming the environment and what to set, instead of reporting valid bindings and a 200.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusalForEveryRequest } from "../../../src/core/origin/request-guard.js";
import { parseEnv } from "../../../src/core/policy/parse-env.js";
import { runMain } from "../../support/cli-io.js";
import { EXAMPLE } from "../../integration/support/cli.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shw-every-request-"));
  await writeFile(
    join(dir, "wrangler.toml"),
    [
      'name = "t"',
      'main = "src/index.ts"',
      "[vars]",
      'CSP_REPORT_ONLY = "false"',
      "[env.staging]",
      'vars = { ORIGIN_URL = "https://origin.example.com" }',
      "[env.routes]",
      'vars = { ALLOWED_HOSTS = "www.example.com" }',
      "",
    ].join("\n"),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("an environment that refuses every request", () => {
  it("is named by validate --all-envs, with what to set, and the others are not", async () => {
    const run = await runMain(["validate", "--all-envs"], { cwd: dir });
    const blocks = run.stdout.split("\n\n");
    expect(blocks).toHaveLength(3);
    expect(blocks[0]).toMatch(
      /✗ this Worker answers EVERY request 502 \(origin\.unset\): ORIGIN_URL and ALLOWED_HOSTS are both unset in \[vars\] \(the top level\)/,
    );
    expect(blocks[0]).toContain("serves nothing until one of the two is set");
    expect(blocks[1]).not.toContain("EVERY request");
    expect(blocks[2]).not.toContain("EVERY request");
    const json = await runMain(["validate", "--all-envs", "--json"], { cwd: dir });
    const environments = (JSON.parse(json.stdout) as { environments: { environment: { everyRequest: unknown } }[] }).environments;
    expect(environments.map((e) => e.environment.everyRequest)).toEqual([
      expect.objectContaining({ status: 502, event: "origin.unset" }),
      null,
      null,
    ]);
  }, 30_000);

  it("is shown by explain as the 502 every request gets", async () => {
    const run = await runMain(["explain", EXAMPLE, "/", "--json"], { cwd: dir });
    expect(JSON.parse(run.stdout)).toMatchObject({ everyRequest: { status: 502, event: "origin.unset" } });
    const text = await runMain(["explain", EXAMPLE, "/"], { cwd: dir });
    expect(text.stdout).toMatch(/Response\s+502 for EVERY request \(origin\.unset\)/);
    const fixed = await runMain(["explain", EXAMPLE, "/", "--env", "staging", "--json"], { cwd: dir });
    expect(JSON.parse(fixed.stdout)).toMatchObject({ everyRequest: null });
    // Three in-process runs that each compile the example: slow on a loaded machine, never a hang.
  }, 30_000);

  it("is exactly route mode without ALLOWED_HOSTS, as the Worker's guard decides", () => {
    expect(refusalForEveryRequest(parseEnv({}).config)).toMatchObject({ status: 502 });
    expect(refusalForEveryRequest(parseEnv({ ORIGIN_URL: "https://o.example" }).config)).toBeUndefined();
    expect(refusalForEveryRequest(parseEnv({ ALLOWED_HOSTS: "www.example.com" }).config)).toBeUndefined();
  });
});
