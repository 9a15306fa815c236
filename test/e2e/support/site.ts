// The site the browser tests load: an origin with pages for each CSP behaviour, and two other origins
// (a partner and a stranger) that try to frame it. All on 127.0.0.1, each on its own port.

import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createMarker } from "../../../src/core/nonce/nonce-marker.js";

/** The site's secret nonce marker for this run: the Worker's NONCE_MARKER, written by the origin's pages. */
export const SITE_MARKER = createMarker();

/** A page whose scripts record that they ran in <html data-…>, so the test can read what executed. */
export const SCRIPT_PAGE = `<!doctype html>
<html><head><title>scripts</title></head><body>
<p>A page with a marked script and an "injected" one.</p>
<script nonce="${SITE_MARKER}">document.documentElement.dataset.marked = "ran";</script>
<div class="user-comment"><script>document.documentElement.dataset.injected = "ran";</script></div>
</body></html>
`;

/** The inline script a hash-only policy allows, and one it does not. */
export const HASHED_SCRIPT = 'document.documentElement.dataset.hashed = "ran";';
export const HASHED_PAGE = `<!doctype html>
<html><head><title>hashed</title></head><body>
<script>${HASHED_SCRIPT}</script>
<script>document.documentElement.dataset.unhashed = "ran";</script>
</body></html>
`;

export const WIDGET_PAGE = `<!doctype html><html><head><title>widget</title></head><body><p id="widget">widget</p></body></html>\n`;

export const REPORT_ONLY_PAGE = `<!doctype html>
<html><head><title>report only</title></head><body>
<script>document.documentElement.dataset.reportOnly = "ran";</script>
</body></html>
`;

export interface Server2 {
  readonly url: string;
  close(): Promise<void>;
}

async function serve(handler: (path: string, query: URLSearchParams) => { status: number; body: string }): Promise<Server2> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://site.test");
    const { status, body } = handler(url.pathname, url.searchParams);
    res.writeHead(status, { "Content-Type": "text/html; charset=utf-8" });
    res.end(body);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The origin behind the Worker. */
export function startSiteOrigin(): Promise<Server2> {
  return serve((path) => {
    if (path.endsWith("/scripts")) return { status: 200, body: SCRIPT_PAGE };
    if (path.endsWith("/hashed")) return { status: 200, body: HASHED_PAGE };
    if (path.startsWith("/embed/") || path.startsWith("/private/")) return { status: 200, body: WIDGET_PAGE };
    if (path.endsWith("/report-only")) return { status: 200, body: REPORT_ONLY_PAGE };
    return { status: 404, body: "<p>not found</p>" };
  });
}

/** Another origin whose page frames `?src=` in an iframe with id "frame". */
export function startFramer(): Promise<Server2> {
  return serve((_, query) => {
    const src = query.get("src") ?? "about:blank";
    const escaped = src.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    return { status: 200, body: `<!doctype html><html><body><iframe id="frame" src="${escaped}"></iframe></body></html>\n` };
  });
}

/** An origin that serves these exact bytes at these paths as `text/html` (404 elsewhere), for the blanket tests. */
export async function startPagesOrigin(pages: ReadonlyMap<string, Uint8Array>, contentType = "text/html; charset=utf-8"): Promise<Server2> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const body = pages.get(new URL(req.url ?? "/", "http://site.test").pathname);
    res.writeHead(body === undefined ? 404 : 200, { "Content-Type": contentType });
    res.end(body ?? "not found");
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
