// scan never lets Chromium load another origin's page: a cross-origin redirect, meta refresh or script
// navigation from a scanned page is stopped before it leaves, and listed under "Not scanned".

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMain } from "../support/cli-io.js";
import { CHROMIUM } from "./support/browser.js";

const otherHits: string[] = [];
let other: Server;
let site: Server;

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

let scan: { code: number; stdout: string; stderr: string };
let away = "";

beforeAll(async () => {
  other = createServer((req, res) => {
    otherHits.push(req.url ?? "");
    res.setHeader("Content-Type", "text/html");
    res.end("<p>another origin</p>");
  });
  away = await listen(other);
  site = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/out") {
      res.writeHead(302, { Location: `${away}/redirected` });
      res.end();
      return;
    }
    res.setHeader("Content-Type", "text/html");
    if (path === "/meta") res.end(`<meta http-equiv=refresh content="0;url=${away}/meta-target"><p>m</p>`);
    else if (path === "/js") res.end(`<p>j</p><script>addEventListener("load", () => { location = "${away}/js-target"; })</script>`);
    else res.end('<!doctype html><title>a</title><a href="/out">o</a><a href="/meta">m</a><a href="/js">j</a>');
  });
  const start = await listen(site);
  scan = await runMain(["scan", `${start}/`, "--pages", "8", "--settle", "1000", "--chromium", CHROMIUM], { env: {} });
}, 300_000);

afterAll(async () => {
  await new Promise((resolve) => other.close(resolve));
  await new Promise((resolve) => site.close(resolve));
});

describe("scan on a site whose pages lead elsewhere", () => {
  it("sends the other origin no request at all", () => {
    expect(scan.code, scan.stderr).toBe(0);
    expect(otherHits).toEqual([]);
  });

  it.each([
    ["/redirected", "a 302 redirect"],
    ["/meta-target", "a navigation"],
    ["/js-target", "a navigation"],
  ])("lists %s as not scanned: left the site via %s", (path, how) => {
    const line = `${scan.stdout}\n${scan.stderr}`.split("\n").find((l) => l.includes(`${away}${path}`)) ?? "";
    expect(line, `${scan.stdout}\n${scan.stderr}`).toContain(`left the site via ${how}`);
  });
});
