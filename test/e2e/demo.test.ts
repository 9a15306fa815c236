// The demo (`npm start`, over https) in a real browser: its CSP road pages behave as they say (a marked nonce,
// a hash and a blanket nonce beside a blocked injection), and the Report-Only page's violations reach the
// collector, where `reports` and `reports --suggest` read them.

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMain } from "../support/cli-io.js";
import { BANNER_TIMEOUT_MS, killAll, startDemo, type Started } from "../support/demo-process.js";
import { launchBrowser } from "./support/browser.js";

let demo: Started;
let token: string;
let browser: Browser;

beforeAll(async () => {
  demo = await startDemo("npm", ["start", "--", "--reset"]);
  token = (await demo.output.waitFor(/password (\S+)/, 1000))[1] ?? "";
  browser = await launchBrowser();
}, BANNER_TIMEOUT_MS + 60_000);

// The `?.` stay: these are unassigned if beforeAll failed, whatever their declared types say.
/* eslint-disable @typescript-eslint/no-unnecessary-condition */
afterAll(async () => {
  await browser?.close();
  await killAll();
});
/* eslint-enable @typescript-eslint/no-unnecessary-condition */

/** Open a demo page; what its probes say, and the violations it reported. */
async function visit(path: string): Promise<{ page: Page; probes: Record<string, string>; violations: string[] }> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __violations: string[] }).__violations = seen;
    window.addEventListener("securitypolicyviolation", (e) => seen.push(`${e.disposition} ${e.effectiveDirective} ${e.blockedURI}`), true);
  });
  const page = await context.newPage();
  const res = await page.goto(new URL(path, demo.workerUrl).href, { waitUntil: "load" });
  expect(res?.status()).toBe(200);
  await page.waitForLoadState("networkidle");
  const probes = await page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll(".probe")].map((p) => [
        p.id,
        (p as HTMLElement).hidden ? "hidden" : (p.textContent.split(".")[0] ?? ""),
      ]),
    ),
  );
  const violations = await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
  return { page, probes, violations };
}

describe("the demo's CSP road in Chromium", () => {
  it("runs the marked script on /nonce and blocks the injected one", async () => {
    const { page, probes } = await visit("/nonce");
    expect(probes).toEqual({ "marked-probe": "Marked script: ran", "injected-probe": "hidden" });
    await page.context().close();
  });

  it("runs the hashed script on /hash and blocks the injected one", async () => {
    const { page, probes, violations } = await visit("/hash");
    expect(probes).toEqual({ "hash-probe": "Hashed script: ran", "injected-probe": "hidden" });
    expect(violations).toContain("enforce script-src-elem inline");
    await page.context().close();
  });

  it("runs every script on /blanket, the injected one too, and blocks the injected handler", async () => {
    const { page, probes, violations } = await visit("/blanket");
    expect(probes).toEqual({
      "blanket-probe": "Site's script: ran with the stamped nonce",
      "stored-probe": "Injected script: ran",
      "handler-probe": "hidden",
    });
    expect(violations).toContain("enforce script-src-attr inline");
    await page.context().close();
  });
});

describe("the demo's Report-Only page", () => {
  it("runs its script, and the violation reaches the collector, where reports and --suggest read it", async () => {
    const { page, probes, violations } = await visit("/report-only");
    expect(probes).toEqual({ "ro-probe": "Inline script: ran, and was reported" });
    expect(violations).toContain("report script-src-elem inline");
    await page.context().close();
    const page_ = new URL("/report-only", demo.workerUrl).href;
    let summary: { top: { page: string; directive: string; disposition: string }[] } = { top: [] };
    for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
      const run = await runMain(["reports", demo.workerUrl, "--json"], { env: { REPORTS_TOKEN: token } });
      expect(run.code, run.stderr).toBe(0);
      summary = JSON.parse(run.stdout) as typeof summary;
      if (summary.top.some((t) => t.page === page_)) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(summary.top).toContainEqual(expect.objectContaining({ page: page_, directive: "script-src-elem", disposition: "report" }));
    const suggest = await runMain(["reports", demo.workerUrl, "--suggest", "--min-clients", "1"], { env: { REPORTS_TOKEN: token } });
    expect(suggest.code, suggest.stderr).toBe(0);
    expect(suggest.stdout).toMatch(/Use a nonce[\s\S]*\/report-only script-src/);
  });
});
