// What the collector stores for `reports --suggest` (migrations/0004): a distinct-clients sketch and the
// distinct samples per row, inside workerd with the real D1; and the summary's `?view=violations` answer.

import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { clientBit, clientBuckets } from "../../src/core/reports/client-key.js";
import type { ReportConfig } from "../../src/core/policy/parse-env.js";
import type { Env } from "../../src/env.js";
import { createReportEndpoint, type ReportHandler } from "../../src/reports/endpoint.js";
import { callEndpoint, client, DAY, fakeLimiter, json, NOW, postBatch, SITE, SUMMARY, TOKEN } from "./report-support.js";

let now: number;
let endpoint: ReportHandler;
let bindings: Env;
const reports: ReportConfig = { enabled: true, path: "/__csp-report", sampleRate: 1, token: TOKEN };

beforeEach(async () => {
  now = NOW;
  endpoint = createReportEndpoint({ random: () => 0.5, clock: () => now });
  bindings = { ...env, REPORT_LIMITER: fakeLimiter() };
  await env.REPORTS_DB.exec("DELETE FROM csp_violations");
  vi.spyOn(console, "log").mockImplementation(() => undefined);
});

/** A batch of inline script violations on one page, one per sample, from the client at `ip`. */
function inline(samples: readonly string[], ip: string, page = "/"): Request {
  const body = samples.map((sample) => ({
    type: "csp-violation",
    url: `${SITE}${page}`,
    body: {
      documentURL: `${SITE}${page}?q=secret`,
      effectiveDirective: "script-src-elem",
      blockedURL: "inline",
      disposition: "report",
      sample,
    },
  }));
  return postBatch(json(body), ip);
}

function host(blocked: string, ip: string, page = "/"): Request {
  return postBatch(
    json([
      {
        type: "csp-violation",
        url: `${SITE}${page}`,
        body: { documentURL: `${SITE}${page}`, effectiveDirective: "img-src", blockedURL: blocked, disposition: "report" },
      },
    ]),
    ip,
  );
}

async function stored(): Promise<{ clients: number; samples: string }[]> {
  const { results } = await env.REPORTS_DB.prepare("SELECT clients, samples FROM csp_violations ORDER BY day").all<{
    clients: number;
    samples: string;
  }>();
  return results;
}

async function view(days = 7, token = TOKEN): Promise<Response> {
  return callEndpoint(
    endpoint,
    new Request(`${SUMMARY}?view=violations&days=${days}`, { headers: { Authorization: `Bearer ${token}` } }),
    bindings,
    reports,
  );
}

/** Two test clients whose sketch bits differ (most pairs do; the test picks such a pair rather than hoping). */
function twoClients(): [string, string] {
  const first = client(1)["CF-Connecting-IP"] ?? "";
  for (let n = 2; n < 50; n++) {
    const other = client(n)["CF-Connecting-IP"] ?? "";
    if (clientBit(other) !== clientBit(first)) return [first, other];
  }
  throw new Error("no two test clients in different buckets");
}

describe("the distinct-clients sketch", () => {
  it("sets the sending client's bit, and another client's bit beside it, never an address", async () => {
    const [a, b] = twoClients();
    await callEndpoint(endpoint, host("https://ads.example/x.gif", a), bindings, reports);
    expect(await stored()).toEqual([{ clients: clientBit(a), samples: "[]" }]);
    await callEndpoint(endpoint, host("https://ads.example/x.gif", b), bindings, reports);
    const [row] = await stored();
    expect(clientBuckets(row?.clients ?? 0)).toBe(2);
    const { results } = await env.REPORTS_DB.prepare("SELECT * FROM csp_violations").all();
    expect(JSON.stringify(results)).not.toMatch(/192\.0\.2\./);
  });

  it("counts one client once across days in the view", async () => {
    const [a] = twoClients();
    await callEndpoint(endpoint, host("https://ads.example/x.gif", a), bindings, reports);
    now += DAY;
    await callEndpoint(endpoint, host("https://ads.example/x.gif", a), bindings, reports);
    const groups = (await (await view()).json<{ groups: { clients: number; count: number; firstSeen: string; lastSeen: string }[] }>())
      .groups;
    expect(groups).toEqual([
      expect.objectContaining({
        clients: clientBit(a),
        count: 2,
        firstSeen: new Date(NOW).toISOString(),
        lastSeen: new Date(NOW + DAY).toISOString(),
      }),
    ]);
  });
});

describe("samples", () => {
  it("keeps the distinct samples of a page's inline violations in one row, at most eight", async () => {
    const [a, b] = twoClients();
    await callEndpoint(endpoint, inline(["first()", "second()"], a), bindings, reports);
    await callEndpoint(endpoint, inline(["second()", "third()"], b), bindings, reports);
    expect(JSON.parse((await stored())[0]?.samples ?? "")).toEqual(expect.arrayContaining(["first()", "second()", "third()"]));
    await callEndpoint(
      endpoint,
      inline(
        Array.from({ length: 12 }, (_, i) => `more${i}()`),
        client(60)["CF-Connecting-IP"] ?? "",
      ),
      bindings,
      reports,
    );
    expect(JSON.parse((await stored())[0]?.samples ?? "")).toHaveLength(8);
  });
});

describe("the violations view", () => {
  it("answers every group of the window with what --suggest needs, without query strings", async () => {
    const [a] = twoClients();
    await callEndpoint(endpoint, inline(["go()"], a, "/shop"), bindings, reports);
    const res = await view();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toEqual({
      generatedAt: new Date(NOW).toISOString(),
      window: { days: 7, from: "2026-04-04", to: "2026-04-10" },
      groups: [
        {
          directive: "script-src-elem",
          blocked: "inline",
          page: `${SITE}/shop`,
          disposition: "report",
          count: 1,
          firstSeen: new Date(NOW).toISOString(),
          lastSeen: new Date(NOW).toISOString(),
          clients: clientBit(a),
          samples: ["go()"],
          sourceFile: "",
        },
      ],
      truncated: false,
    });
  });

  it("needs the token, as the summary does", async () => {
    const res = await view(7, "wrong-token-0123456789abcdefghij");
    expect(res.status).toBe(401);
  });
});
