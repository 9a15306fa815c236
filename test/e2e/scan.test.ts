// The scan loop in a real browser: `scan` browses a shop with third parties on other loopback origins and
// writes a policy; served through the Worker (Miniflare, the document in KV, enforced), every legitimate page
// works with zero violations, the onclick the scan reported is blocked, and a script injected through the
// reflecting search page is blocked.

import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMain } from "../support/cli-io.js";
import { startWorker, type RunningWorker } from "../support/miniflare-worker.js";
import { CHROMIUM, launchBrowser } from "./support/browser.js";
import { SCAN_SITE_PAGES, startScanSite, type ScanSite } from "./support/scan-site.js";

let site: ScanSite;
let dir: string;
let scan: { code: number; stdout: string; stderr: string };
let policy: { rules?: { path: string }[] };
let worker: RunningWorker;
let browser: Browser;

beforeAll(async () => {
  site = await startScanSite();
  dir = await mkdtemp(join(tmpdir(), "shw-scan-"));
  const out = join(dir, "policy.json");
  scan = await runMain(["scan", `${site.shop.url}/`, "--out", out, "--settle", "2000", "--chromium", CHROMIUM], { env: {} });
  const text = await readFile(out, "utf8");
  policy = JSON.parse(text) as typeof policy;
  worker = await startWorker({
    bindings: { ORIGIN_URL: site.shop.url, NONCE_MARKER: site.marker },
    extra: { kvNamespaces: ["POLICY_KV"] },
  });
  await (await worker.mf.getKVNamespace("POLICY_KV")).put("policy", text);
  browser = await launchBrowser();
}, 300_000);

// The `?.` stay: these are unassigned if beforeAll failed, whatever their declared types say.
/* eslint-disable @typescript-eslint/no-unnecessary-condition */
afterAll(async () => {
  await browser?.close();
  await worker?.dispose();
  await site?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});
/* eslint-enable @typescript-eslint/no-unnecessary-condition */

/** Open a path through the Worker, recording every CSP violation the page (or its frames) reports. */
async function open(path: string): Promise<{ page: Page; violations: () => Promise<string[]> }> {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __violations: string[] }).__violations = seen;
    window.addEventListener("securitypolicyviolation", (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sample}`), true);
  });
  const page = await context.newPage();
  const res = await page.goto(new URL(path, worker.url).href, { waitUntil: "load" });
  expect(res?.status()).toBe(200);
  await page.waitForLoadState("networkidle");
  return { page, violations: () => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations) };
}

/** Wait (bounded) until the page's scripts have set every flag expected, then read all of them. */
async function flags(page: Page, expected: Readonly<Record<string, string>>): Promise<Record<string, string | undefined>> {
  await page
    .waitForFunction((want) => Object.entries(want).every(([k, v]) => document.documentElement.dataset[k] === v), expected, {
      timeout: 10_000,
    })
    .catch(() => undefined);
  return page.evaluate(() => ({ ...document.documentElement.dataset }));
}

describe("scan", () => {
  it("writes a valid policy with a rule per page that needs more than the base, and never shows the marker", () => {
    expect(scan.code, scan.stderr).toBe(0);
    expect(policy.rules?.map((r) => r.path)).toEqual(["/", "/about", "/app", "/contact", "/pay", "/search", "/video", "/worker.js"]);
    expect(scan.stdout).toContain("✓ valid");
    // check's grade for the base ("/") and each rule's path, as the Worker would serve the document.
    for (const rule of policy.rules ?? []) expect(scan.stdout).toMatch(new RegExp(`grade [A-F][+-]? \\(-?\\d+\\) on ${rule.path}\n`));
    // Every page was scanned, /about through the redirect that links to it.
    expect(scan.stdout).not.toContain("Not scanned");
    expect(`${scan.stdout}${scan.stderr}`).not.toContain(site.marker);
  });

  it("reports the onclick on /contact with its fix and fallback", () => {
    expect(scan.stdout).toMatch(
      /✗ onclick on <button#send>: .*\n\s+on \/contact\n\s+fix: move it into a script.*\n\s+fallback: add "script-src-attr": \["'unsafe-hashes'", "'sha256-/,
    );
  });
});

describe("the scanned policy, enforced through the Worker", () => {
  for (const { path, ran } of SCAN_SITE_PAGES) {
    it(`runs ${path} as it did, with zero violations`, async () => {
      const { page, violations } = await open(path);
      const got = await flags(page, ran);
      expect(got).toEqual(expect.objectContaining(ran));
      expect(await violations()).toEqual([]);
      await page.context().close();
    });
  }

  it("blocks the onclick on /contact and reports it", async () => {
    const { page, violations } = await open("/contact");
    await page.click("#send");
    await page.waitForFunction(() => (window as unknown as { __violations: string[] }).__violations.length > 0, undefined, {
      timeout: 10_000,
    });
    expect(await violations()).toEqual([expect.stringMatching(/^script-src-attr inline document\.documentElement\.dataset\.clicked/)]);
    expect(await flags(page, {})).not.toHaveProperty("clicked");
    await page.context().close();
  });

  it("blocks a script injected through the reflecting search page, and runs the page's own", async () => {
    const injected = '<script>document.documentElement.dataset.injected = "ran"</script>';
    const { page, violations } = await open(`/search?q=${encodeURIComponent(injected)}`);
    const got = await flags(page, { search: "ran" });
    expect(got).toEqual({ search: "ran" });
    expect(await violations()).toEqual([expect.stringMatching(/^script-src-elem inline document\.documentElement\.dataset\.inj/)]);
    await page.context().close();
  });
});
