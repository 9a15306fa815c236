// Blanket mode in Chromium: what the browser does with the stamped pages. SVG <script> and <style> honour
// a nonce (so blanket mode stamps them), MathML <script> is no script, and the attack pages of issue 8
// now behave: real scripts run, nothing lands in a JS string or a textarea's value.

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type RunningWorker } from "../support/miniflare-worker.js";
import { launchBrowser } from "./support/browser.js";
import { startPagesOrigin, type Server2 } from "./support/site.js";

const mark = (key: string, value = "ran"): string => `document.documentElement.dataset.${key} = ${JSON.stringify(value)};`;

/** Pages by name; each is served under /blanket/ (blanket mode, scripts and styles) and /plain/ (no nonce). */
const PAGES: Record<string, string> = {
  svg:
    '<!doctype html><html><body><svg width="20" height="20"><style>#probe{fill:rgb(1, 2, 3)}</style>' +
    `<rect id="probe" width="5" height="5"/><script>${mark("svgScript")}</script></svg>` +
    `<math><script>${mark("mathScript")}</script></math></body></html>`,
  // Issue 8: the </div> closes the svg too, so the script is HTML and "<style>" stays a JS string.
  "div-svg": `<!doctype html><body><div><svg></div><script>${mark("divSvg", "<style>")}</script>`,
  // Issue 8: </p> pops the svg, so the textarea is HTML and its value stays "<style>".
  "p-svg": `<!doctype html><body><p><svg></p><textarea id="t"><style></textarea><script>${mark("pSvg")}</script>`,
  // Issue 8: math inside svg is an SVG element, so the script is an SVG script, and it runs.
  "svg-math": `<!doctype html><body><svg><math><mi><noscript><script>${mark("svgMath")}</script></noscript></mi></math></svg>`,
  // A script that runs before a <frameset> replaces the body still needs its nonce.
  frameset: `<html><body><p><script>${mark("beforeFrameset")}</script><frameset><frame src="about:blank"></frameset>`,
  // Select contents are parsed as in body: the style is a real style element.
  select: `<!doctype html><body><select><style>#x{color:rgb(4, 5, 6)}</style><option>one</select><p id="x">x</p>`,
  // The origin wrote its own nonce: ours goes first, so the element has two nonce attributes.
  "own-nonce": `<!doctype html><body><script nonce="the-origins-own">${mark("ownNonce")}</script><script>${mark("plain")}</script>`,
};

let origin: Server2;
let worker: RunningWorker;
let browser: Browser;

beforeAll(async () => {
  const bytes = new Map<string, Uint8Array>();
  for (const [name, html] of Object.entries(PAGES)) {
    for (const dir of ["blanket", "plain"]) bytes.set(`/${dir}/${name}`, new TextEncoder().encode(html));
  }
  origin = await startPagesOrigin(bytes);
  const policy = { rules: [{ path: "/blanket/*", nonce: { mode: "blanket", scripts: true, styles: true } }] };
  worker = await startWorker({ bindings: { ORIGIN_URL: origin.url }, extra: { kvNamespaces: ["POLICY_KV"] } });
  await (await worker.mf.getKVNamespace("POLICY_KV")).put("policy", JSON.stringify(policy));
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

interface Visit {
  readonly ran: Record<string, string | undefined>;
  readonly violations: number;
  readonly page: Page;
}

async function visit(path: string): Promise<Visit> {
  const page = await browser.newPage();
  let violations = 0;
  page.on("console", (m) => {
    if (m.type() === "error" && m.text().includes("Content Security Policy")) violations++;
  });
  const res = await page.goto(new URL(path, worker.url).href, { waitUntil: "load" });
  expect(res?.status()).toBe(200);
  return { ran: await page.evaluate(() => ({ ...document.documentElement.dataset })), violations, page };
}

describe("SVG script and style in Chromium", () => {
  it("run and apply with the nonce blanket mode stamps on them; a MathML <script> is no script at all", async () => {
    const { ran, violations, page } = await visit("/blanket/svg");
    expect(ran).toEqual({ svgScript: "ran" });
    expect(await page.evaluate(() => getComputedStyle(document.getElementById("probe") as Element).fill)).toBe("rgb(1, 2, 3)");
    expect(violations).toBe(0);
    await page.close();
  });

  it("are blocked by the same CSP without a nonce: the nonce is what lets them run", async () => {
    const { ran, violations, page } = await visit("/plain/svg");
    expect(ran).toEqual({});
    expect(await page.evaluate(() => getComputedStyle(document.getElementById("probe") as Element).fill)).not.toBe("rgb(1, 2, 3)");
    expect(violations).toBe(2);
    await page.close();
  });
});

describe("the attack pages of issue 8, stamped", () => {
  it('keep a JS string after <div><svg></div>: the script runs and its "<style>" is intact', async () => {
    const { ran, page } = await visit("/blanket/div-svg");
    expect(ran).toEqual({ divSvg: "<style>" });
    await page.close();
  });

  it("keep a textarea's value after <p><svg></p>", async () => {
    const { ran, page } = await visit("/blanket/p-svg");
    expect(ran).toEqual({ pSvg: "ran" });
    expect(await page.evaluate(() => (document.getElementById("t") as HTMLTextAreaElement).value)).toBe("<style>");
    await page.close();
  });

  it("run the SVG script of <svg><math><mi><noscript><script>", async () => {
    const { ran, violations, page } = await visit("/blanket/svg-math");
    expect({ ran, violations }).toEqual({ ran: { svgMath: "ran" }, violations: 0 });
    await page.close();
  });

  it("run a script that a later <frameset> drops from the tree", async () => {
    const { ran, page } = await visit("/blanket/frameset");
    expect(ran).toEqual({ beforeFrameset: "ran" });
    await page.close();
  });

  it("apply a <style> inside a <select>", async () => {
    const { violations, page } = await visit("/blanket/select");
    expect(await page.evaluate(() => getComputedStyle(document.getElementById("x") as Element).color)).toBe("rgb(4, 5, 6)");
    expect(violations).toBe(0);
    await page.close();
  });
});

describe("a nonce the origin wrote", () => {
  it("stays, after ours: Chromium treats an element with two nonce attributes as not nonceable, and blocks it", async () => {
    const { ran, violations, page } = await visit("/blanket/own-nonce");
    expect(ran).toEqual({ plain: "ran" });
    expect(violations).toBe(1);
    await page.close();
  });
});
