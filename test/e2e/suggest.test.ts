// The learning loop in a real browser: a strict policy in Report-Only (the rollout switch), Chromium's
// reports reach the Worker's collector over https, `reports --suggest` turns them into a patch, and with the
// patch enforced the page works: its image host, its own script and its short inline script are allowed by
// origin and hash, and only the long inline script, for which --suggest proposed a nonce, stays blocked.

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMain } from "../support/cli-io.js";
import { applyMigrations, type MiniflareD1 } from "../support/d1.js";
import { startWorker, type RunningWorker } from "../support/miniflare-worker.js";
import { launchBrowser } from "./support/browser.js";
import { startPagesOrigin, type Server2 } from "./support/site.js";

const TOKEN = "e2e-suggest-token-0123456789abcdef";
const SHORT = 'document.documentElement.dataset.a="1"';
const LONG = 'document.documentElement.dataset.long = "this inline script is longer than a report sample";';
const POLICY = {
  csp: {
    action: "set",
    replace: true,
    directives: { "default-src": ["'none'"], "script-src": ["'self'", "'report-sample'"], "img-src": ["'self'"], "base-uri": ["'none'"] },
  },
};

let origin: Server2;
let images: Server2;
let rollout: RunningWorker;
let enforced: RunningWorker | undefined;
let db: MiniflareD1;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  images = await startPagesOrigin(
    new Map([["/logo.svg", new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>')]]),
    "image/svg+xml",
  );
  const page = `<!doctype html><title>shop</title><img src="${images.url}/logo.svg"><script src="/app.js"></script><script>${SHORT}</script><script>${LONG}</script>`;
  origin = await startShop(page);
  rollout = await startWorker({
    bindings: { ORIGIN_URL: origin.url, REPORTS_ENABLED: "true", REPORTS_TOKEN: TOKEN, CSP_REPORT_ONLY: "true" },
    // Over https: Chromium sends report-to reports only from secure pages.
    extra: { kvNamespaces: ["POLICY_KV"], d1Databases: ["REPORTS_DB"], https: true },
  });
  await (await rollout.mf.getKVNamespace("POLICY_KV")).put("policy", JSON.stringify(POLICY));
  db = await rollout.mf.getD1Database("REPORTS_DB");
  await applyMigrations(db);
  browser = await launchBrowser();
  dir = await mkdtemp(join(tmpdir(), "shw-suggest-e2e-"));
}, 120_000);

// The `?.` stay: these are unassigned if beforeAll failed, whatever their declared types say.
/* eslint-disable @typescript-eslint/no-unnecessary-condition */
afterAll(async () => {
  await browser?.close();
  await rollout?.dispose();
  await enforced?.dispose();
  await Promise.all([origin?.close(), images?.close()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});
/* eslint-enable @typescript-eslint/no-unnecessary-condition */

/** The shop: its page, and its own script as JavaScript (the Worker adds nosniff, so the type must be right). */
async function startShop(page: string): Promise<Server2> {
  const server = createServer((req, res) => {
    if (req.url === "/app.js") res.writeHead(200, { "Content-Type": "text/javascript" }).end('document.documentElement.dataset.app = "1";');
    else if (req.url === "/shop") res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(page);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Claim the collector's log lines (one per batch the browser sent) until they account for `reports` reports. */
async function claimReports(worker: RunningWorker, reports: number, deadline = Date.now() + 30_000): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  while (lines.reduce((n, l) => n + Number(l.accepted), 0) < reports && Date.now() < deadline) {
    lines.push(...worker.output.events());
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return lines;
}

/** Poll D1 (bounded) until the collector holds `n` violation rows. */
async function rowsStored(n: number, deadline = Date.now() + 30_000): Promise<number> {
  for (;;) {
    const row = await db.prepare("SELECT COUNT(*) AS n FROM csp_violations").first<{ n: number }>();
    if ((row?.n ?? 0) >= n || Date.now() > deadline) return row?.n ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe("reports --suggest, from a browser's reports to an enforced policy", () => {
  it("learns the page's sources and hashes from Report-Only reports, and the enforced patch lets it run", async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(new URL("/shop", rollout.url).href, { waitUntil: "load" });
    // Report-Only: everything ran.
    expect(await page.evaluate(() => ({ ...document.documentElement.dataset }))).toEqual({ app: "1", a: "1", long: expect.any(String) });
    // The image host, and the two inline scripts in one row with their two samples (the favicon is 'self', allowed).
    expect(await rowsStored(2)).toBe(2);
    await context.close();
    const lines = await claimReports(rollout, 3);
    expect(lines.every((l) => l.event === "csp.report" && l.format === "reports-api")).toBe(true);

    // One browser is one client: the default asks for two, so the image host is held back as possible noise.
    const cautious = await runMain(["reports", rollout.url.href, "--suggest"], { env: { REPORTS_TOKEN: TOKEN } });
    expect(cautious.code, cautious.stderr).toBe(0);
    expect(cautious.stdout).toMatch(/Left out[\s\S]*img-src[\s\S]*seen from one client only/);

    const current = join(dir, "policy.json");
    const patched = join(dir, "patched.json");
    await writeFile(current, JSON.stringify(POLICY));
    const run = await runMain(["reports", rollout.url.href, "--suggest", "--min-clients", "1", "--out", patched, "--policy", current], {
      env: { REPORTS_TOKEN: TOKEN },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Use a nonce[\s\S]*\/shop script-src: \d+ reports?, e\.g\. "document\.documentElement\.dataset\.long = "/);
    const text = await readFile(patched, "utf8");
    expect(text).not.toContain("unsafe-inline");

    enforced = await startWorker({ bindings: { ORIGIN_URL: origin.url }, extra: { kvNamespaces: ["POLICY_KV"] } });
    await (await enforced.mf.getKVNamespace("POLICY_KV")).put("policy", text);
    const after = await browser.newContext();
    await after.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { __violations: string[] }).__violations = seen;
      window.addEventListener("securitypolicyviolation", (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI}`), true);
    });
    const shop = await after.newPage();
    await shop.goto(new URL("/shop", enforced.url).href, { waitUntil: "load" });
    await shop.waitForLoadState("networkidle");
    expect(await shop.evaluate(() => ({ ...document.documentElement.dataset }))).toEqual({ app: "1", a: "1" });
    expect(await shop.evaluate(() => (window as unknown as { __violations: string[] }).__violations)).toEqual(["script-src-elem inline"]);
    await after.close();
  });
});
