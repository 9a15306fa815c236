// In a real browser: nonces let marked scripts run and block injected ones (or bless all in blanket
// mode), a hash allows exactly its script, and frame-ancestors keeps strangers out but lets the partner in.

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inlineHashes } from "../../bin/support/inline-hashes.js";
import { startWorker, type RunningWorker } from "../support/miniflare-worker.js";
import { launchBrowser } from "./support/browser.js";
import { HASHED_PAGE, SITE_MARKER, startFramer, startSiteOrigin, type Server2 } from "./support/site.js";

let origin: Server2;
let partner: Server2;
let stranger: Server2;
let worker: RunningWorker;
let browser: Browser;

beforeAll(async () => {
  [origin, partner, stranger] = await Promise.all([startSiteOrigin(), startFramer(), startFramer()]);
  const { scripts } = await inlineHashes(HASHED_PAGE);
  const policy = {
    rules: [
      { path: "/marked/*", nonce: { mode: "marked" } },
      { path: "/blanket/*", nonce: { mode: "blanket" } },
      // Only the first script's hash: the second must stay blocked.
      { path: "/hashed/*", csp: { add: { "script-src": scripts.slice(0, 1) } } },
      { path: "/embed/*", csp: { directives: { "frame-ancestors": [partner.url] } }, headers: { "X-Frame-Options": { action: "remove" } } },
    ],
  };
  worker = await startWorker({ bindings: { ORIGIN_URL: origin.url, NONCE_MARKER: SITE_MARKER }, extra: { kvNamespaces: ["POLICY_KV"] } });
  await (await worker.mf.getKVNamespace("POLICY_KV")).put("policy", JSON.stringify(policy));
  browser = await launchBrowser();
}, 120_000);

// The `?.` stay: these are unassigned if beforeAll failed, whatever their declared types say.
/* eslint-disable @typescript-eslint/no-unnecessary-condition */
afterAll(async () => {
  await browser?.close();
  await worker?.dispose();
  await Promise.all([origin?.close(), partner?.close(), stranger?.close()]);
});
/* eslint-enable @typescript-eslint/no-unnecessary-condition */

function at(path: string): string {
  return new URL(path, worker.url).href;
}

/** Which scripts ran (they mark <html data-…>), and how many CSP violations the console reported. */
async function ranScripts(page: Page, path: string): Promise<{ ran: Record<string, string | undefined>; violations: number }> {
  let violations = 0;
  page.on("console", (m) => {
    if (m.type() === "error" && m.text().includes("Content Security Policy")) violations++;
  });
  const res = await page.goto(at(path), { waitUntil: "load" });
  expect(res?.status()).toBe(200);
  return { ran: await page.evaluate(() => ({ ...document.documentElement.dataset })), violations };
}

describe("nonces in a browser", () => {
  it("runs the marked script and blocks the injected one in marked mode", async () => {
    const page = await browser.newPage();
    expect(await ranScripts(page, "/marked/scripts")).toEqual({ ran: { marked: "ran" }, violations: 1 });
    await page.close();
  });

  it("runs the injected one in blanket mode, which is what blanket mode gives up", async () => {
    const page = await browser.newPage();
    // The marked script also keeps the nonce the origin wrote, after ours: Chromium treats an element with
    // two nonce attributes as not nonceable and blocks it (docs/csp.md, blanket mode).
    expect(await ranScripts(page, "/blanket/scripts")).toEqual({ ran: { injected: "ran" }, violations: 1 });
    await page.close();
  });

  it("blocks every inline script without a nonce or hash under the defaults", async () => {
    const page = await browser.newPage();
    expect(await ranScripts(page, "/plain/scripts")).toEqual({ ran: {}, violations: 2 });
    await page.close();
  });
});

describe("hashes in a browser", () => {
  it("runs exactly the hashed inline script", async () => {
    const page = await browser.newPage();
    expect(await ranScripts(page, "/hashed/hashed")).toEqual({ ran: { hashed: "ran" }, violations: 1 });
    await page.close();
  });
});

describe("framing in a browser", () => {
  async function framedUrl(framer: Server2, path: string): Promise<string> {
    const page = await browser.newPage();
    await page.goto(`${framer.url}/?src=${encodeURIComponent(at(path))}`, { waitUntil: "load" });
    const frame = page.frames().find((f) => f.parentFrame() !== null);
    const url = frame?.url() ?? "no frame";
    const widget = frame !== undefined && url.startsWith("http") ? await frame.locator("#widget").count() : 0;
    await page.close();
    return widget === 1 ? url : `blocked (${url})`;
  }

  it("refuses to be framed by another origin", async () => {
    expect(await framedUrl(stranger, "/private/widget")).toMatch(/^blocked/);
  });

  it("lets the partner frame the embed path", async () => {
    expect(await framedUrl(partner, "/embed/widget")).toBe(at("/embed/widget"));
  });

  it("keeps the embed path closed to anyone but the partner", async () => {
    expect(await framedUrl(stranger, "/embed/widget")).toMatch(/^blocked/);
  });
});
