// The nonce bench's origin: generated HTML pages with marked and unmarked tags, and a held page for first byte.

import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createMarker } from "../src/core/nonce/nonce-marker.js";
import { fill, HOSTILE } from "../test/html/hostile.js";
import { realisticPage } from "../test/html/pages.js";

/**
 * What the origin writes where the nonce goes: drawn per run (the Workers get it as NONCE_MARKER), or
 * BENCH_NONCE_MARKER. The scrubber's cost depends on how often the marker's first byte occurs in the page
 * (its native search stops at each), so a run reports that count, and a fixed marker makes runs comparable.
 */
export const MARKER = process.env["BENCH_NONCE_MARKER"] ?? createMarker();

/** A generated page and what a nonce Worker should do to it. */
export interface Page {
  readonly path: string;
  readonly body: Buffer;
  /** `<script` and `<style` start tags (blanket mode stamps every one; the page has no links). */
  readonly tags: number;
  /** Occurrences of the marker (marked mode and the buffering Worker replace each). */
  readonly marked: number;
}

/** Pad `html` up to exactly `bytes` with a comment before `</body>`, so pages have round sizes. */
function padTo(head: string, body: string, bytes: number): string {
  const tail = "</body></html>\n";
  const room = bytes - Buffer.byteLength(head + body + tail);
  if (room < 8) throw new Error(`page content is ${-room} bytes over ${bytes}`);
  return `${head}${body}<!--${"x".repeat(room - 7)}-->${tail}`;
}

const count = (text: string, needle: string): number => text.split(needle).length - 1;

function page(path: string, html: string): Page {
  return { path, body: Buffer.from(html), tags: count(html, "<script") + count(html, "<style"), marked: count(html, MARKER) };
}

/** 2 KiB with a few tags, as a small server-rendered page: three of its five script/style elements are marked. */
export function smallPage(): Page {
  const head =
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Small page</title>\n' +
    `<style nonce="${MARKER}">body{font-family:system-ui;margin:0 auto;max-width:40rem}h1{font-size:1.6rem}</style>\n` +
    `<script nonce="${MARKER}" src="/static/app.js" defer></script>\n` +
    "<script>window.dataLayer = window.dataLayer || [];</script>\n" +
    "</head><body>\n<h1>Welcome back</h1>\n";
  let body = "";
  const paragraph = "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt.</p>\n";
  while (Buffer.byteLength(head + body + paragraph) < 1600) body += paragraph;
  body += `<style>.footer{color:#555}</style>\n<script nonce="${MARKER}">document.documentElement.dataset.ready = "1";</script>\n`;
  return page("/small", padTo(head, body, 2048));
}

/** 1 MiB with 1,000 `<script>` and 1,000 `<style>` elements, every other one of each marked. */
export function bigPage(): Page {
  const head = '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Big page</title></head><body>\n';
  const blocks: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const scriptNonce = i % 2 === 0 ? ` nonce="${MARKER}"` : "";
    const styleNonce = i % 2 === 1 ? ` nonce="${MARKER}"` : "";
    blocks.push(
      `<section id="s${i}"><h2>Section ${i}</h2>\n` +
        `<style${styleNonce}>#s${i} h2{color:#${(i * 2654435761).toString(16).slice(-6).padStart(6, "0")}}</style>\n` +
        "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. " +
        "Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.</p>\n" +
        "<p>Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint " +
        "occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.</p>\n" +
        `<script${scriptNonce}>window.sections = (window.sections || 0) + 1; window.s${i} = { id: ${i}, seen: false };</script>\n` +
        "<ul><li>First item</li><li>Second item</li><li>Third item</li></ul></section>\n",
    );
  }
  return page("/big", padTo(head, blocks.join(""), 1024 * 1024));
}

/** A 1 MiB body for the blanket side-by-side: ordinary pages to compare with, and hostile ones. */
export interface BlanketBody extends Page {
  readonly name: string;
  /** Ordinary pages are what hostile ones are compared with. */
  readonly ordinary: boolean;
}

/** The hostile patterns the side-by-side runs (the two, and the costliest of the rest). */
const SIDE_BY_SIDE = [
  "script text after <!-- full of - and <",
  "<a  repeated with no >",
  "font colours that never close",
  "li after li inside deep divs",
  "misnesting for the adoption agency",
  "deep spans, then end tags nothing matches",
  "select contents",
  "a long comment with --!",
  "thousands of formatting elements",
  "<a><li><i> repeated (reconstruction after every li)",
  "<a><p><i> repeated (the adoption agency with a furthest block)",
];

/** A tag manager's <noscript> snippet right after <body> (the second parser model runs until its end). */
function withTagManager(page: string): string {
  const at = page.indexOf(">", page.indexOf("<body")) + 1;
  return `${page.slice(0, at)}<noscript><iframe src="https://tags.example/ns.html?id=GTM-X" height="0" width="0" style="display:none"></iframe></noscript>${page.slice(at)}`;
}

/**
 * The blanket side-by-side's bodies, 1 MiB each: the big page (sparse: 2,000 script/style elements in
 * text), a dense realistic page (about 80,000 tags), and hostile bodies from test/html/hostile.ts.
 */
export function blanketBodies(): BlanketBody[] {
  const size = 1024 * 1024;
  const big = bigPage();
  const bodies: BlanketBody[] = [
    { ...big, name: "ordinary: the big page (sparse)", ordinary: true, path: "/blanket/big" },
    { ...page("/blanket/dense", realisticPage(20260426, size).slice(0, size)), name: "ordinary: a dense realistic page", ordinary: true },
    {
      ...page("/blanket/dense-noscript", withTagManager(realisticPage(20260426, size)).slice(0, size)),
      name: "ordinary: the dense page with a tag manager's <noscript> after <body>",
      ordinary: true,
    },
  ];
  HOSTILE.filter((h) => SIDE_BY_SIDE.includes(h.name)).forEach((h, i) => {
    bodies.push({ ...page(`/blanket/hostile-${i}`, fill(h.prefix, h.unit, size)), name: `hostile: ${h.name}`, ordinary: false });
  });
  // Hostile for the marked scrub: its native search stops at every first byte, its automata step through partial markers.
  const partial = `${MARKER.slice(0, -1)}!`;
  bodies.push({
    ...page("/blanket/marker-first", MARKER.slice(0, 1).repeat(size)),
    name: "hostile: the marker's first byte repeated",
    ordinary: false,
  });
  bodies.push({
    ...page("/blanket/marker-partial", partial.repeat(Math.ceil(size / partial.length)).slice(0, size)),
    name: "hostile: the marker less its last byte, repeated",
    ordinary: false,
  });
  return bodies;
}

/** The held page's two parts: the head leaves first (as streaming servers flush it), the rest on release. */
export const HELD_FIRST = `<!doctype html>\n<html><head><title>held</title><script nonce="${MARKER}">window.t0 = Date.now();</script><style>p{margin:0}</style></head><body>\n`;
export const HELD_REST = `<p>the rest</p><script nonce="${MARKER}">window.t1 = Date.now();</script></body></html>\n`;

export interface PagesOrigin {
  readonly url: string;
  readonly pages: { readonly small: Page; readonly big: Page };
  /** The blanket side-by-side's bodies, each at its own path. */
  readonly blanket: readonly BlanketBody[];
  close(): Promise<void>;
}

/**
 * Start the origin on 127.0.0.1. Routes: /small, /big, and /hold?id=X&ms=N, which sends HELD_FIRST and the
 * rest only when /release?id=X arrives (200 "released") or, at the latest, after N ms (then /release says 404),
 * so a Worker that buffers the whole body still gets a bounded first byte.
 */
export async function startPages(): Promise<PagesOrigin> {
  const pages = { small: smallPage(), big: bigPage() };
  const blanket = blanketBodies();
  const blanketByPath = new Map(blanket.map((b) => [b.path, b]));
  const held = new Map<string, () => void>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const send = (res: ServerResponse, p: Page): void => {
    res.writeHead(200, {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Length": String(p.body.length),
      "Cache-Control": "public, max-age=60",
    });
    res.end(p.body);
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://pages.test");
    if (url.pathname === pages.small.path) send(res, pages.small);
    else if (url.pathname === pages.big.path) send(res, pages.big);
    else if (blanketByPath.has(url.pathname)) send(res, blanketByPath.get(url.pathname) ?? pages.big);
    else if (url.pathname === "/hold") {
      const id = url.searchParams.get("id") ?? "";
      const ms = Math.min(60_000, Number(url.searchParams.get("ms") ?? "1000"));
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      res.write(HELD_FIRST);
      const finish = (): void => {
        clearTimeout(timer);
        timers.delete(timer);
        held.delete(id);
        res.end(HELD_REST);
      };
      const timer = setTimeout(finish, ms);
      timers.add(timer);
      held.set(id, finish);
    } else if (url.pathname === "/release") {
      const finish = held.get(url.searchParams.get("id") ?? "");
      finish?.();
      res.writeHead(finish === undefined ? 404 : 200, { "Content-Type": "text/plain" });
      res.end(finish === undefined ? "not held\n" : "released\n");
    } else {
      res.writeHead(404, { "Content-Type": "text/plain" });
      res.end("not found\n");
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the pages origin has no port");
  const { port } = address satisfies AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pages,
    blanket,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      held.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
