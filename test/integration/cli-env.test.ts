// `explain --env NAME` tells the truth: for each environment of a wrangler.toml (the shipped production
// and staging, and one with the report collector at its own path and a JSON-text POLICY), the Worker runs
// in Miniflare with the bindings wrangler itself derives from that file, serves a KV document through a
// real origin, and every header of its response equals what the CLI's explain says, over http and https.

import type { Json } from "miniflare";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMarker } from "../../src/core/nonce/nonce-marker.js";
import { runMain } from "../support/cli-io.js";
import { startWorker, type RunningWorker } from "../support/miniflare-worker.js";
import { cli, CLI_TIMEOUT_MS, EXAMPLE, ROOT } from "./support/cli.js";

/** A third environment: collector on at its own path, CSP enforced, POLICY as JSON text, its own KV key. */
const REPORTS_ENV = `
[env.reports]
vars = { CSP_REPORT_ONLY = "false", REPORTS_ENABLED = "true", REPORT_PATH = "/_csp", POLICY_KV_KEY = "site-policy", POLICY = '{"headers":{"X-Robots-Tag":"noindex"},"hsts":{"maxAge":600,"includeSubDomains":false}}' }
kv_namespaces = [{ binding = "POLICY_KV" }]
d1_databases = [{ binding = "REPORTS_DB", database_name = "reports-test", migrations_dir = "migrations" }]
ratelimits = [{ name = "REPORT_LIMITER", namespace_id = "4103", simple = { limit = 60, period = 60 } }]
`;

/** What the origin sends per path: a content type and the headers explain is told about with --origin-header. */
const ORIGIN_RESPONSES: Readonly<Record<string, { type: string; headers: Readonly<Record<string, string>> }>> = {
  "/": { type: "text/html; charset=utf-8", headers: {} },
  "/embed/widget": { type: "text/html; charset=utf-8", headers: { "X-Frame-Options": "SAMEORIGIN", "X-Powered-By": "Express" } },
  "/login": {
    type: "text/html; charset=utf-8",
    headers: { "Referrer-Policy": "no-referrer", "Permissions-Policy": "geolocation=(self)", Server: "nginx/1.24.0" },
  },
  "/api/users": { type: "application/json", headers: { "Content-Security-Policy": "default-src 'none'", "Cache-Control": "no-cache" } },
};

/** Connection-level headers that are not the policy's nor the page's, and MF-Content-Encoding, which Miniflare's dispatchFetch adds. */
const TRANSPORT = new Set(["date", "content-length", "connection", "keep-alive", "transfer-encoding", "mf-content-encoding"]);

interface ExplainJson {
  readonly sent: readonly { readonly name: string; readonly value: string | null }[];
  readonly passedThrough: readonly { readonly name: string; readonly value: string }[];
}

let dir = "";
let config = "";
let origin: Server | undefined;
let originUrl = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shw-cli-env-"));
  config = join(dir, "wrangler.toml");
  await copyFile(join(ROOT, "wrangler.toml"), config);
  await writeFile(config, `${await readFile(config, "utf8")}${REPORTS_ENV}`);
  origin = createServer((req, res) => {
    const answer = ORIGIN_RESPONSES[new URL(req.url ?? "/", "http://x").pathname] ?? { type: "text/plain", headers: {} };
    res.writeHead(200, { "Content-Type": answer.type, ...answer.headers });
    res.end("body");
  });
  await new Promise<void>((resolve) => origin?.listen(0, "127.0.0.1", resolve));
  originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (origin === undefined ? resolve() : origin.close(() => resolve())));
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

/** The headers the CLI says the Worker sends, lower-cased, as one map. */
async function explained(env: string, path: string, https: boolean): Promise<Map<string, string>> {
  const answer = ORIGIN_RESPONSES[path];
  if (answer === undefined) throw new Error(`no origin response for ${path}`);
  const flags = Object.entries(answer.headers).flatMap(([name, value]) => ["--origin-header", `${name}: ${value}`]);
  // In the temporary directory, with no --config: the CLI finds its wrangler.toml as wrangler would.
  const run = await runMain(
    ["explain", EXAMPLE, path, "--env", env, "--content-type", answer.type, ...flags, ...(https ? ["--https"] : []), "--json"],
    { cwd: dir },
  );
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  const x = JSON.parse(run.stdout) as ExplainJson;
  const headers = new Map<string, string>();
  for (const op of x.sent) if (op.value !== null) headers.set(op.name.toLowerCase(), op.value);
  for (const header of x.passedThrough) headers.set(header.name.toLowerCase(), header.value);
  return headers;
}

describe.each([
  ["production (the top level)", ""],
  ["staging", "staging"],
  ["an environment with REPORTS_ENABLED and a JSON-text POLICY", "reports"],
])("explain --env for %s", (_, env) => {
  let worker: RunningWorker | undefined;

  beforeAll(async () => {
    const { workerOptions } = unstable_getMiniflareWorkerOptions(config, env === "" ? undefined : env);
    // NONCE_MARKER is a secret (`wrangler secret put`), so not in wrangler.toml: the example's /nonce rule
    // relies on it, and the CLI, which cannot read secrets, judges as if it were set. So is it here.
    const bindings: Record<string, Json> = {
      ...(workerOptions.bindings as Record<string, Json>),
      ORIGIN_URL: originUrl,
      NONCE_MARKER: createMarker(),
    };
    worker = await startWorker({ bindings, extra: { kvNamespaces: ["POLICY_KV"] } });
    const key = typeof bindings.POLICY_KV_KEY === "string" ? bindings.POLICY_KV_KEY : "policy";
    const kv = await worker.mf.getKVNamespace("POLICY_KV");
    await kv.put(key, await readFile(EXAMPLE, "utf8"));
  });

  afterAll(async () => {
    // Staging's CEILINGS cap the example's HSTS: the Worker says so once, for the document's version.
    if (env === "staging") {
      const capped = await worker?.output.claimEvent({ event: "config.capped" });
      expect(capped?.caps).toContainEqual(expect.objectContaining({ field: "hsts.maxAge", ceiling: 300, from: "KV" }));
    }
    await worker?.dispose();
  });

  it.each(Object.keys(ORIGIN_RESPONSES).flatMap((path) => [[path, false] as const, [path, true] as const]))(
    "%s (https: %s): the Worker sends exactly the headers explain shows",
    async (path, https) => {
      if (worker === undefined) throw new Error("the Worker did not start");
      const response = await worker.mf.dispatchFetch(new URL(path, https ? "https://www.example.com" : "http://www.example.com"), {
        redirect: "manual",
      });
      await response.arrayBuffer();
      expect(response.status).toBe(200);
      const real = new Map([...response.headers].filter(([name]) => !TRANSPORT.has(name)));
      expect(real).toEqual(await explained(env, path, https));
    },
  );
});

describe("push and pull --env, with the real local wrangler", () => {
  it("refuses a document the staging Worker would reject, though the defaults alone accept it", async () => {
    const doc = join(dir, "preload.json");
    await writeFile(doc, JSON.stringify({ hsts: { preload: true } }));
    // A wrangler that does not exist: the refusal must come before wrangler would ever run.
    const push = await runMain(["push", doc, "--env", "staging", "--local"], {
      cwd: dir,
      env: { PATH: process.env.PATH, SHW_WRANGLER: join(dir, "no-wrangler-here") },
    });
    expect(push.code).toBe(1);
    expect(push.stderr).toContain("is not valid as wrangler.toml [env.staging]");
    expect(push.stderr).toContain("nothing was pushed");
    expect(push.stderr).toContain("hsts.preload");
    expect(push.stderr).not.toContain("no-wrangler-here");
  });

  it(
    "stores under the environment's POLICY_KV_KEY and reads it back from there",
    async () => {
      const persist = join(dir, "state-reports");
      const push = await cli(["push", EXAMPLE, "--env", "reports", "--local", "--persist-to", persist], { cwd: dir });
      expect(push.stderr).toBe("");
      expect(push.code).toBe(0);
      expect(push.stdout).toContain('key "site-policy" in POLICY_KV');
      expect(push.stdout).toContain("validated as wrangler.toml [env.reports]");
      const pull = await cli(["pull", "--env", "reports", "--local", "--persist-to", persist], { cwd: dir });
      expect(pull.code).toBe(0);
      expect(pull.stdout).toBe(await readFile(EXAMPLE, "utf8"));
    },
    2 * CLI_TIMEOUT_MS,
  );
});
