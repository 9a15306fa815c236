// Load with integrity: a bounded mixed load through the Worker in Miniflare, every response checked, workerd memory flat.

import { Agent } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BARE_WORKER } from "../support/miniflare-worker.js";
import { patternSha256, startOrigin, type Origin } from "../support/origin.js";
import { isAlive, workerdServing } from "../integration/support/workerd-process.js";
import { checkBody, checkResponse, headerLines } from "./check.js";
import { exchange } from "./client.js";
import { retainedBytes } from "./inspector.js";
import { loadConfigFromEnv } from "./config.js";
import { measureRun, type MeasuredRun } from "./measure.js";
import { buildSchedule, type LoadRequest } from "./mix.js";
import { JSON_RULE_HEADERS, LOAD_POLICY } from "./policy.js";
import { fetchReferences, type Reference } from "./reference.js";
import { formatSummary, summarize, writeSummary } from "./summary.js";
import { startInspectableWorker, type InspectableWorker } from "./worker.js";

const config = loadConfigFromEnv();
const OUTPUT = new URL("../../test-output/", import.meta.url);
const MiB = 1 << 20;
/**
 * Growth allowed in what the Worker's isolate retains after a full GC (V8 heap plus ArrayBuffer backing
 * stores). Measured: 0.7 → 0.8 MiB of heap and no ArrayBuffers across 6,000 requests. Keeping 1 KiB per
 * request (a Map entry, a closure over a Response, a body chunk) adds 6 MiB over 6,000 requests; a
 * deliberately leaky wrapper keeping 2 KiB per request showed +12 MiB.
 */
const MAX_WORKER_RETAINED_GROWTH = 4 * MiB;
/**
 * Extra room in the RSS comparison per 10 MiB download in the schedule. How far workerd's allocator
 * high-water rises under large bodies depends on how they happened to overlap, so two runs of the same
 * schedule differ by up to ~0.3 MiB per 10 MiB download (measured: 25 to 36 MiB over 121 of them, while
 * without them ours and the bare Worker ended 0.5 MiB apart after 30,000 requests).
 */
const SLACK_PER_LARGE_DOWNLOAD = MiB / 4;

let origin: Origin | undefined;
/** Workers still running, stopped by afterAll if the test did not get to stop them. */
const running = new Set<InspectableWorker>();
const agents = new Set<Agent>();
const workerdPids: number[] = [];
let ours: { worker: InspectableWorker; pid: number } | undefined;
let warmupSchedule: LoadRequest[] = [];
let loadSchedule: LoadRequest[] = [];
let references = new Map<string, Reference>();

async function start(script?: string): Promise<{ worker: InspectableWorker; pid: number }> {
  if (origin === undefined) throw new Error("the origin did not start");
  const worker = await startInspectableWorker({ ORIGIN_URL: origin.url }, script);
  running.add(worker);
  const pid = workerdServing(Number(worker.url.port));
  workerdPids.push(pid);
  return { worker, pid };
}

async function stop(worker: InspectableWorker): Promise<void> {
  running.delete(worker);
  await worker.dispose();
}

/** One measured run over its own keep-alive agent, closed afterwards. */
async function measure(worker: InspectableWorker, pid: number, check: typeof checkResponse): Promise<MeasuredRun> {
  const agent = new Agent({ keepAlive: true, maxSockets: config.connections });
  agents.add(agent);
  try {
    return await measureRun({
      worker,
      workerdPid: pid,
      warmupSchedule,
      loadSchedule,
      references,
      agent,
      concurrency: config.connections,
      idleTimeoutMs: config.idleTimeoutMs,
      timeLimitMs: config.timeLimitMs,
      sampleEveryMs: config.sampleEveryMs,
      seenNonces: new Set<string>(),
      check,
    });
  } finally {
    agent.destroy();
    agents.delete(agent);
  }
}

beforeAll(async () => {
  origin = await startOrigin();
  ours = await start();
  await (await ours.worker.mf.getKVNamespace("POLICY_KV")).put("policy", JSON.stringify(LOAD_POLICY));

  // The seeded document must be the one serving, or every check below would test the wrong policy.
  const probe = await exchange(new URL("/json", ours.worker.url), {
    headers: {},
    agent: false,
    keepBody: false,
    idleTimeoutMs: config.idleTimeoutMs,
  });
  for (const [name, value] of JSON_RULE_HEADERS) {
    const got = headerLines(probe.rawHeaders, name);
    if (got.join() !== value) throw new Error(`the KV policy is not in effect: ${name} is ${JSON.stringify(got)}`);
  }

  warmupSchedule = buildSchedule(config.warmupRequests, (config.seed ^ 0x5bd1e995) >>> 1);
  loadSchedule = buildSchedule(config.requests, config.seed);
  references = await fetchReferences(origin.url, [...warmupSchedule, ...loadSchedule], false, config.idleTimeoutMs);
  // The references are the origin's answers; for /bytes they must also be the pattern the origin promises.
  for (const [key, reference] of references) {
    const n = /^\/bytes\?n=(\d+) /.exec(key)?.[1];
    if (n !== undefined && reference.sha256 !== patternSha256(Number(n)))
      throw new Error(`the origin's /bytes?n=${n} does not hash to patternSha256(${n})`);
  }
}, 120_000);

afterAll(async () => {
  for (const agent of agents) agent.destroy();
  try {
    for (const worker of running) await stop(worker);
  } finally {
    await origin?.close();
  }
  for (const pid of workerdPids) expect(isAlive(pid), `workerd ${pid} outlives dispose()`).toBe(false);
});

describe("load with integrity", () => {
  it(
    `serves ${config.requests} mixed requests over ${config.connections} connections intact, with flat workerd memory`,
    async () => {
      if (ours === undefined) throw new Error("the origin and Worker did not start (see beforeAll)");
      const oursRun = await measure(ours.worker, ours.pid, checkResponse);
      await stop(ours.worker);

      // The same schedule through a bare pass-through Worker in its own workerd: workerd's own allocator
      // high-water under this load (it grows with concurrent large bodies even for `return fetch(request)`),
      // so what remains after subtracting it is what our Worker adds.
      const bare = await start(BARE_WORKER);
      const bareRun = await measure(bare.worker, bare.pid, checkBody);
      await stop(bare.worker);

      const largeDownloads = loadSchedule.filter((request) => request.route === "bytes-10m").length;
      const rssBound = config.maxRssGrowthBytes + largeDownloads * SLACK_PER_LARGE_DOWNLOAD;
      const summary = summarize(config, oursRun, ours.pid, bareRun, bare.pid, rssBound);
      console.log(formatSummary(summary));
      console.log(`  summary written to ${writeSummary(summary, OUTPUT)}`);

      const { warmup, load } = oursRun;
      expect(warmup.timedOut || load.timedOut, `the load did not finish within ${config.timeLimitMs / 1000} s`).toBe(false);
      expect(bareRun.warmup.timedOut || bareRun.load.timedOut, `the baseline did not finish within ${config.timeLimitMs / 1000} s`).toBe(
        false,
      );
      expect(load.requests).toBe(config.requests);
      expect({
        warmupErrors: warmup.errors,
        warmupFailed: warmup.failedResponses,
        errors: load.errors,
        failed: load.failedResponses,
      }).toEqual({
        warmupErrors: 0,
        warmupFailed: 0,
        errors: 0,
        failed: 0,
      });
      expect(load.nonces).toBeGreaterThan(0);
      expect(load.repeatedNonces).toBe(0);
      expect({ baselineErrors: bareRun.load.errors, baselineFailed: bareRun.load.failedResponses }).toEqual({
        baselineErrors: 0,
        baselineFailed: 0,
      });
      // 32 MiB plus the large-download slack (38 MiB at the default size): measured differences were +5 to
      // +10 MiB over 6,000 requests; when every body of a site with a marker went through the scrubber (the
      // load policy has one) they rose to +45 to +57 MiB with the isolate's heap and ArrayBuffers flat after
      // GC: a fresh 256 KiB read buffer per read of every scrubbed stream, whose memory workerd's allocator
      // kept. With read buffers reused per stream and pooled per isolate (core/nonce/body-driver.ts) it
      // measured +10.0 MiB again. A Worker keeping 16 KiB per request came out ~100 MiB over, and holding
      // on to four of the 10 MiB bodies would exceed it. Raw RSS is reported, not asserted: it includes
      // garbage workerd has not collected yet and grows by ~110 MiB per 6,000 requests for the bare Worker too.
      expect(summary.growthOverBaselineBytes, "workerd RSS growth after GC, ours minus the bare Worker's").toBeLessThan(rssBound);
      expect(
        retainedBytes(oursRun.heapEnd) - retainedBytes(oursRun.heapStart),
        "what the Worker isolate retains after GC, end − start",
      ).toBeLessThan(MAX_WORKER_RETAINED_GROWTH);
    },
    2 * config.timeLimitMs + 120_000,
  );
});
