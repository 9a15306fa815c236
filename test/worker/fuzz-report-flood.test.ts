// A property over mixes of flooding and ordinary clients, against the real collector and D1: no client takes
// more than its share of the day's rows, every violation an ordinary client sends gets a row while the cap
// can hold the shares, and every report read is accounted for once (stored + each drop reason = received).

import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ReportConfig } from "../../src/core/policy/parse-env.js";
import type { Env } from "../../src/env.js";
import { createReportEndpoint, type ReportHandler } from "../../src/reports/endpoint.js";
import { workerFuzzParameters } from "./fuzz-support.js";
import { callEndpoint, fakeLimiter, lines, NOW, postBatch, rows, SITE, SUMMARY, TOKEN } from "./report-support.js";

// Small budgets so that a few POSTs reach every limit: the shares of 3 flooders (15 rows) plus 3 ordinary
// clients' 5 violations each (15 rows) fit the cap exactly.
const LIMITS = { reportsPerWindow: 6, windowMs: 60_000, violationsPerDay: 5, maxClients: 100 };
const MAX_ROWS = 30;

interface Violation {
  readonly directive: string;
  readonly blocked: string;
  readonly page: string;
}

type Entry = { kind: "violation"; violation: Violation } | { kind: "offHost" } | { kind: "otherType" };

/** Shared among clients, so that floods and ordinary clients report some of the same violations. */
const violation: fc.Arbitrary<Violation> = fc.record({
  directive: fc.constantFrom("img-src", "script-src-elem", "font-src"),
  blocked: fc.constantFrom("https://cdn.example/x.js", "inline", "data"),
  page: fc.integer({ min: 0, max: 9 }).map((i) => `/p${i}`),
});

/** A flooder's POSTs: shared violations, violations only it sends, and entries the parser drops. */
function floodPosts(flooder: number): fc.Arbitrary<Entry[][]> {
  const entry: fc.Arbitrary<Entry> = fc.oneof(
    { weight: 5, arbitrary: violation.map((v) => ({ kind: "violation" as const, violation: v })) },
    {
      weight: 4,
      arbitrary: fc.integer({ min: 0, max: 99 }).map((i) => ({
        kind: "violation" as const,
        violation: { directive: "img-src", blocked: "inline", page: `/flood${flooder}/${i}` },
      })),
    },
    { weight: 1, arbitrary: fc.constantFrom<Entry>({ kind: "offHost" }, { kind: "otherType" }) },
  );
  return fc.array(fc.array(entry, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 6 });
}

/** An ordinary client: one POST of at most 5 distinct violations, each perhaps repeated. */
const ordinaryPost: fc.Arbitrary<Entry[]> = fc
  .tuple(fc.uniqueArray(violation, { minLength: 1, maxLength: 5, selector: (v) => JSON.stringify(v) }), fc.integer({ min: 1, max: 3 }))
  .map(([violations, times]) => violations.flatMap((v) => Array<Entry>(times).fill({ kind: "violation", violation: v })));

type Spy = { mock: { calls: unknown[][] } };

interface Post {
  readonly client: string;
  readonly ordinary: boolean;
  readonly entries: Entry[];
}

const scenario: fc.Arbitrary<{ posts: Post[]; gaps: number[] }> = fc
  .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 3 }))
  .chain(([flooders, ordinary]) =>
    fc.tuple(
      fc.tuple(...Array.from({ length: flooders }, (_, f) => floodPosts(f))),
      fc.array(ordinaryPost, { minLength: ordinary, maxLength: ordinary }),
    ),
  )
  .chain(([floods, ordinaries]) => {
    const posts: Post[] = [
      ...floods.flatMap((list, f) => list.map((entries) => ({ client: `203.0.113.${f + 1}`, ordinary: false, entries }))),
      ...ordinaries.map((entries, o) => ({ client: `198.51.100.${o + 1}`, ordinary: true, entries })),
    ];
    return fc.tuple(
      fc.shuffledSubarray(posts, { minLength: posts.length, maxLength: posts.length }),
      fc.array(fc.integer({ min: 0, max: 70_000 }), { minLength: posts.length, maxLength: posts.length }),
    );
  })
  .map(([posts, gaps]) => ({ posts, gaps }));

function body(entries: readonly Entry[]): string {
  return JSON.stringify(
    entries.map((entry) => {
      if (entry.kind === "otherType") return { type: "deprecation", url: `${SITE}/`, body: { id: "x" } };
      if (entry.kind === "offHost")
        return { type: "csp-violation", url: "https://elsewhere.example/", body: { documentURL: "https://elsewhere.example/" } };
      const { directive, blocked, page } = entry.violation;
      return {
        type: "csp-violation",
        url: `${SITE}${page}`,
        body: { documentURL: `${SITE}${page}`, effectiveDirective: directive, blockedURL: blocked, disposition: "report" },
      };
    }),
  );
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a flood among ordinary clients", () => {
  it("leaves every ordinary violation a row, keeps each client to its share, and accounts for every report", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ posts, gaps }) => {
        await env.REPORTS_DB.exec("DELETE FROM csp_violations");
        await env.REPORTS_DB.exec("DELETE FROM csp_report_drops");
        await env.REPORTS_DB.exec("DELETE FROM csp_report_clients");
        const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
        const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
        try {
          await runScenario(posts, gaps, log, errors);
        } finally {
          // Each run (and each shrinking step) starts with its own spies.
          vi.restoreAllMocks();
        }
      }),
      workerFuzzParameters(12, 300),
    );
  });
});

/** Play the POSTs, then check the rows, the log lines and the summary. */
async function runScenario(posts: readonly Post[], gaps: readonly number[], log: Spy, errors: Spy): Promise<void> {
  let now = NOW;
  const endpoint: ReportHandler = createReportEndpoint({
    random: () => 0.5,
    clock: () => now,
    maxRowsPerDay: MAX_ROWS,
    // No reserve, and D1's share equal to the isolate's, so that the shares fill the cap exactly.
    reservedRowsPerDay: 0,
    clientRowsPerDay: LIMITS.violationsPerDay,
    clientLimits: LIMITS,
  });
  const bindings = { ...env, REPORT_LIMITER: fakeLimiter() } as Env;
  const reports: ReportConfig = { enabled: true, path: "/__csp-report", sampleRate: 1, token: TOKEN };
  let read = 0;
  let refused = 0;
  for (const [i, post] of posts.entries()) {
    const status = (await callEndpoint(endpoint, postBatch(body(post.entries), post.client), bindings, reports)).status;
    if (status === 204) read += post.entries.length;
    else if (status === 429) refused++;
    else throw new Error(`unexpected status ${status}`);
    now += gaps[i] ?? 0;
  }
  const stored = await rows();
  for (const post of posts.filter((p) => p.ordinary)) {
    for (const entry of post.entries) {
      if (entry.kind !== "violation") continue;
      const { directive, blocked, page } = entry.violation;
      expect(stored.some((r) => r.directive === directive && r.blocked === blocked && r.page === `${SITE}${page}`)).toBe(true);
    }
  }
  for (let f = 0; f < 3; f++)
    expect(stored.filter((r) => r.page.startsWith(`${SITE}/flood${f}/`)).length).toBeLessThanOrEqual(LIMITS.violationsPerDay);
  expect(stored.length).toBeLessThanOrEqual(MAX_ROWS);

  // Each batch's line accounts for each of its entries once.
  for (const line of lines(log).filter((l) => l.event === "csp.report")) {
    const dropped = Object.values(line.dropped as Record<string, number>).reduce((a, b) => a + b, 0);
    expect((line.accepted as number) + dropped).toBe(line.received);
  }
  // And so does the summary, over the whole run.
  const res = await callEndpoint(
    endpoint,
    new Request(`${SUMMARY}?format=json&days=1`, { headers: { Authorization: `Bearer ${TOKEN}` } }),
    bindings,
    reports,
  );
  const summary = await res.json<{
    totals: { all: number };
    dropped: { received: number; byReason: Record<string, number>; refusedRequests: Record<string, number> };
  }>();
  expect(summary.totals.all).toBe(stored.reduce((sum, r) => sum + r.count, 0));
  expect(summary.dropped.received).toBe(read);
  expect(summary.totals.all + Object.values(summary.dropped.byReason).reduce((a, b) => a + b, 0)).toBe(read);
  expect(summary.dropped.refusedRequests.rateLimited).toBe(refused);
  expect(lines(errors)).toEqual([]);
}
