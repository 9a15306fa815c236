// An origin with a stored-XSS hole for the marker attack tests: comments are written into the page unescaped,
// the page marks its own script with the site's marker, and Range requests are honoured as origins do.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Server2 } from "./site.js";

/** The published marker of the old default: what a policy that kept it let anyone write. */
export const PUBLIC_MARKER = "__CSP_NONCE__";

function page(marker: string, comments: readonly string[]): string {
  return `<!doctype html>
<html><head><title>comments</title></head><body>
<script nonce="${marker}">document.documentElement.dataset.marked = "ran";</script>
<h1>Comments</h1>
${comments.map((c) => `<div class="comment">${c}</div>`).join("\n")}
</body></html>
`;
}

function send(req: IncomingMessage, res: ServerResponse, html: string): void {
  const body = Buffer.from(html);
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
  if (range === null) {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Accept-Ranges": "bytes", "Content-Length": String(body.length) });
    res.end(body);
    return;
  }
  const start = Number(range[1]);
  const end = range[2] === "" ? body.length - 1 : Math.min(Number(range[2]), body.length - 1);
  res.writeHead(206, {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Range": `bytes ${start}-${end}/${body.length}`,
    "Content-Length": String(end - start + 1),
  });
  res.end(body.subarray(start, end + 1));
}

/**
 * /marked/page marks its script with `marker` and shows the stored comments raw; POST /marked/comment stores
 * one (the hole). /public/page marks its script with the published marker and already carries the
 * attacker's comment, which marks an injected script the same way.
 */
export async function startAttackSite(marker: string): Promise<Server2> {
  const comments: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://site.test").pathname;
    if (req.method === "POST" && path === "/marked/comment") {
      const parts: Buffer[] = [];
      req.on("data", (chunk: Buffer) => parts.push(chunk));
      req.on("end", () => {
        comments.push(Buffer.concat(parts).toString("utf8"));
        res.writeHead(204).end();
      });
      return;
    }
    if (path === "/marked/page") return send(req, res, page(marker, comments));
    const injected = `<script nonce="${PUBLIC_MARKER}">document.documentElement.dataset.injected = "ran";</script>`;
    if (path === "/public/page") return send(req, res, page(PUBLIC_MARKER, [injected]));
    res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
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
