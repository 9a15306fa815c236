// The site `scan` is proven on: a shop on one loopback origin, with third parties on others (an analytics
// loader that injects a script and sends a beacon, web fonts, a CDN, a video embed, a payment form, an API, a
// WebSocket), a worker, a page with an onclick, and a search page that reflects its query unescaped.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { WebSocketServer } from "ws";
import { createMarker } from "../../../src/core/nonce/nonce-marker.js";

/** A server on 127.0.0.1 and how to stop it. */
export interface Running {
  readonly url: string;
  close(): Promise<void>;
}

/** Every origin of the site. */
export interface ScanSite {
  readonly shop: Running;
  readonly cdn: Running;
  readonly analytics: Running;
  readonly fonts: Running;
  readonly embed: Running;
  readonly pay: Running;
  readonly api: Running;
  readonly ws: Running;
  /** The shop's secret nonce marker: the Worker's NONCE_MARKER. */
  readonly marker: string;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

async function serve(handler: Handler): Promise<{ server: Server; running: Running }> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => handler(req, res, new URL(req.url ?? "/", "http://site.test")));
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { server, running: { url, close } };
}

function send(res: ServerResponse, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(200, { "Content-Type": type, "Access-Control-Allow-Origin": "*", "Cache-Control": "no-store", ...extra });
  res.end(body);
}

/** A third party serving fixed files, with CORS open as CDNs and APIs do. */
async function thirdParty(files: Record<string, [string, string | Buffer]>): Promise<Running> {
  const { running } = await serve((_req, res, url) => {
    const file = files[url.pathname];
    if (file === undefined) {
      res.writeHead(404, { "Access-Control-Allow-Origin": "*" }).end();
      return;
    }
    send(res, file[0], file[1]);
  });
  return running;
}

const JS = "text/javascript";
const HTML = "text/html; charset=utf-8";

/** Start every origin of the site. */
export async function startScanSite(): Promise<ScanSite> {
  const marker = createMarker();
  const cdn = await thirdParty({
    "/lib.js": [JS, 'document.documentElement.dataset.lib = "ran";'],
    "/logo.svg": ["image/svg+xml", '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>'],
  });
  const analyticsFiles = await startAnalytics();
  const fontFiles = await startFonts();
  const embed = await thirdParty({ "/player": [HTML, "<!doctype html><p>a video player</p>"] });
  const pay = await thirdParty({ "/card": [HTML, "<!doctype html><p>card number</p>"] });
  const api = await thirdParty({ "/data": ["application/json", '{"ok":"yes"}'] });
  const ws = await startWebSocket();
  const origins = {
    cdn: cdn.url,
    analytics: analyticsFiles.url,
    fonts: fontFiles.url,
    embed: embed.url,
    pay: pay.url,
    api: api.url,
    ws: ws.url.replace(/^http/, "ws"),
  };
  const { running: shop } = await serve((_req, res, url) => shopRoute(res, url, origins, marker));
  const all = [shop, cdn, analyticsFiles, fontFiles, embed, pay, api, ws];
  return {
    shop,
    cdn,
    analytics: analyticsFiles,
    fonts: fontFiles,
    embed,
    pay,
    api,
    ws,
    marker,
    close: async () => {
      await Promise.all(all.map((r) => r.close()));
    },
  };
}

/** The loader injects the collector from its own origin, as a real analytics snippet does; the collector sends a beacon. */
async function startAnalytics(): Promise<Running> {
  let origin = "";
  const { running } = await serve((req, res, url) => {
    if (url.pathname === "/loader.js")
      send(res, JS, `var s = document.createElement("script"); s.src = "${origin}/collect.js"; document.head.appendChild(s);`);
    else if (url.pathname === "/collect.js")
      send(res, JS, `document.documentElement.dataset.analytics = "ran"; navigator.sendBeacon("${origin}/beacon", "hit");`);
    else if (url.pathname === "/beacon") {
      req.resume();
      res.writeHead(204, { "Access-Control-Allow-Origin": "*" }).end();
    } else res.writeHead(404).end();
  });
  origin = running.url;
  return running;
}

async function startFonts(): Promise<Running> {
  let origin = "";
  const { running } = await serve((_req, res, url) => {
    if (url.pathname === "/fonts.css")
      send(
        res,
        "text/css",
        `@font-face { font-family: Shop; src: url(${origin}/shop.woff2) format("woff2"); } body { font-family: Shop, sans-serif; }`,
      );
    // Not a real font: the browser fetches it (what the policy must allow), then falls back to sans-serif.
    else if (url.pathname === "/shop.woff2") send(res, "font/woff2", Buffer.from("not a font"));
    else res.writeHead(404).end();
  });
  origin = running.url;
  return running;
}

async function startWebSocket(): Promise<Running> {
  const { server, running } = await serve((_req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({ server });
  wss.on("connection", (socket) => socket.send("hello"));
  return {
    url: running.url,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await running.close();
    },
  };
}

/** The paths a visitor uses, each with the `data-*` flags its scripts set on <html> when they ran. */
export const SCAN_SITE_PAGES: readonly { readonly path: string; readonly ran: Readonly<Record<string, string>> }[] = [
  { path: "/", ran: { lib: "ran", analytics: "ran", home: "ran" } },
  { path: "/about", ran: { about: "ran" } },
  { path: "/pay", ran: { pay: "ran" } },
  { path: "/video", ran: {} },
  { path: "/app", ran: { api: "yes", worker: "fetched yes", ws: "hello" } },
  { path: "/contact", ran: { contact: "ran" } },
  { path: "/search?q=shoes", ran: { search: "ran" } },
];

function layout(title: string, head: string, body: string): string {
  // /about is linked only through a redirect: the scanner must follow it and still instrument the page.
  const nav = SCAN_SITE_PAGES.map((p) => `<a href="${p.path === "/about" ? "/old-about" : p.path}">${p.path}</a>`).join(" ");
  return `<!doctype html>\n<html><head><title>${title}</title>\n${head}\n</head><body>\n<nav>${nav}</nav>\n${body}\n</body></html>\n`;
}

type Origins = Readonly<Record<"cdn" | "analytics" | "fonts" | "embed" | "pay" | "api" | "ws", string>>;

function shopRoute(res: ServerResponse, url: URL, o: Origins, marker: string): void {
  const flag = (name: string): string => `document.documentElement.dataset.${name} = "ran";`;
  switch (url.pathname) {
    case "/":
      // Scripts in the markup beside a loader that injects one: marked nonces with 'strict-dynamic'.
      return send(
        res,
        HTML,
        layout(
          "Shop",
          `<link rel="stylesheet" href="${o.fonts}/fonts.css">\n<style>h1 { color: #234; }</style>`,
          `<h1>Shop</h1>
<script nonce="${marker}" src="${o.cdn}/lib.js"></script>
<script nonce="${marker}" src="${o.analytics}/loader.js"></script>
<script nonce="${marker}">${flag("home")}</script>`,
        ),
      );
    case "/about":
      // Fixed inline code only: hashes, no nonce.
      return send(
        res,
        HTML,
        layout(
          "About",
          `<style>p.lead { font-weight: bold; }</style>`,
          `<p class="lead" style="color: #345">About us</p>
<img src="${o.cdn}/logo.svg" alt="logo">
<script>${flag("about")}</script>`,
        ),
      );
    case "/pay":
      return send(
        res,
        HTML,
        layout(
          "Pay",
          "",
          `<iframe src="${o.pay}/card" title="card"></iframe>
<form action="${o.pay}/charge" method="post"><button>Pay</button></form>
<script>${flag("pay")}</script>`,
        ),
      );
    case "/video":
      return send(res, HTML, layout("Video", "", `<iframe src="${o.embed}/player" title="video"></iframe>`));
    case "/app":
      return send(
        res,
        HTML,
        layout(
          "App",
          "",
          `<script>
fetch("${o.api}/data").then((r) => r.json()).then((d) => { document.documentElement.dataset.api = d.ok; });
const worker = new Worker("/worker.js");
worker.onmessage = (e) => { document.documentElement.dataset.worker = e.data; };
const socket = new WebSocket("${o.ws}/live");
socket.onmessage = (e) => { document.documentElement.dataset.ws = e.data; };
</script>`,
        ),
      );
    case "/old-about":
      res.writeHead(301, { Location: "/about" }).end();
      return;
    case "/worker.js":
      return send(res, JS, `fetch("${o.api}/data").then((r) => r.json()).then((d) => postMessage("fetched " + d.ok));`);
    case "/contact":
      return send(
        res,
        HTML,
        layout(
          "Contact",
          "",
          `<button id="send" onclick="document.documentElement.dataset.clicked = 'yes'">Send</button>
<script>${flag("contact")}</script>`,
        ),
      );
    case "/search": {
      // Reflects q unescaped (the bug an attacker uses), and a per-response token in a marked inline script.
      const token = Math.random().toString(36).slice(2);
      return send(
        res,
        HTML,
        layout(
          "Search",
          "",
          `<p>Results for ${url.searchParams.get("q") ?? ""}</p>
<script nonce="${marker}">window.searchToken = "${token}"; ${flag("search")}</script>`,
        ),
      );
    }
    default:
      res.writeHead(404, { "Content-Type": HTML }).end("<!doctype html><p>not found</p>");
  }
}
