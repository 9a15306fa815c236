// The CLI reads an environment's vars the way wrangler does: each configuration below is resolved by
// wrangler itself (the bindings it hands Miniflare) and by the CLI, and the two must agree.

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWranglerVars, selectEnvironment } from "../../../bin/support/wrangler-config.js";

const HEAD = `name = "t"\nmain = "index.js"\ncompatibility_date = "2026-04-01"\n`;

/** Configurations and the environments to resolve in each. */
const CASES: readonly { readonly name: string; readonly toml: string; readonly envs: readonly string[] }[] = [
  {
    name: "an environment with its own vars inherits none of the top level's",
    toml: `${HEAD}[vars]\nA = "top"\nB = "top"\n\n[env.staging]\nvars = { A = "staging" }\n`,
    envs: ["", "staging"],
  },
  {
    name: "an environment without vars has none",
    toml: `${HEAD}[vars]\nA = "top"\n\n[env.bare]\nroute = "x.example.com/*"\n`,
    envs: ["bare"],
  },
  {
    name: "a POLICY written as a TOML table arrives as an object, numbers and booleans as JSON",
    toml: `${HEAD}[env.staging.vars]\nCSP_REPORT_ONLY = true\nPOLICY_CACHE_SECONDS = 60\n\n[env.staging.vars.POLICY.hsts]\nmaxAge = 300\nincludeSubDomains = false\n\n[env.staging.vars.POLICY.csp.directives]\n"img-src" = ["'self'", "data:"]\n`,
    envs: ["", "staging"],
  },
  {
    name: "a POLICY written as JSON text stays a string",
    toml: `${HEAD}[vars]\nPOLICY = '{"hsts":{"maxAge":600}}'\n`,
    envs: [""],
  },
  {
    name: "a named environment that does not exist, when none are defined, is the top level",
    toml: `${HEAD}[vars]\nA = "top"\n`,
    envs: ["ghost"],
  },
];

let dir = "";
const previousLog = process.env.WRANGLER_LOG;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shw-wrangler-config-"));
  // wrangler warns (rightly) about non-inherited vars; the comparison needs its answer, not its console.
  process.env.WRANGLER_LOG = "none";
});

afterAll(async () => {
  if (previousLog === undefined) delete process.env.WRANGLER_LOG;
  else process.env.WRANGLER_LOG = previousLog;
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

async function configIn(name: string, text: string): Promise<string> {
  const sub = await mkdtemp(join(dir, "case-"));
  const file = join(sub, name);
  await writeFile(file, text);
  return file;
}

describe("an environment's vars, as wrangler resolves them", () => {
  for (const { name, toml, envs } of CASES) {
    it.each(envs)(`${name} (--env %j)`, async (env) => {
      const file = await configIn("wrangler.toml", toml);
      const theirs = unstable_getMiniflareWorkerOptions(file, env === "" ? undefined : env).workerOptions.bindings ?? {};
      expect(loadWranglerVars(dir, file, env)?.vars).toEqual(theirs);
    });
  }

  it("reads wrangler.json the same way", async () => {
    const file = await configIn(
      "wrangler.json",
      JSON.stringify({
        name: "t",
        main: "index.js",
        vars: { A: "top" },
        env: { staging: { vars: { POLICY: { hsts: { maxAge: 300 } } } } },
      }),
    );
    for (const env of ["", "staging"]) {
      const theirs = unstable_getMiniflareWorkerOptions(file, env === "" ? undefined : env).workerOptions.bindings ?? {};
      expect(loadWranglerVars(dir, file, env)?.vars).toEqual(theirs);
    }
  });

  it("refuses an environment the file does not define when it defines others, naming them", async () => {
    const toml = `${HEAD}[env.staging]\nvars = { A = "s" }\n`;
    const file = await configIn("wrangler.toml", toml);
    expect(() => unstable_getMiniflareWorkerOptions(file, "prod")).toThrow(/No environment found/);
    expect(() => loadWranglerVars(dir, file, "prod")).toThrow('--env: no [env.prod] in wrangler.toml; it defines "staging"');
  });

  it("finds the nearest configuration above the working directory", async () => {
    const file = await configIn("wrangler.toml", `${HEAD}[vars]\nA = "found"\n`);
    const nested = join(file, "..", "a", "b");
    await mkdir(nested, { recursive: true });
    expect(loadWranglerVars(nested, undefined, undefined)?.vars).toEqual({ A: "found" });
  });

  it("warns, as wrangler does, about vars and KV namespaces an environment does not inherit", () => {
    const raw = { vars: { A: "1", B: "2" }, kv_namespaces: [{ binding: "POLICY_KV" }], env: { s: { vars: { A: "3" } } } };
    const selected = selectEnvironment(raw, "wrangler.toml", "s");
    expect(selected.hasPolicyKv).toBe(false);
    expect(selected.warnings).toEqual([
      expect.stringContaining('"kv_namespaces" exists at the top level but not in [env.s]'),
      expect.stringContaining("B: set at the top level but not in [env.s].vars"),
    ]);
  });

  it("refuses wrangler.jsonc by name rather than misreading it", async () => {
    const file = await configIn("wrangler.jsonc", '{ // comment\n "name": "t" }');
    expect(() => loadWranglerVars(dir, file, "")).toThrow("wrangler.jsonc (JSON with comments) is not read by this CLI");
  });
});
