// In a real browser: under a Report-Only policy the page still works, the violation reaches the Worker's
// collector and lands in D1, and the owner's summary page renders its chart under its own strict CSP.

import { mkdirSync } from "node:fs";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, type MiniflareD1 } from "../support/d1.js";
import { startWorker, type RunningWorker } from "../support/miniflare-worker.js";
import { launchBrowser } from "./support/browser.js";
import { startSiteOrigin, type Server2 } from "./support/site.js";

const TOKEN = "e2e-token-0123456789abcdefghij";
const OUTPUT = new URL("../../test-output/", import.meta.url);

let origin: Server2;
let worker: RunningWorker;
let db: MiniflareD1;
let browser: Browser;

beforeAll(async () => {
  origin = await startSiteOrigin();
  worker = await startWorker({
    bindings: { ORIGIN_URL: origin.url, REPORTS_ENABLED: "true", REPORTS_TOKEN: TOKEN },
    // Over https (Miniflare's self-signed certificate): Chromium delivers report-to reports only to
    // secure pages, and, given report-to, ignores report-uri. This is the production path.
    extra: { kvNamespaces: ["POLICY_KV"], d1Databases: ["REPORTS_DB"], https: true },
  });
  const policy = { rules: [{ path: "/ro/*", csp: false, cspReportOnly: { directives: { "default-src": ["'self'"] } } }] };
  await (await worker.mf.getKVNamespace("POLICY_KV")).put("policy", JSON.stringify(policy));
  db = await worker.mf.getD1Database("REPORTS_DB");
  await applyMigrations(db);
  browser = await launchBrowser();
}, 120_000);

// The `?.` stay: these are unassigned if beforeAll failed, whatever their declared types say.
/* eslint-disable @typescript-eslint/no-unnecessary-condition */
afterAll(async () => {
  await browser?.close();
  await worker?.dispose();
  await origin?.close();
});
/* eslint-enable @typescript-eslint/no-unnecessary-condition */

interface Row {
  directive: string;
  blocked: string;
  page: string;
  disposition: string;
  count: number;
}

/** Poll D1 (bounded) until the collector has stored a report for the page. */
async function storedFor(page: string, deadline = Date.now() + 30_000): Promise<Row[]> {
  for (;;) {
    const { results } = await db
      .prepare("SELECT directive, blocked, page, disposition, count FROM csp_violations WHERE page = ?1")
      .bind(page)
      .all<Row>();
    if (results.length > 0 || Date.now() > deadline) return results;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe("Report-Only in a browser", () => {
  it("keeps the page working and stores the violation the browser reports", async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const url = new URL("/ro/report-only", worker.url).href;
    const res = await page.goto(url, { waitUntil: "load" });
    expect(res?.headers()["content-security-policy-report-only"]).toContain("report-to csp-endpoint");
    expect(await page.evaluate(() => document.documentElement.dataset.reportOnly)).toBe("ran");
    const rows = await storedFor(url);
    await context.close();
    expect(rows).toEqual([expect.objectContaining({ directive: "script-src-elem", blocked: "inline", disposition: "report", count: 1 })]);
    await worker.output.claimEvent({ event: "csp.report", format: "reports-api", accepted: 1 });
  });
});

describe("the summary page in a browser", () => {
  it("renders its chart under its own CSP, for the owner with the token", async () => {
    await storedFor(new URL("/ro/report-only", worker.url).href);
    const context = await browser.newContext({ ignoreHTTPSErrors: true, httpCredentials: { username: "owner", password: TOKEN } });
    const page = await context.newPage();
    const cspErrors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") cspErrors.push(m.text());
    });
    const res = await page.goto(new URL("/__csp-report/summary", worker.url).href, { waitUntil: "load" });
    expect(res?.status()).toBe(200);
    expect(res?.headers()["content-security-policy"]).toContain("default-src 'none'");
    expect(await page.locator("svg rect").count()).toBeGreaterThan(0);
    expect(await page.locator("body").innerText()).toContain("script-src-elem");
    // The page's one stylesheet is allowed by its own hash: no CSP error on the console.
    expect(cspErrors).toEqual([]);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: new URL("summary.png", OUTPUT).pathname, fullPage: true });
    await context.close();
    // The browser asks without credentials first, and sends them after the 401's challenge.
    await worker.output.claimEvent({ event: "csp.summary.denied", scheme: "none" });
  });

  it("refuses the summary without the token", async () => {
    // A headless browser cannot show the login prompt a 401 asks for, so ask through the browser's own
    // request API, which returns the challenge instead of failing the navigation.
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const res = await context.request.get(new URL("/__csp-report/summary", worker.url).href);
    expect(res.status()).toBe(401);
    expect(res.headers()["www-authenticate"]).toContain("Basic");
    await context.close();
    await worker.output.claimEvent({ event: "csp.summary.denied", scheme: "none" });
  });
});
