// In a real browser, the attacks on marked nonces: an attacker who harvests the marker through a Range
// request and marks an injected script with it, and a policy that keeps the published default marker.
// Both are blocked; the site's own marked script still runs where the policy is valid.

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMarker } from "../../src/core/nonce/nonce-marker.js";
import { startWorker, type RunningWorker } from "../support/miniflare-worker.js";
import { PUBLIC_MARKER, startAttackSite } from "./support/attack-site.js";
import { launchBrowser } from "./support/browser.js";
import type { Server2 } from "./support/site.js";

const MARKER = createMarker();

let site: Server2;
let valid: RunningWorker;
let publicMarker: RunningWorker;
let browser: Browser;

beforeAll(async () => {
  site = await startAttackSite(MARKER);
  // One Worker whose marked rule takes its marker from NONCE_MARKER, one whose policy keeps the published
  // marker (and is therefore refused at load: the built-in defaults serve).
  valid = await startWorker({
    bindings: { ORIGIN_URL: site.url, NONCE_MARKER: MARKER, POLICY: JSON.stringify({ rules: [{ path: "/marked/*", nonce: {} }] }) },
  });
  publicMarker = await startWorker({
    bindings: { ORIGIN_URL: site.url, POLICY: JSON.stringify({ rules: [{ path: "/public/*", nonce: { marker: PUBLIC_MARKER } }] }) },
  });
  browser = await launchBrowser();
}, 120_000);

// The `?.` stay: these are unassigned if beforeAll failed, whatever their declared types say.
/* eslint-disable @typescript-eslint/no-unnecessary-condition */
afterAll(async () => {
  await browser?.close();
  await valid?.dispose();
  await publicMarker?.dispose();
  await site?.close();
});
/* eslint-enable @typescript-eslint/no-unnecessary-condition */

/** Which scripts ran (they mark <html data-…>), and how many CSP violations the console reported. */
async function ranScripts(page: Page, url: URL): Promise<{ ran: Record<string, string | undefined>; violations: number }> {
  let violations = 0;
  page.on("console", (m) => {
    if (m.type() === "error" && m.text().includes("Content Security Policy")) violations++;
  });
  const res = await page.goto(url.href, { waitUntil: "load" });
  expect(res?.status()).toBe(200);
  return { ran: await page.evaluate(() => ({ ...document.documentElement.dataset })), violations };
}

describe("an attacker who harvests the marker with a Range request", () => {
  it("gets the whole page with no marker in it, and the script marked with what it got is blocked", async () => {
    const pageUrl = new URL("/marked/page", valid.url);
    // The harvest: a range from the first byte, as download managers and scanners send.
    const harvest = await fetch(pageUrl, { headers: { Range: "bytes=0-" } });
    const text = await harvest.text();
    const harvested = /<script nonce="([^"]+)">/.exec(text)?.[1] ?? "none";
    // The injection: a stored comment with a script marked with the harvested value.
    const comment = `<script nonce="${harvested}">document.documentElement.dataset.injected = "ran";</script>`;
    expect((await fetch(new URL("/marked/comment", site.url), { method: "POST", body: comment })).status).toBe(204);
    const page = await browser.newPage();
    expect(await ranScripts(page, pageUrl)).toEqual({ ran: { marked: "ran" }, violations: 1 });
    await page.close();
    // What the harvest got: the whole page, answered 200, with a spent nonce where the marker was.
    expect(harvest.status).toBe(200);
    expect(text).not.toContain(MARKER);
  });
});

describe("a policy that keeps the published marker __CSP_NONCE__", () => {
  it("is not applied, so a script an attacker marks with it is blocked (and so is the page's own)", async () => {
    const page = await browser.newPage();
    expect(await ranScripts(page, new URL("/public/page", publicMarker.url))).toEqual({ ran: {}, violations: 2 });
    await page.close();
    // The Worker says why, once, naming the field and never the marker's value.
    const line = await publicMarker.output.claimEvent({ event: "config.invalid", source: "env" });
    expect(line.issues).toEqual([expect.objectContaining({ path: "POLICY.rules[0].nonce.marker", received: "(secret, 13 characters)" })]);
    expect(JSON.stringify(line)).not.toContain(PUBLIC_MARKER);
    expect(publicMarker.output.unclaimed()).toEqual([]);
  });
});
