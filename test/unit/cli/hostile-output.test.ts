// Red team (issue 9, finding 5): every CLI output that prints data the CLI did not write (a KV document,
// a summary built from report bodies) escapes what a terminal would act on: ESC, CSI, OSC, C1, bidi.

import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderSummaryJson } from "../../../src/core/reports/render-summary.js";
import { buildSummary } from "../../../src/core/reports/summary.js";
import { runMain } from "../../support/cli-io.js";

/** Sequences a terminal acts on: a colour, a title change (OSC), a C1 CSI, a hyperlink, a bidi override, BEL. */
const HOSTILE = ["\u001b[31mred", "\u001b]0;owned\u0007", "\u009b2J", "\u001b]8;;https://evil.example\u001b\\", "\u202eevil", "\u0007"];

/** Nothing that acts on a terminal: no C0 but line breaks and tabs, no DEL or C1, no bidi or format characters. */
function expectInert(text: string): void {
  expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\p{Cf}]/u);
}

let dir: string;
let server: Server;
let base: string;
let summaryBody = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shw-hostile-"));
  server = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(summaryBody);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe.each(HOSTILE)("output carrying %j", (hostile) => {
  it("pull escapes it in the document it prints, which stays the same JSON value", async () => {
    const document = `{ "rules": [{ "path": "/x", "description": ${JSON.stringify(`a ${hostile} b`).replace(/\\u00([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))}, "headers": {} }] }\n`;
    const stored = join(dir, "stored.json");
    await writeFile(stored, document);
    const wrangler = join(dir, "fake-wrangler.sh");
    await writeFile(wrangler, `#!/bin/sh\ncat ${JSON.stringify(stored)}\n`);
    await chmod(wrangler, 0o755);
    const run = await runMain(["pull"], { env: { SHW_WRANGLER: wrangler }, cwd: dir });
    expectInert(run.stdout);
    expectInert(run.stderr);
    expect(run.stdout).toContain("\\u");
    const printed = run.stdout.replace(/[\u0000-\u001f]/g, (c) => (c === "\n" ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
    const original = document.replace(/[\u0000-\u001f]/g, (c) => (c === "\n" ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
    expect(JSON.parse(printed)).toEqual(JSON.parse(original));
  });

  it("reports escapes it in the text tables and in --json", async () => {
    summaryBody = renderSummaryJson(
      buildSummary({
        now: Date.UTC(2026, 3, 10),
        days: 7,
        top: [
          {
            directive: `img-src${hostile}`,
            blocked: `https://x.example/${hostile}`,
            page: `https://www.example.com/${hostile}`,
            disposition: "report",
            count: 3,
            lastSeen: "2026-04-10T00:00:00.000Z",
            sample: hostile,
          },
        ],
        byDirective: [{ directive: `img-src${hostile}`, count: 3 }],
        byDay: [{ day: "2026-04-10", count: 3 }],
        byDisposition: [{ disposition: "report", count: 3 }],
      }),
    );
    for (const args of [[base], [base, "--json"]]) {
      const run = await runMain(["reports", ...args], { env: { REPORTS_TOKEN: "cli-test-token-0123456789abcdef" } });
      expect(run.code, run.stderr).toBe(0);
      expectInert(run.stdout);
      if (args.includes("--json")) expect(JSON.parse(run.stdout)).toMatchObject({ top: [{ count: 3 }] });
    }
  });
});
