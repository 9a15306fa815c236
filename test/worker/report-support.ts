// Shared by the report tests inside workerd: the site, sample reports, a fake limiter, D1 readers, log lines.

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import type { ReportConfig } from "../../src/core/policy/parse-env.js";
import type { Env } from "../../src/env.js";
import type { ReportHandler } from "../../src/reports/endpoint.js";

export const SITE = "https://www.example.com";
export const COLLECTOR = `${SITE}/__csp-report`;
export const SUMMARY = `${COLLECTOR}/summary`;
export const TOKEN = "summary-token-0123456789abcdefghij";
export const NOW = Date.UTC(2026, 3, 10, 12, 0, 0);
export const DAY = 86_400_000;

export const REPORT_URI = {
  "csp-report": {
    "document-uri": `${SITE}/account?session=abc#top`,
    "effective-directive": "script-src-elem",
    "blocked-uri": "https://cdn.tracker.example/t.js?uid=42",
    disposition: "enforce",
    "status-code": 200,
  },
};

export const BATCH = [
  {
    type: "csp-violation",
    url: `${SITE}/`,
    body: { documentURL: `${SITE}/`, effectiveDirective: "img-src", blockedURL: "https://img.example.net/a.png", disposition: "report" },
  },
  {
    type: "csp-violation",
    url: `${SITE}/cart`,
    body: {
      documentURL: `${SITE}/cart`,
      effectiveDirective: "style-src-elem",
      blockedURL: "inline",
      disposition: "report",
      sample: "body{}",
    },
  },
];

/** A limiter that answers `success` to every call and remembers the keys it was asked about. */
export function fakeLimiter(success = true): RateLimit & { keys: string[] } {
  const keys: string[] = [];
  return {
    keys,
    limit: ({ key }) => {
      keys.push(key);
      return Promise.resolve({ success });
    },
  };
}

/** Call an endpoint and wait for its background work (the D1 write) to finish. */
export async function callEndpoint(handler: ReportHandler, request: Request, bindings: Env, reports: ReportConfig): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await handler(request, bindings, ctx, reports);
  await waitOnExecutionContext(ctx);
  return res;
}

/** A POST to the collector. */
export function post(body: BodyInit | null, type = "application/csp-report", headers: Record<string, string> = {}): Request {
  return new Request(COLLECTOR, { method: "POST", body, headers: { "Content-Type": type, ...headers } });
}

export function json(value: unknown): string {
  return JSON.stringify(value);
}

/** A Reporting API batch of one violation per page, from `client`. */
export function batchFor(pages: readonly string[], directive = "img-src", blocked = "https://img.example.net/a.png"): string {
  return json(
    pages.map((page) => ({
      type: "csp-violation",
      url: `${SITE}${page}`,
      body: { documentURL: `${SITE}${page}`, effectiveDirective: directive, blockedURL: blocked, disposition: "report" },
    })),
  );
}

/** The CF-Connecting-IP header of test client `n`: each client has its own budgets and counts repeats once. */
export function client(n: number): Record<string, string> {
  return { "CF-Connecting-IP": `192.0.2.${n}` };
}

/** A POST of a Reporting API batch from the client at `ip`. */
export function postBatch(body: string, ip: string): Request {
  return post(body, "application/reports+json", { "CF-Connecting-IP": ip });
}

export interface Row {
  day: string;
  directive: string;
  blocked: string;
  page: string;
  disposition: string;
  count: number;
  sample: string;
}

/** Every stored row, by page then directive. */
export async function rows(): Promise<Row[]> {
  const { results } = await env.REPORTS_DB.prepare(
    "SELECT day, directive, blocked, page, disposition, count, sample FROM csp_violations ORDER BY page, directive",
  ).all<Row>();
  return results;
}

/** The JSON log lines a console spy captured. */
export function lines(spy: { mock: { calls: unknown[][] } }): Record<string, unknown>[] {
  return spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
}

/** A D1 whose reads are real and whose batch does what the test says. */
export function d1With(batch: () => Promise<D1Result[]>): D1Database {
  const real = env.REPORTS_DB;
  return {
    prepare: (sql: string) => real.prepare(sql),
    batch: vi.fn(batch),
    exec: (sql: string) => real.exec(sql),
  } as unknown as D1Database;
}
