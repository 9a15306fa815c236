// The `reports` CLI command against a local HTTP server standing in for the Worker's summary.

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runReports } from "../../../bin/commands/reports.js";
import { createStyle, type Io } from "../../../bin/support/io.js";
import { renderSummaryJson } from "../../../src/core/reports/render-summary.js";
import { buildSummary } from "../../../src/core/reports/summary.js";
import { runMain } from "../../support/cli-io.js";

const TOKEN = "cli-test-token-0123456789abcdef";
const SUMMARY_INPUT = {
  now: Date.UTC(2026, 3, 10),
  days: 7,
  top: [
    {
      directive: "img-src",
      blocked: "https://img.example.net/a.png",
      page: "https://www.example.com/",
      disposition: "report" as const,
      count: 3,
      lastSeen: "2026-04-10T00:00:00.000Z",
      sample: "",
    },
  ],
  byDirective: [{ directive: "img-src", count: 3 }],
  byDay: [{ day: "2026-04-10", count: 3 }],
  byDisposition: [{ disposition: "report", count: 3 }],
};
const SUMMARY = buildSummary(SUMMARY_INPUT);

let server: Server;
let base: string;
let seen: IncomingMessage | undefined;
let answer: { status: number; body: string };

beforeAll(async () => {
  server = createServer((req, res) => {
    seen = req;
    res.writeHead(answer.status, { "Content-Type": "application/json" });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = undefined;
  answer = { status: 200, body: renderSummaryJson(SUMMARY) };
});

function io(env: Record<string, string | undefined> = { REPORTS_TOKEN: TOKEN }): Io & { stdout: string; stderr: string } {
  const captured = {
    stdout: "",
    stderr: "",
    out(text: string) {
      captured.stdout += text;
    },
    err(text: string) {
      captured.stderr += text;
    },
    style: createStyle(false, {}),
    errStyle: createStyle(false, {}),
    env,
    cwd: process.cwd(),
  };
  return captured;
}

describe("reports", () => {
  it("asks for the JSON summary with the token from REPORTS_TOKEN and prints the tables", async () => {
    const terminal = io();
    expect(await runReports([base, "--days", "30"], terminal)).toBe(0);
    expect(seen?.url).toBe("/__csp-report/summary?format=json&days=30");
    expect(seen?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(terminal.stdout).toMatch(/^\s+3\s+img-src\s+report\s+https:\/\/img\.example\.net\/a\.png/m);
    expect(terminal.stdout).toContain("By directive");
  });

  it("prints how many reports the Worker dropped, and why", async () => {
    const withDrops = buildSummary({
      ...SUMMARY_INPUT,
      drops: { reports: { rateLimited: 40, duplicate: 2 }, requests: { rateLimited: 5 } },
    });
    answer = { status: 200, body: renderSummaryJson(withDrops) };
    const terminal = io();
    expect(await runReports([base], terminal)).toBe(0);
    expect(terminal.stdout).toContain(
      "45 reports received: 3 stored, 42 dropped. 5 requests were refused before their reports were read (5 over the rate limit).",
    );
    expect(terminal.stdout).toMatch(/^\s+40\s+rate limit\s+over the client's reports per minute$/m);
  });

  it("prints the summary as JSON with --json", async () => {
    const terminal = io();
    expect(await runReports([base, "--json", "--path", "/reports"], terminal)).toBe(0);
    expect(seen?.url).toBe("/reports/summary?format=json&days=7");
    expect(JSON.parse(terminal.stdout)).toEqual(SUMMARY);
  });

  it("asks the environment's REPORT_PATH when --env names one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shw-reports-env-"));
    try {
      await writeFile(
        join(dir, "wrangler.toml"),
        'name = "t"\n[vars]\nREPORTS_ENABLED = "true"\n\n[env.staging]\nvars = { REPORTS_ENABLED = "true", REPORT_PATH = "/_csp" }\n',
      );
      const terminal = { ...io(), cwd: dir };
      expect(await runReports([base, "--env", "staging"], terminal)).toBe(0);
      expect(seen?.url).toBe("/_csp/summary?format=json&days=7");
      expect(await runReports([base, "--env", ""], terminal)).toBe(0);
      expect(seen?.url).toBe("/__csp-report/summary?format=json&days=7");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("exits 1 with a hint when the token is refused", async () => {
    answer = { status: 401, body: "Unauthorized\n" };
    const terminal = io();
    expect(await runReports([base], terminal)).toBe(1);
    expect(terminal.stderr).toContain("answered 401: the token was refused");
  });

  it("exits 1 with a hint when the summary is off", async () => {
    answer = { status: 404, body: "Not Found\n" };
    const terminal = io();
    expect(await runReports([base], terminal)).toBe(1);
    expect(terminal.stderr).toContain("REPORTS_ENABLED");
  });

  it("exits 1 when the answer is not a summary", async () => {
    answer = { status: 200, body: '{"hello": "world"}' };
    const terminal = io();
    expect(await runReports([base], terminal)).toBe(1);
    expect(terminal.stderr).toContain("unexpected summary");
  });

  it("exits 1 without asking when REPORTS_TOKEN is unset", async () => {
    const terminal = io({});
    expect(await runReports([base], terminal)).toBe(1);
    expect(seen).toBeUndefined();
    expect(terminal.stderr).toContain("REPORTS_TOKEN is not set");
  });

  it.each([[[]], [["not a url"]], [["http://www.example.com"]], [[base, "--days", "0"]], [[base, "--token", "x"]]])(
    "exits 2 on the command line %j",
    async (args) => {
      const terminal = io();
      expect(await runReports(args, terminal)).toBe(2);
      expect(seen).toBeUndefined();
    },
  );
});

describe("reports --suggest", () => {
  const VIEW = {
    generatedAt: "2026-04-10T00:00:00.000Z",
    window: { days: 7, from: "2026-04-04", to: "2026-04-10" },
    groups: [
      {
        directive: "img-src",
        blocked: "https://img.example.net/a.png",
        page: "https://www.example.com/shop",
        disposition: "report",
        count: 4,
        firstSeen: "2026-04-05T00:00:00.000Z",
        lastSeen: "2026-04-10T00:00:00.000Z",
        clients: 3,
        samples: [],
        sourceFile: "",
      },
      {
        directive: "script-src-elem",
        blocked: "chrome-extension:",
        page: "https://www.example.com/",
        disposition: "report",
        count: 9,
        firstSeen: "2026-04-05T00:00:00.000Z",
        lastSeen: "2026-04-10T00:00:00.000Z",
        clients: 1,
        samples: [],
        sourceFile: "",
      },
    ],
    truncated: false,
  };

  beforeEach(() => {
    answer = { status: 200, body: JSON.stringify(VIEW) };
  });

  it("reads the violations view and prints what to add and what it left out", async () => {
    const terminal = io();
    expect(await runReports([base, "--suggest"], terminal)).toBe(0);
    expect(seen?.url).toBe("/__csp-report/summary?format=json&days=7&view=violations");
    expect(terminal.stdout).toMatch(
      /\/shop\n\s+img-src \+ https:\/\/img\.example\.net\s+https:\/\/img\.example\.net: 4 reports, 2\+ clients, 2026-04-05 to 2026-04-10, report/,
    );
    expect(terminal.stdout).toMatch(/chrome-extension: \(script-src-elem\) on \/: 9 reports\n\s+a browser extension's/);
  });

  it("writes a patch the validator accepts, merged into the document the site runs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shw-suggest-"));
    try {
      const policy = join(dir, "policy.json");
      const out = join(dir, "patched.json");
      await writeFile(policy, JSON.stringify({ rules: [{ path: "/login", headers: { "Cache-Control": "no-store" } }] }));
      const terminal = io();
      expect(await runReports([base, "--suggest", "--out", out, "--policy", policy], terminal)).toBe(0);
      expect(JSON.parse(await readFile(out, "utf8"))).toEqual({
        rules: [
          { path: "/login", headers: { "Cache-Control": "no-store" } },
          { path: "/shop", description: expect.any(String), csp: { add: { "img-src": ["https://img.example.net"] } } },
        ],
      });
      expect(terminal.stderr).toContain("wrote");
      expect(await runMain(["validate", out], { cwd: dir })).toEqual(expect.objectContaining({ code: 0 }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("prints the suggestions and the patch as JSON", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shw-suggest-"));
    try {
      const terminal = io();
      expect(await runReports([base, "--suggest", "--json", "--out", join(dir, "p.json")], terminal)).toBe(0);
      const printed = JSON.parse(terminal.stdout) as { proposals: unknown[]; leftOut: unknown[]; patch: unknown };
      expect(printed.proposals).toHaveLength(1);
      expect(printed.leftOut).toHaveLength(1);
      expect(printed.patch).toEqual(JSON.parse(await readFile(join(dir, "p.json"), "utf8")));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("exits 1 when the Worker has no violations view yet", async () => {
    answer = { status: 200, body: renderSummaryJson(SUMMARY) };
    const terminal = io();
    expect(await runReports([base, "--suggest"], terminal)).toBe(1);
    expect(terminal.stderr).toContain("migrations/0004");
  });

  it.each([[["--out", "x.json"]], [["--suggest", "--policy", "p.json"]], [["--suggest", "--min-clients", "0"]]])(
    "exits 2 on %j",
    async (extra) => {
      const terminal = io();
      expect(await runReports([base, ...extra], terminal)).toBe(2);
      expect(seen).toBeUndefined();
    },
  );
});
