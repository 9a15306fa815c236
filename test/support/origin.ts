// A real origin for tests and benches: node:http on 127.0.0.1, one route per behaviour under test.

import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { WebSocketServer } from "ws";
import { wsText } from "./ws-text.js";

export interface Origin {
  readonly url: string;
  readonly port: number;
  /** Requests seen so far, by path (the report collector tests check that nothing reached the origin). */
  readonly hits: Map<string, number>;
  close(): Promise<void>;
}

export const HTML_PAGE = `<!doctype html>
<html><head><title>origin</title><style>body{font-family:sans-serif}</style></head>
<body><h1>Hello from the origin</h1><script>document.title = "ran";</script></body></html>
`;

/** Deterministic bytes: byte i of any /bytes body is (i * 31 + 7) & 0xff, so a client can hash without a copy. */
export function patternChunk(offset: number, length: number): Buffer {
  const chunk = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) chunk[i] = ((offset + i) * 31 + 7) & 0xff;
  return chunk;
}

/** The sha256 of the first n bytes of the /bytes pattern. */
export function patternSha256(n: number): string {
  const hash = createHash("sha256");
  const step = 1 << 20;
  for (let offset = 0; offset < n; offset += step) hash.update(patternChunk(offset, Math.min(step, n - offset)));
  return hash.digest("hex");
}

const GZIP_TEXT = "gzip body ".repeat(600);
export const GZIP_BODY = gzipSync(Buffer.from(GZIP_TEXT));
export { GZIP_TEXT };

const PATTERN_BLOCK = patternChunk(0, 31 * 256 * 64);

function writeBytes(res: ServerResponse, n: number): void {
  // The pattern repeats every 256 bytes, so one precomputed block serves any aligned offset.
  let sent = 0;
  const pump = (): void => {
    while (sent < n) {
      const length = Math.min(PATTERN_BLOCK.length, n - sent);
      const ok = res.write(PATTERN_BLOCK.subarray(0, length));
      sent += length;
      if (!ok) {
        res.once("drain", pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

/** A page for nonce tests: marked and unmarked scripts and styles, links of every kind, an inline handler. */
export function noncePage(marker = "__CSP_NONCE__"): string {
  return `<!doctype html>
<html><head><title>nonce</title>
<style nonce="${marker}">body{color:black}</style>
<style>body{color:red}</style>
<link rel="stylesheet" href="/a.css" nonce="${marker}">
<link rel="stylesheet" href="/b.css">
<link rel="preload" as="script" href="/p.js">
<link rel="preload" as="font" href="/f.woff2">
<link rel="modulepreload" href="/m.js">
<link rel="icon" href="/favicon.ico">
</head><body>
<button onclick="clicked()">x</button>
<script nonce="${marker}">window.marked = true;</script>
<script>window.unmarked = true;</script>
<script src="/app.js" nonce="${marker}"></script>
<p>The marker in text: ${marker}</p>
</body></html>
`;
}

/** An HTML page of about `kb` KiB with a few script and style tags, for benches. */
export function htmlPage(kb: number): string {
  const head = "<!doctype html><html><head><title>page</title><style>p{margin:0}</style></head><body>\n";
  const tail = "<script>window.loaded = true;</script></body></html>\n";
  const filler = "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.</p>\n";
  let body = "";
  while (head.length + body.length + tail.length + filler.length <= kb * 1024) body += filler;
  return head + body + tail;
}

/** A JSON document of about `kb` KiB. */
export function jsonDocument(kb: number): string {
  const items: { id: number; name: string }[] = [];
  while (JSON.stringify({ items }).length + 40 <= kb * 1024) items.push({ id: items.length, name: `item-${items.length}` });
  return JSON.stringify({ items });
}

interface Held {
  readonly waiting: Map<string, () => void>;
}

function route(req: IncomingMessage, res: ServerResponse, url: URL, timers: Set<NodeJS.Timeout>, held: Held): void {
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const path = url.pathname;
  if (path === "/html") {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(HTML_PAGE);
  } else if (path === "/page") {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(htmlPage(Number(url.searchParams.get("kb") ?? "2")));
  } else if (path === "/json") {
    res.writeHead(200, { "Content-Type": "application/json" });
    const kb = url.searchParams.get("kb");
    res.end(kb === null ? JSON.stringify({ ok: true, items: [1, 2, 3] }) : jsonDocument(Number(kb)));
  } else if (path === "/nonce-page") {
    // ?marker=… (default __CSP_NONCE__), ?csp=… an origin CSP, ?cache=… a Cache-Control, ?gzip=1
    const body = Buffer.from(noncePage(url.searchParams.get("marker") ?? undefined));
    const headers: Record<string, string> = { "Content-Type": "text/html; charset=utf-8", ETag: '"page-v1"' };
    const csp = url.searchParams.get("csp");
    if (csp !== null) headers["Content-Security-Policy"] = csp;
    const cache = url.searchParams.get("cache");
    if (cache !== null) headers["Cache-Control"] = cache;
    if (url.searchParams.get("gzip") === "1") {
      const zipped = gzipSync(body);
      res.writeHead(200, { ...headers, "Content-Encoding": "gzip", "Content-Length": String(zipped.length) });
      res.end(zipped);
    } else {
      res.writeHead(200, { ...headers, "Content-Length": String(body.length) });
      res.end(req.method === "HEAD" ? undefined : body);
    }
  } else if (path === "/marker-body" || url.searchParams.has("marker-body")) {
    // ?marker-body on any path: the same answer, for tests that need it on paths of their choosing.
    markerBody(req, res, url);
  } else if (path === "/hold") {
    // /hold?id=X sends "first\n" and holds the rest until /release?id=X: streaming is proven by order,
    // not by timing. The origin never finishes before the test says so.
    const id = url.searchParams.get("id") ?? "";
    res.writeHead(200, { "Content-Type": url.searchParams.get("type") ?? "text/plain" });
    res.write(url.searchParams.get("first") ?? "first\n");
    held.waiting.set(id, () => res.end("second\n"));
  } else if (path === "/release") {
    const id = url.searchParams.get("id") ?? "";
    const release = held.waiting.get(id);
    held.waiting.delete(id);
    release?.();
    res.writeHead(release === undefined ? 404 : 200, { "Content-Type": "text/plain" });
    res.end(release === undefined ? "unknown id\n" : "released\n");
  } else if (path === "/fixed") {
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": "11" });
    res.end("hello world");
  } else if (path === "/echo" || path.startsWith("/echo/")) {
    const hash = createHash("sha256");
    let length = 0;
    req.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
    });
    req.on("end", () => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bodyLength: length, bodySha256: hash.digest("hex") }),
      );
    });
  } else if (path === "/respond") {
    // /respond?status=200&h=Name:Value&h=Name:Value : the origin sends exactly these header lines.
    const status = Number(url.searchParams.get("status") ?? "200");
    const lines: string[] = [];
    for (const pair of url.searchParams.getAll("h")) {
      const colon = pair.indexOf(":");
      lines.push(pair.slice(0, colon), pair.slice(colon + 1));
    }
    res.writeHead(status, lines);
    res.end(status === 204 || status === 304 || req.method === "HEAD" ? undefined : `status ${status}\n`);
  } else if (path === "/status") {
    const status = Number(url.searchParams.get("code") ?? "200");
    res.writeHead(status, { "Content-Type": "text/plain" });
    res.end(status === 204 || status === 304 ? undefined : `status ${status}\n`);
  } else if (path === "/redirect") {
    res.writeHead(302, { Location: "/elsewhere" });
    res.end();
  } else if (path === "/cookies") {
    res.writeHead(200, [
      "Content-Type",
      "text/plain",
      "Set-Cookie",
      "a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Path=/; HttpOnly",
      "Set-Cookie",
      "b=2; Path=/; Secure; SameSite=Lax",
    ]);
    res.end("two cookies\n");
  } else if (path === "/slow") {
    const delay = Number(url.searchParams.get("ms") ?? "1000");
    res.writeHead(200, { "Content-Type": url.searchParams.get("type") ?? "text/plain" });
    res.write("first\n");
    later(delay, () => res.end("second\n"));
  } else if (path === "/stall") {
    // Never answers; the socket is destroyed when the server closes.
  } else if (path === "/gzip") {
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Encoding": "gzip", "Content-Length": String(GZIP_BODY.length) });
    res.end(GZIP_BODY);
  } else if (path === "/range") {
    const body = "0123456789abcdefghij";
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
    if (m === null) {
      res.writeHead(200, { "Content-Type": "text/plain", "Accept-Ranges": "bytes", "Content-Length": String(body.length) });
      res.end(body);
    } else {
      const start = Number(m[1]);
      const end = Number(m[2]);
      res.writeHead(206, {
        "Content-Type": "text/plain",
        "Content-Range": `bytes ${start}-${end}/${body.length}`,
        "Content-Length": String(end - start + 1),
      });
      res.end(body.slice(start, end + 1));
    }
  } else if (path === "/etag") {
    if (req.headers["if-none-match"] === '"v1"') {
      res.writeHead(304, { ETag: '"v1"', "Cache-Control": "max-age=60" });
      res.end();
    } else {
      res.writeHead(200, { ETag: '"v1"', "Cache-Control": "max-age=60", "Content-Type": "text/html" });
      res.end(HTML_PAGE);
    }
  } else if (path === "/head") {
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": "1234" });
    if (req.method === "HEAD") res.end();
    else res.end(Buffer.alloc(1234, 1));
  } else if (path === "/sse") {
    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
    let n = 0;
    const tick = (): void => {
      n++;
      res.write(`data: event ${n}\n\n`);
      if (n < 3) later(Number(url.searchParams.get("ms") ?? "400"), tick);
      else res.end();
    };
    tick();
  } else if (path === "/bytes") {
    const n = Number(url.searchParams.get("n") ?? "1024");
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": String(n) });
    writeBytes(res, n);
  } else {
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("not found\n");
  }
}

/** How /marker-body encodes its body: the bytes, and the Content-Encoding line it sends with them. */
const MARKER_BODY_CODINGS: Record<string, { header: string; encode: (b: Buffer) => Buffer }> = {
  gzip: { header: "gzip", encode: (b) => gzipSync(b) },
  br: { header: "br", encode: (b) => brotliCompressSync(b) },
  deflate: { header: "deflate", encode: (b) => deflateSync(b) },
  "deflate-raw": { header: "deflate", encode: (b) => deflateRawSync(b) },
  "x-gzip": { header: "x-gzip", encode: (b) => gzipSync(b) },
  GZIP: { header: "GZIP", encode: (b) => gzipSync(b) },
  "gzip-gzip": { header: "gzip, gzip", encode: (b) => gzipSync(gzipSync(b)) },
  identity: { header: "identity", encode: (b) => b },
  // Not compressed at all: what matters is that nothing here can decode the label.
  zstd: { header: "zstd", encode: (b) => b },
};

/**
 * /marker-body: a body for the marker tests. The body is ?body= (base64) or, when absent, the request's own
 * body echoed; ?status=, ?h=Name:Value lines, ?enc= a coding from MARKER_BODY_CODINGS. A single
 * `Range: bytes=a-b` or `bytes=a-` is honoured (206) on an unencoded body, and ?force206=1 answers 206
 * without one. X-Seen-Range (and X-Seen-Request-Range, the old spelling) say which range reached the origin.
 */
function markerBody(req: IncomingMessage, res: ServerResponse, url: URL): void {
  const parts: Buffer[] = [];
  req.on("data", (chunk: Buffer) => parts.push(chunk));
  req.on("end", () => {
    const given = url.searchParams.get("body");
    const plain = given === null ? Buffer.concat(parts) : Buffer.from(given, "base64");
    const coding = MARKER_BODY_CODINGS[url.searchParams.get("enc") ?? ""];
    const bytes = coding === undefined ? plain : coding.encode(plain);
    let status = Number(url.searchParams.get("status") ?? "200");
    const lines: string[] = [
      "X-Seen-Range",
      req.headers.range ?? "none",
      "X-Seen-Request-Range",
      String(req.headers["request-range"] ?? "none"),
    ];
    for (const pair of url.searchParams.getAll("h")) {
      const colon = pair.indexOf(":");
      lines.push(pair.slice(0, colon), pair.slice(colon + 1));
    }
    if (coding !== undefined) lines.push("Content-Encoding", coding.header);
    let sent = bytes;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    if ((range !== null && coding === undefined) || url.searchParams.get("force206") === "1") {
      const start = range === null ? 0 : Number(range[1]);
      const end = range === null || range[2] === "" ? bytes.length - 1 : Math.min(Number(range[2]), bytes.length - 1);
      sent = bytes.subarray(start, end + 1);
      status = 206;
      lines.push("Content-Range", `bytes ${start}-${end}/${bytes.length}`);
    }
    const bodyless = status === 204 || status === 304 || req.method === "HEAD";
    if (status !== 204 && status !== 304) lines.push("Content-Length", String(sent.length));
    res.writeHead(status, lines);
    res.end(bodyless ? undefined : sent);
  });
}

/** Start the origin on 127.0.0.1 with an ephemeral port. */
export async function startOrigin(): Promise<Origin> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const hits = new Map<string, number>();
  const held: Held = { waiting: new Map() };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://origin.test");
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    route(req, res, url, timers, held);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on("message", (data, isBinary) => ws.send(isBinary ? data : `echo:${wsText(data)}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      held.waiting.clear();
      for (const client of wss.clients) client.terminate();
      wss.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
