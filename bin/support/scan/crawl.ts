// The browser part of `scan`, kept thin: headless Chromium (playwright-core, a Chromium on disk) crawls the
// site's same-origin links with the scanner's Report-Only policy on every document and worker, and records
// what each visit loaded, ran and violated. Two passes, each in a fresh browser context, load every page twice.

import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Frame, type Route } from "playwright-core";
import {
  COLLECT_DOM,
  PROBE_SCRIPT,
  SCAN_POLICY,
  VIOLATION_BINDING,
  WORKER_PARAM,
  WORKER_PROBE,
  WORKER_REPORT_PATH,
  type CollectedDom,
} from "./in-page.js";
import type { DocumentLoad, ObservedRequest, ObservedViolation, SiteScan, Visit } from "./observations.js";

export interface CrawlOptions {
  readonly start: URL;
  readonly maxPages: number;
  readonly chromium: string;
  /** For each page's navigation. */
  readonly timeoutMs: number;
  /** How long to wait for the network to go quiet after the load event (late loaders, beacons). */
  readonly settleMs: number;
  readonly ignoreHttpsErrors: boolean;
  readonly progress: (line: string) => void;
}

/** What one visit is collecting while its page is open. */
interface Collecting {
  readonly html: Map<string, { html: string; ownCsp: boolean }>;
  readonly violations: Map<Frame, ObservedViolation[]>;
  readonly workers: Map<string, ObservedViolation[]>;
  readonly requests: ObservedRequest[];
  /** Main-frame navigations to another origin the scanner stopped (Chromium never loaded them). */
  readonly left: { to: string; how: string }[];
}

/** Crawl the site twice and return what every visit saw. Throws when Chromium cannot start. */
export async function crawlSite(options: CrawlOptions): Promise<SiteScan> {
  const browser = await launch(options.chromium);
  try {
    const site = options.start.origin;
    const skipped: { url: string; reason: string }[] = [];
    const first = await runPass(browser, site, options, [options.start.href], skipped, true);
    const second = await runPass(
      browser,
      site,
      options,
      first.map((v) => v.url),
      skipped,
      false,
    );
    return { origin: site, passes: [first, second], skipped };
  } finally {
    await browser.close();
  }
}

async function launch(executable: string): Promise<Browser> {
  if (!existsSync(executable))
    throw new Error(`no Chromium at ${executable}: install one (Debian: apt-get install chromium) or name it with --chromium PATH`);
  return chromium.launch({
    executablePath: executable,
    headless: true,
    timeout: 60_000,
    args: [
      // Chromium refuses to start its sandbox as root (containers, CI); elsewhere the sandbox stays on.
      ...(process.getuid?.() === 0 ? ["--no-sandbox"] : []),
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      // A response the scanner fulfils has no IP address, so Chromium would take the page for a public one and
      // refuse its requests to loopback and private addresses (Local Network Access): the site's own would fail.
      "--disable-features=LocalNetworkAccessChecks",
    ],
  });
}

/** One pass in a fresh context: visit `urls` (and, when `follow`, the same-origin links found) up to the page limit. */
async function runPass(
  browser: Browser,
  site: string,
  options: CrawlOptions,
  urls: readonly string[],
  skipped: { url: string; reason: string }[],
  follow: boolean,
): Promise<Visit[]> {
  const context = await browser.newContext({ ignoreHTTPSErrors: options.ignoreHttpsErrors, serviceWorkers: "block" });
  const state: { current: Collecting | undefined } = { current: undefined };
  await instrument(context, site, state);
  const queue = [...urls];
  const seen = new Set(queue);
  const visits: Visit[] = [];
  // Redirects cost no page of the limit; a site that redirects every URL to a new one must still end.
  let redirects = 0;
  try {
    while (queue.length > 0 && visits.length < options.maxPages) {
      const url = queue.shift() ?? "";
      options.progress(`${follow ? "load 1" : "load 2"}: ${url}`);
      const result = await visitPage(context, url, site, options, state);
      for (const { to, how } of result.left) if (!seen.has(to)) skipped.push({ url: to, reason: `left the site via ${how} from ${url}` });
      for (const { to } of result.left) seen.add(to);
      if (result.kind === "redirect") {
        // Chromium follows a redirect the scanner passed on without routing the next request: visit the target itself.
        if (++redirects > options.maxPages * 4)
          skipped.push({ url, reason: `a redirect to ${result.to}, past the scan's ${options.maxPages * 4} redirects` });
        else if (!seen.has(result.to)) {
          seen.add(result.to);
          queue.unshift(result.to);
        }
        continue;
      }
      if (result.kind === "skipped") {
        // Every visit that produced no document is listed, the second load's too.
        skipped.push({ url, reason: follow ? result.reason : `on the second load: ${result.reason}` });
        continue;
      }
      visits.push(result.visit);
      if (!follow) continue;
      for (const link of result.links) {
        if (!seen.has(link)) {
          seen.add(link);
          queue.push(link);
        }
      }
    }
  } finally {
    await context.close();
  }
  return visits;
}

/** Route the site's documents and worker scripts through the scanner, and listen to the probe and the network. */
async function instrument(context: BrowserContext, site: string, state: { current: Collecting | undefined }): Promise<void> {
  await context.exposeBinding(VIOLATION_BINDING, (source, payload: unknown) => {
    const violation = toViolation(payload);
    const current = state.current;
    if (violation === undefined || current === undefined) return;
    const list = current.violations.get(source.frame) ?? [];
    list.push(violation);
    current.violations.set(source.frame, list);
  });
  await context.addInitScript({ content: PROBE_SCRIPT });
  await context.route("**/*", (route) =>
    // A document the scanner cannot fetch itself is left to the browser (which then reports why); a route
    // still pending when its page closes fails, and there is nothing left to do for it.
    handleRoute(route, site, state).catch(() => route.continue().catch(() => undefined)),
  );
  context.on("request", (request) => {
    let frameUrl: string;
    try {
      frameUrl = request.frame().url();
    } catch {
      return; // a service worker's request (they are blocked) has no frame
    }
    const own = request.url().startsWith(`${site}${WORKER_REPORT_PATH}`);
    if (state.current !== undefined && !own && originOf(frameUrl) === site)
      state.current.requests.push({ url: request.url(), type: request.resourceType() });
  });
}

async function handleRoute(route: Route, site: string, state: { current: Collecting | undefined }): Promise<void> {
  const request = route.request();
  const url = new URL(request.url());
  if (url.origin !== site) {
    if (!isMainFrameNavigation(request)) return route.continue();
    // Another origin's page is not the site's to scan, and its scripts must not run in the scanner.
    state.current?.left.push({ to: url.href, how: "a navigation (meta refresh, script or link)" });
    return route.abort("blockedbyclient");
  }
  if (url.pathname === WORKER_REPORT_PATH && request.method() === "POST") {
    recordWorkerViolation(request.postData(), state.current);
    return route.fulfill({ status: 204 });
  }
  const worker = url.searchParams.has(WORKER_PARAM);
  if (!worker && !(request.isNavigationRequest() && request.resourceType() === "document")) return route.continue();
  url.searchParams.delete(WORKER_PARAM);
  const response = await route.fetch({ url: url.href, maxRedirects: 0 });
  const headers = { ...response.headers() };
  const location = response.status() >= 300 && response.status() < 400 ? headers.location : undefined;
  const target = location === undefined ? undefined : new URL(location, url);
  // Chromium follows a redirect without routing its target: one to another origin is stopped here.
  if (target !== undefined && target.origin !== site && isMainFrameNavigation(request)) {
    state.current?.left.push({ to: target.href, how: `a ${response.status()} redirect` });
    return route.abort("blockedbyclient");
  }
  const ownCsp = "content-security-policy" in headers || "content-security-policy-report-only" in headers;
  delete headers["content-security-policy"];
  delete headers["content-security-policy-report-only"];
  headers["content-security-policy-report-only"] = SCAN_POLICY;
  if (worker) {
    state.current?.workers.set(url.href, state.current.workers.get(url.href) ?? []);
    return route.fulfill({ response, headers, body: `${await response.text()}${WORKER_PROBE}` });
  }
  if (/\bhtml\b/i.test(headers["content-type"] ?? "")) state.current?.html.set(request.url(), { html: await response.text(), ownCsp });
  return route.fulfill({ response, headers });
}

/** True for a request that would replace the top-level document. */
function isMainFrameNavigation(request: ReturnType<Route["request"]>): boolean {
  if (!request.isNavigationRequest()) return false;
  try {
    return request.frame().parentFrame() === null;
  } catch {
    return false; // a service worker's request has no frame
  }
}

function recordWorkerViolation(body: string | null, current: Collecting | undefined): void {
  let payload: unknown;
  try {
    payload = JSON.parse(body ?? "");
  } catch {
    return;
  }
  const violation = toViolation(payload);
  const worker =
    typeof payload === "object" && payload !== null && "worker" in payload && typeof payload.worker === "string"
      ? payload.worker
      : undefined;
  if (violation === undefined || worker === undefined || current === undefined) return;
  const url = new URL(worker);
  url.searchParams.delete(WORKER_PARAM);
  const list = current.workers.get(url.href) ?? [];
  list.push(violation);
  current.workers.set(url.href, list);
}

type VisitResult = (
  { kind: "visited"; visit: Visit; links: string[] } | { kind: "skipped"; reason: string } | { kind: "redirect"; to: string }
) & { readonly left: readonly { to: string; how: string }[] };

async function visitPage(
  context: BrowserContext,
  url: string,
  site: string,
  options: CrawlOptions,
  state: { current: Collecting | undefined },
): Promise<VisitResult> {
  const collecting: Collecting = { html: new Map(), violations: new Map(), workers: new Map(), requests: [], left: [] };
  state.current = collecting;
  const page = await context.newPage();
  let read: { pages: DocumentLoad[]; links: string[] };
  try {
    const response = await page.goto(url, { waitUntil: "load", timeout: options.timeoutMs });
    const final = withoutFragment(page.url());
    if (response !== null && final !== withoutFragment(url) && originOf(final) === site)
      return { kind: "redirect", to: final, left: collecting.left };
    const problem =
      response === null
        ? "no response"
        : originOf(final) !== site
          ? `it redirects to another origin (${final})`
          : collecting.html.has(final)
            ? undefined
            : `not an HTML page (${response.headers()["content-type"] ?? "no Content-Type"})`;
    if (problem !== undefined) return { kind: "skipped", reason: problem, left: collecting.left };
    await page.waitForLoadState("networkidle", { timeout: options.settleMs }).catch(() => undefined);
    // A round trip through every frame: violation events queued before it have reached the binding by then.
    read = await readFrames(page.frames(), site, collecting);
  } catch (error) {
    return {
      kind: "skipped",
      left: collecting.left,
      reason: error instanceof Error ? (error.message.split("\n", 1)[0] ?? error.message) : String(error),
    };
  } finally {
    // Closing unloads the page: a beacon it sends on the way out is still recorded.
    await page.close();
    state.current = undefined;
  }
  const workers = [...collecting.workers].map(([workerUrl, violations]): DocumentLoad => ({
    url: workerUrl,
    html: "",
    violations,
    ownCsp: false,
  }));
  const { pages, links } = read;
  return {
    kind: "visited",
    visit: { url: pages[0]?.url ?? url, pages, workers, requests: collecting.requests },
    links: links.filter((l) => originOf(l) === site),
    left: collecting.left,
  };
}

/** Each same-origin frame's load (the main frame first) and the links of the main frame. */
async function readFrames(
  frames: readonly Frame[],
  site: string,
  collecting: Collecting,
): Promise<{ pages: DocumentLoad[]; links: string[] }> {
  const pages: DocumentLoad[] = [];
  let links: string[] = [];
  for (const frame of frames) {
    const frameUrl = frame.url();
    const served = collecting.html.get(frameUrl);
    if (originOf(frameUrl) !== site || served === undefined) continue;
    const dom = await frame.evaluate<CollectedDom>(COLLECT_DOM);
    if (frame.parentFrame() === null) links = dom.links.map(withoutFragment);
    pages.push({ url: frameUrl, html: served.html, violations: collecting.violations.get(frame) ?? [], dom, ownCsp: served.ownCsp });
  }
  return { pages, links: [...new Set(links)] };
}

function toViolation(payload: unknown): ObservedViolation | undefined {
  if (typeof payload !== "object" || payload === null) return undefined;
  const p = payload as Record<string, unknown>;
  const text = (v: unknown): string => (typeof v === "string" ? v : "");
  const element = typeof p.element === "object" && p.element !== null ? (p.element as ObservedViolation["element"]) : undefined;
  return {
    directive: text(p.directive),
    blocked: text(p.blocked),
    sample: text(p.sample),
    sourceFile: text(p.sourceFile),
    line: typeof p.line === "number" ? p.line : 0,
    element,
  };
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "null";
  }
}

function withoutFragment(url: string): string {
  const hash = url.indexOf("#");
  return hash === -1 ? url : url.slice(0, hash);
}
