// Shared pieces of the Miniflare benches: start a Worker on its own socket, load it with autocannon, GET with node:http.

import autocannon from "autocannon";
import { Miniflare } from "miniflare";
import { request as httpRequest, type Agent, type IncomingHttpHeaders } from "node:http";
import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import { errorMessage } from "../src/core/shared/text.js";
import { COMPATIBILITY_DATE } from "../test/support/miniflare-worker.js";
import { cpuNs, machineBusyNs, ownBusyNs, withNewWorkerd } from "./procfs.js";
import { percentile, round } from "./stats.js";

/** A round counts as quiet when other processes used less than this many cores during all of its runs. */
export const QUIET_CORES = 0.2;

/** What workerd wrote on stdout/stderr: counted, not printed (a client closing mid-body logs a stack). */
export interface StdioLog {
  lines: number;
  readonly samples: string[];
}

/** A Worker running in its own Miniflare instance, and so in its own workerd process. */
export interface BenchWorker<W extends string = string> {
  readonly who: W;
  readonly url: URL;
  readonly pid: number;
  readonly mf: Miniflare;
  readonly stdio: StdioLog;
}

function captureStdio(log: StdioLog): (stdout: Readable, stderr: Readable) => void {
  const take = (chunk: Buffer): void => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.trim() === "" || line.startsWith("stack:")) continue;
      log.lines++;
      const short = line.slice(0, 200);
      if (log.samples.length < 5 && !log.samples.includes(short)) log.samples.push(short);
    }
  };
  return (stdout, stderr) => {
    stdout.on("data", take);
    stderr.on("data", take);
  };
}

/**
 * Start a Worker in Miniflare on its own loopback socket: the same options as test/support's startWorker,
 * plus a stdio handler, so workerd's per-disconnect stack traces are counted instead of flooding the output.
 */
export async function startBenchWorker<W extends string>(
  who: W,
  script: string,
  bindings: Record<string, string>,
): Promise<BenchWorker<W>> {
  const stdio: StdioLog = { lines: 0, samples: [] };
  const { value, pid } = await withNewWorkerd(
    async () => {
      const mf = new Miniflare({
        modules: true,
        script,
        compatibilityDate: COMPATIBILITY_DATE,
        bindings,
        host: "127.0.0.1",
        port: 0,
        handleRuntimeStdio: captureStdio(stdio),
      });
      try {
        return { mf, url: await mf.ready };
      } catch (error) {
        await mf.dispose();
        throw error;
      }
    },
    ({ mf }) => mf.dispose(),
  );
  return { who, url: value.url, mf: value.mf, pid, stdio };
}

/** The header that makes Miniflare hand the Worker this URL, so it sees the scheme a real edge would. */
export function originalUrl(scheme: string, path: string): Record<string, string> {
  return { "MF-Original-URL": `${scheme}://bench.example${path}` };
}

/** What one autocannon run requests: a path, a number of connections, and a duration or a request count. */
export interface LoadSpec {
  readonly path: string;
  readonly connections: number;
  readonly run: { readonly durationS: number } | { readonly requests: number };
}

export interface LoadRun {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** workerd CPU time (all threads) per completed request: the Worker's cost, whoever is the bottleneck. */
  readonly cpuUsPerRequest: number;
  readonly requests: number;
  readonly elapsedS: number;
  readonly bytesPerResponse: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly stoppedByGuard: boolean;
  /** CPU other processes on the machine used during the run, in cores (other sessions share it). */
  readonly foreignCores: number;
}

const MAX_LATENCY_SAMPLES = 1_000_000;

/**
 * autocannon keeps every response body as a string (`body += chunk`), which caps it near 125 MB/s on 10 MiB
 * bodies: the bench would measure its own UTF-8 decoding. Through its setupClient hook we make that one
 * internal step a no-op (bytes are still counted); true when the hook found the step to replace.
 */
let bodyStringsSkipped = false;
function skipBodyStrings(client: object): void {
  const queue: unknown = Reflect.get(client, "pipelinedRequests");
  if (typeof queue === "object" && queue !== null && typeof Reflect.get(queue, "addBody") === "function") {
    Reflect.set(queue, "addBody", () => {});
    bodyStringsSkipped = true;
  }
}

/** Whether any run so far skipped autocannon's body strings (see skipBodyStrings). */
export function autocannonBodyStringsSkipped(): boolean {
  return bodyStringsSkipped;
}

/** One autocannon run against one Worker (keep-alive connections, no Accept-Encoding, so no compression). */
export async function load(
  worker: BenchWorker,
  spec: LoadSpec,
  scheme: string,
  allPids: readonly number[],
  override?: { durationS: number },
): Promise<LoadRun> {
  const latencies: number[] = [];
  let lastResponseAt = Number.NaN;
  const run = override ?? spec.run;
  const limitMs = "durationS" in run ? run.durationS * 1000 + 30_000 : run.requests * 2_000 + 30_000;
  let stoppedByGuard = false;
  let guard: NodeJS.Timeout | undefined;
  const cpuBefore = cpuNs(worker.pid);
  const machineBefore = machineBusyNs();
  const ownBefore = ownBusyNs(allPids);
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: new URL(spec.path, worker.url).href,
        connections: spec.connections,
        headers: originalUrl(scheme, spec.path),
        timeout: 30,
        // autocannon only notices the end of a run on its sampling tick: 100 ms, not 1 s, of idle tail.
        sampleInt: 100,
        setupClient: skipBodyStrings,
        ...("durationS" in run ? { duration: run.durationS } : { amount: run.requests }),
      },
      (error: unknown, res: autocannon.Result) => {
        if (error !== null && error !== undefined) reject(error instanceof Error ? error : new Error(errorMessage(error)));
        else resolve(res);
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      lastResponseAt = performance.now();
      if (statusCode >= 200 && statusCode < 300 && latencies.length < MAX_LATENCY_SAMPLES) latencies.push(responseTime);
    });
    // Every run is bounded in time, even if a response never completes.
    guard = setTimeout(() => {
      stoppedByGuard = true;
      instance.stop();
    }, limitMs);
  }).finally(() => clearTimeout(guard));
  // A fixed count ends with its last response; the wait for autocannon's next tick is not the Worker's time.
  const elapsedS = "durationS" in run ? result.duration : (lastResponseAt - started) / 1000;
  const cpu = cpuNs(worker.pid) - cpuBefore;
  const foreignNs = machineBusyNs() - machineBefore - (ownBusyNs(allPids) - ownBefore);
  const wallNs = (performance.now() - started) * 1e6;
  const requests = result["2xx"];
  return {
    rps: requests / elapsedS,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuUsPerRequest: requests === 0 ? Number.NaN : cpu / 1000 / requests,
    requests,
    elapsedS,
    bytesPerResponse: requests === 0 ? 0 : result.throughput.total / requests,
    errors: result.errors,
    non2xx: result.non2xx,
    stoppedByGuard,
    foreignCores: Math.max(0, foreignNs / wallNs),
  };
}

/** A load run with numbers rounded for the JSON file. */
export function roundRun(r: LoadRun): LoadRun {
  return {
    ...r,
    rps: round(r.rps, 1),
    p50Ms: round(r.p50Ms, 3),
    p99Ms: round(r.p99Ms, 3),
    cpuUsPerRequest: round(r.cpuUsPerRequest, 1),
    elapsedS: round(r.elapsedS, 3),
    bytesPerResponse: round(r.bytesPerResponse, 0),
    foreignCores: round(r.foreignCores, 2),
  };
}

export interface Fetched {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly bytes: number;
  /** ms from the request call to the first body chunk (NaN for an empty body). */
  readonly firstByteMs: number;
  /** The body, only when asked for (`keepBody`). */
  readonly body: Buffer | undefined;
}

/**
 * GET with node:http (no Accept-Encoding, so nothing is compressed on the way), consuming the body without
 * keeping it unless `keepBody`. `onFirstChunk` runs when the first body bytes arrive; the whole exchange is
 * bounded by timeoutMs.
 */
export function get(
  url: URL,
  headers: Record<string, string>,
  agent: Agent,
  timeoutMs: number,
  onFirstChunk?: () => void,
  keepBody = false,
): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstByteMs = Number.NaN;
    let bytes = 0;
    const chunks: Buffer[] = [];
    const req = httpRequest(url, { headers, agent }, (res) => {
      res.on("data", (chunk: Buffer) => {
        if (bytes === 0) {
          firstByteMs = performance.now() - started;
          onFirstChunk?.();
        }
        bytes += chunk.length;
        if (keepBody) chunks.push(chunk);
      });
      res.on("end", () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          bytes,
          firstByteMs,
          body: keepBody ? Buffer.concat(chunks) : undefined,
        });
      });
      res.on("error", reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${timeoutMs} ms: ${url.href}`)), timeoutMs);
    req.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end();
  });
}
