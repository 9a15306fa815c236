// `hashes <url>` against a real local server: same-host redirects only (another host's scripts are never
// taken for the page's), and a cap on the body that stops reading at once, whatever the server sends.

import { createHash } from "node:crypto";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runMain } from "../support/cli-io.js";

const SCRIPT = 'document.title = "final";';
const PAGE = `<!doctype html><script>${SCRIPT}</script>`;
/** A server-side bound on any endless body: the test never streams more than this. */
const ENDLESS_LIMIT = 64 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, "a");

let server: Server | undefined;
let base = "";
/** Body bytes the server managed to hand to the socket for the current request. */
let written = 0;

/** Write CHUNKs until the client goes away or ENDLESS_LIMIT is reached, respecting backpressure. */
function endless(res: ServerResponse): void {
  res.writeHead(200, { "Content-Type": "text/html" });
  const pump = (): void => {
    while (written < ENDLESS_LIMIT && !res.destroyed) {
      written += CHUNK.length;
      if (!res.write(CHUNK)) {
        res.once("drain", pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const redirect = (location: string) => res.writeHead(302, { Location: location }).end();
    if (path === "/final") res.writeHead(200, { "Content-Type": "text/html" }).end(PAGE);
    else if (path === "/same-host") redirect("/final");
    else if (path === "/absolute-same-host") redirect(`${base}/final`);
    else if (path === "/other-host") redirect("http://scripts.example.net/final");
    else if (path === "/other-port") redirect(`http://127.0.0.1:${Number(new URL(base).port) === 1 ? 2 : 1}/final`);
    else if (path === "/loop") redirect("/loop");
    else if (path === "/endless") endless(res);
    else if (path === "/declared-large")
      res.writeHead(200, { "Content-Type": "text/html", "Content-Length": String(10 * 1024 * 1024) }).end();
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
});

beforeEach(() => {
  written = 0;
});

const sha = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

describe("hashes <url> redirects", () => {
  it.each([["/same-host"], ["/absolute-same-host"]])("follows %s on the same host and hashes the final page", async (path) => {
    const run = await runMain(["hashes", `${base}${path}`, "--no-styles"]);
    expect(run.stderr).toContain("1 inline script");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ path: "/*", csp: { add: { "script-src": [sha(SCRIPT)] } } });
  });

  it.each([
    ["/other-host", "http://scripts.example.net/final", "another host (scripts.example.net)"],
    ["/other-port", "http://127.0.0.1:", "another host (127.0.0.1:"],
  ])("refuses %s, naming where it leads, and hashes nothing", async (path, target, reason) => {
    const run = await runMain(["hashes", `${base}${path}`]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`redirects to ${target}`);
    expect(run.stderr).toContain(reason);
  });

  it("gives up on a redirect loop", async () => {
    const run = await runMain(["hashes", `${base}/loop`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("redirects more than 5 times");
  });
});

describe("hashes <url> body cap", () => {
  it("stops reading an endless page at --max-bytes with a clear error", async () => {
    const run = await runMain(["hashes", `${base}/endless`, "--max-bytes", "65536"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("is larger than 65536 bytes, the most hashes reads (raise it with --max-bytes)");
    // The server was cut off long before its own bound: what it wrote is socket buffers, not the page.
    expect(written).toBeLessThan(ENDLESS_LIMIT / 4);
  });

  it("stops at the documented default of 8 MiB", async () => {
    const run = await runMain(["hashes", `${base}/endless`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`is larger than ${8 * 1024 * 1024} bytes`);
    expect(written).toBeLessThan(ENDLESS_LIMIT / 2);
  });

  it("refuses a declared Content-Length over the cap without reading", async () => {
    const run = await runMain(["hashes", `${base}/declared-large`, "--max-bytes", "1048576"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("is larger than 1048576 bytes");
  });
});
