// explain and validate on a document with source bundles: which sources each bundle added per directive,
// the warnings, and validate's issues for a bad `allow` (in-process, with the built-in defaults only).

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Explanation } from "../../../bin/commands/explain-output.js";
import { runMain } from "../../support/cli-io.js";

let dir = "";

beforeAll(async () => {
  // No wrangler.toml here or above a temporary directory: the CLI compiles over the built-in defaults.
  dir = await mkdtemp(join(tmpdir(), "shw-bundles-cli-"));
});

afterAll(async () => {
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

async function file(name: string, value: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(value));
  return path;
}

const DOCUMENT = {
  csp: { action: "set", allow: ["stripe", "google-tag-manager"] },
  rules: [{ path: "/videos/*", csp: { allow: ["youtube"], directives: { "connect-src": ["'self'"] } } }],
};

describe("explain with bundles", { timeout: 30_000 }, () => {
  it("shows each bundle behind the CSP and the sources it added, per directive", async () => {
    const run = await runMain(["explain", await file("explain.json", DOCUMENT), "/videos/a", "--https", "--json"], { cwd: dir });
    expect(run.code).toBe(0);
    const x = JSON.parse(run.stdout) as Explanation;
    expect(x.cspBundles["content-security-policy"]).toEqual([
      {
        bundle: "stripe",
        from: "KV",
        path: "csp.allow[0]",
        added: {
          "script-src": ["https://js.stripe.com", "https://*.js.stripe.com"],
          "frame-src": ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"],
        },
      },
      {
        bundle: "google-tag-manager",
        from: "KV",
        path: "csp.allow[1]",
        added: { "script-src": ["https://www.googletagmanager.com"], "img-src": ["https://www.googletagmanager.com"] },
      },
      {
        bundle: "youtube",
        from: "KV.rules[0] /videos/*",
        path: "csp.allow[0]",
        added: { "frame-src": ["https://www.youtube.com", "https://www.youtube-nocookie.com"], "script-src": ["https://www.youtube.com"] },
      },
    ]);
    expect(x.cspBundles["content-security-policy-report-only"]).toEqual([]);
    expect(x.bundleWarnings.map((w) => [w.bundle, w.where])).toEqual([["google-tag-manager", "KV: csp.allow[1]"]]);
  });

  it("prints the bundles under the CSP they shaped, and the warning", async () => {
    const run = await runMain(["explain", await file("explain-text.json", DOCUMENT), "/videos/a", "--https"], { cwd: dir });
    expect(run.stdout).toContain(
      "bundle youtube (KV.rules[0] /videos/*: csp.allow[0]) adds frame-src https://www.youtube.com https://www.youtube-nocookie.com; script-src https://www.youtube.com",
    );
    expect(run.stdout).toMatch(/warning {5}KV: csp\.allow\[1\] "google-tag-manager": Google Tag Manager runs an inline script/);
  });

  it("says when a bundle adds nothing on a path", async () => {
    const path = await file("explain-nothing.json", { csp: { allow: ["cloudflare-zaraz"] } });
    const run = await runMain(["explain", path, "/"], { cwd: dir });
    expect(run.stdout).toContain("bundle cloudflare-zaraz (KV: csp.allow[0]) adds nothing here");
  });
});

describe("validate with bundles", { timeout: 30_000 }, () => {
  it("accepts a document with bundles and lists the warnings, for the base and per rule", async () => {
    const path = await file("validate.json", {
      nonce: { mode: "blanket" },
      csp: { allow: ["google-analytics"] },
      rules: [{ path: "/legacy/*", nonce: false }],
    });
    const run = await runMain(["validate", path, "--json"], { cwd: dir });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { valid: boolean; bundleWarnings: { bundle: string; where: string }[] };
    expect(result.valid).toBe(true);
    expect(result.bundleWarnings.map((w) => [w.bundle, w.where])).toEqual([
      ["google-analytics", "KV: csp.allow[0] (on the paths of KV.rules[0] /legacy/*)"],
    ]);
  });

  it("rejects an unknown or repeated bundle with its field path", async () => {
    const run = await runMain(["validate", await file("bad.json", { csp: { allow: ["strpe", "youtube", "youtube"] } })], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("csp.allow[0]: expected a known source bundle (did you mean `stripe`?)");
    expect(run.stdout).toContain('csp.allow[2]: expected each bundle once, received "youtube"');
  });
});
