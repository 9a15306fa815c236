// Proxy bench: our Worker vs the bare pass-through Worker in Miniflare, interleaved rounds, reported as ratios.

import { Agent } from "node:http";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { BARE_WORKER } from "../test/support/miniflare-worker.js";
import { startOrigin, type Origin } from "../test/support/origin.js";
import { bundleWorker } from "../test/support/worker-bundle.js";
import {
  autocannonBodyStringsSkipped,
  get,
  load,
  originalUrl,
  QUIET_CORES,
  roundRun,
  startBenchWorker,
  type BenchWorker as HarnessWorker,
  type Fetched,
  type LoadRun,
  type LoadSpec,
  type StdioLog,
} from "./harness.js";
import { formatSpread, formatTable, median, percentile, round, spread, type Spread } from "./stats.js";
import { childWorkerdPids, peakRssKb, resetPeakRss, rssKb, workerdVersionOf } from "./procfs.js";

export { QUIET_CORES, type LoadRun };

export interface ProxyOptions {
  /** Interleaved rounds per workload (each round runs every Worker once, rotating who goes first). */
  readonly rounds: number;
  /** Seconds per run for the small-body workloads. */
  readonly durationS: number;
  /** Requests per run for the 10 MiB workload (a count, so no run ends with a body cut in half). */
  readonly bigRequests: number;
  readonly smallConnections: number;
  readonly bigConnections: number;
  /** Seconds of unrecorded load per Worker and workload before the rounds. */
  readonly warmupS: number;
  /** First-byte samples per Worker. */
  readonly ttfbSamples: number;
  /** 1 GiB streams per Worker. */
  readonly memoryRounds: number;
  readonly memoryBytes: number;
  /** The scheme the Worker sees (https plans include HSTS; http plans remove it). */
  readonly scheme: "https" | "http";
  /** Also run a second, identical bare Worker in its own workerd: the A/A ratio is the noise floor. */
  readonly control: boolean;
  /** The Worker entry bundled as ours (relative to the repository, or absolute: a snapshot of another tree). */
  readonly entry: string;
}

export const PROXY_DEFAULTS: ProxyOptions = {
  rounds: 25,
  durationS: 0.5,
  bigRequests: 30,
  smallConnections: 10,
  bigConnections: 3,
  warmupS: 1,
  ttfbSamples: 300,
  memoryRounds: 2,
  memoryBytes: 1024 ** 3,
  scheme: "https",
  control: false,
  entry: "src/index.ts",
};

/** The issue's targets. */
export const PROXY_TARGETS = { rpsRatio: 0.97, ttfbDeltaMs: 5, memoryDeltaMb: 20 } as const;

/** "control" is a second bare Worker, for the A/A check; "example" the Cloudflare-example peer. */
type Who = "ours" | "bare" | "control" | "example";

/**
 * The peer the issue names: Cloudflare's security-headers example, as simple as it gets. It clones the
 * response (`new Response(res.body, res)`) and sets six headers, with no validation, no `default`
 * actions, no leak-header removal. Ours must never be slower than this.
 */
export const EXAMPLE_WORKER = `export default {
  async fetch(request, env) {
    const target = new URL(request.url);
    const origin = new URL(env.ORIGIN_URL);
    target.protocol = origin.protocol; target.hostname = origin.hostname; target.port = origin.port;
    const res = await fetch(new Request(target, request), { redirect: "manual" });
    const out = new Response(res.body, res);
    out.headers.set("Content-Security-Policy", "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'");
    out.headers.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    out.headers.set("X-Content-Type-Options", "nosniff");
    out.headers.set("X-Frame-Options", "SAMEORIGIN");
    out.headers.set("Referrer-Policy", "strict-origin-when-cross-origin");
    out.headers.set("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
    return out;
  },
};`;

type BenchWorker = HarnessWorker<Who>;

interface Workload extends LoadSpec {
  readonly name: string;
}

function workloads(o: ProxyOptions): Workload[] {
  return [
    { name: "HTML 2 KiB", path: "/page?kb=2", connections: o.smallConnections, run: { durationS: o.durationS } },
    { name: "JSON 1 KiB", path: "/json?kb=1", connections: o.smallConnections, run: { durationS: o.durationS } },
    { name: "binary 10 MiB", path: `/bytes?n=${10 * 1024 * 1024}`, connections: o.bigConnections, run: { requests: o.bigRequests } },
  ];
}

export interface Round {
  readonly order: Who[];
  readonly loadavg1: number;
  readonly ours: LoadRun;
  readonly bare: LoadRun;
  readonly control: LoadRun | null;
  readonly example: LoadRun;
  readonly rpsRatio: number;
  /** ours/example requests per second (the target: never below 1 beyond the noise). */
  readonly oursOverExample: number;
  readonly p99Ratio: number;
  readonly cpuRatio: number;
  /** control/bare requests per second: what the ratio shows when both Workers are the same. */
  readonly controlRpsRatio: number | null;
}

export interface WorkloadResult {
  readonly name: string;
  readonly path: string;
  readonly connections: number;
  readonly run: Workload["run"];
  readonly rounds: Round[];
  /** ours/bare requests per second, per round: median, min, max. */
  readonly rpsRatio: Spread;
  /** ours/bare p99 latency, per round (above 1 means ours is slower). */
  readonly p99Ratio: Spread;
  /** ours/bare workerd CPU per request, per round. */
  readonly cpuRatio: Spread;
  /** The A/A control's bare/bare ratio, when run. */
  readonly controlRpsRatio: Spread | null;
  /** example/bare and ours/example requests per second, per round; example/bare workerd CPU per request. */
  readonly exampleRpsRatio: Spread;
  readonly oursOverExample: Spread;
  readonly exampleCpuRatio: Spread;
  readonly exampleCpuUs: number;
  /** ours/bare requests per second over the quiet rounds only (null when there were none). */
  readonly quietRpsRatio: Spread | null;
  readonly quietRounds: number;
  readonly oursRps: number;
  readonly bareRps: number;
  readonly oursP99Ms: number;
  readonly bareP99Ms: number;
  readonly oursCpuUs: number;
  readonly bareCpuUs: number;
  /** Median CPU other processes used during the runs, in cores. */
  readonly foreignCores: number;
  readonly errors: number;
  readonly meetsTarget: boolean;
}

/** The Workers under test, started once; `control` only with the A/A option. */
interface Contenders {
  readonly ours: BenchWorker;
  readonly bare: BenchWorker;
  readonly example: BenchWorker;
  readonly control: BenchWorker | undefined;
}

async function throughput(w: Contenders, o: ProxyOptions, log: (line: string) => void): Promise<WorkloadResult[]> {
  const all = [w.ours, w.bare, w.example, ...(w.control === undefined ? [] : [w.control])];
  const pids = all.map((worker) => worker.pid);
  const results: WorkloadResult[] = [];
  for (const workload of workloads(o)) {
    for (const worker of all) await load(worker, workload, o.scheme, pids, { durationS: o.warmupS });
    const rounds: Round[] = [];
    for (let r = 0; r < o.rounds; r++) {
      // Rotate who goes first, so drift within a round favours no one.
      const order = [...all.slice(r % all.length), ...all.slice(0, r % all.length)];
      const runs = new Map<Who, LoadRun>();
      for (const worker of order) runs.set(worker.who, await load(worker, workload, o.scheme, pids));
      const a = runs.get("ours");
      const b = runs.get("bare");
      const e = runs.get("example");
      if (a === undefined || b === undefined || e === undefined) throw new Error("a run is missing");
      const c = runs.get("control") ?? null;
      const entry: Round = {
        order: order.map((worker) => worker.who),
        loadavg1: loadavg()[0] ?? Number.NaN,
        ours: a,
        bare: b,
        control: c,
        example: e,
        rpsRatio: a.rps / b.rps,
        oursOverExample: a.rps / e.rps,
        p99Ratio: a.p99Ms / b.p99Ms,
        cpuRatio: a.cpuUsPerRequest / b.cpuUsPerRequest,
        controlRpsRatio: c === null ? null : c.rps / b.rps,
      };
      rounds.push(entry);
      log(
        `  ${workload.name} round ${r + 1}/${o.rounds} (${entry.order.join(", ")}): rps ${a.rps.toFixed(0)}/${b.rps.toFixed(0)} = ${entry.rpsRatio.toFixed(3)}` +
          `${entry.controlRpsRatio === null ? "" : ` (A/A ${entry.controlRpsRatio.toFixed(3)})`}, p99 ${a.p99Ms.toFixed(2)}/${b.p99Ms.toFixed(2)} ms, ` +
          `cpu/req ${a.cpuUsPerRequest.toFixed(0)}/${b.cpuUsPerRequest.toFixed(0)} µs (example ${e.cpuUsPerRequest.toFixed(0)}, ours/example rps ${entry.oursOverExample.toFixed(3)}), other load ${Math.max(a.foreignCores, b.foreignCores).toFixed(2)} cores`,
      );
    }
    const rpsRatio = spread(rounds.map((r) => r.rpsRatio));
    const controls = rounds.flatMap((r) => (r.controlRpsRatio === null ? [] : [r.controlRpsRatio]));
    const quiet = rounds.filter((r) => Math.max(r.ours.foreignCores, r.bare.foreignCores, r.control?.foreignCores ?? 0) < QUIET_CORES);
    results.push({
      name: workload.name,
      path: workload.path,
      connections: workload.connections,
      run: workload.run,
      rounds,
      rpsRatio,
      p99Ratio: spread(rounds.map((r) => r.p99Ratio)),
      cpuRatio: spread(rounds.map((r) => r.cpuRatio)),
      controlRpsRatio: controls.length === 0 ? null : spread(controls),
      exampleRpsRatio: spread(rounds.map((r) => r.example.rps / r.bare.rps)),
      oursOverExample: spread(rounds.map((r) => r.oursOverExample)),
      exampleCpuRatio: spread(rounds.map((r) => r.example.cpuUsPerRequest / r.bare.cpuUsPerRequest)),
      exampleCpuUs: median(rounds.map((r) => r.example.cpuUsPerRequest)),
      quietRpsRatio: quiet.length === 0 ? null : spread(quiet.map((r) => r.rpsRatio)),
      quietRounds: quiet.length,
      oursRps: median(rounds.map((r) => r.ours.rps)),
      bareRps: median(rounds.map((r) => r.bare.rps)),
      oursP99Ms: median(rounds.map((r) => r.ours.p99Ms)),
      bareP99Ms: median(rounds.map((r) => r.bare.p99Ms)),
      oursCpuUs: median(rounds.map((r) => r.ours.cpuUsPerRequest)),
      bareCpuUs: median(rounds.map((r) => r.bare.cpuUsPerRequest)),
      foreignCores: median(rounds.flatMap((r) => [r.ours.foreignCores, r.bare.foreignCores])),
      errors: rounds.reduce((n, r) => n + r.ours.errors + r.bare.errors + r.ours.non2xx + r.bare.non2xx, 0),
      meetsTarget: rpsRatio.median >= PROXY_TARGETS.rpsRatio,
    });
  }
  return results;
}

export interface TtfbResult {
  readonly samples: number;
  readonly oursMedianMs: number;
  readonly oursP95Ms: number;
  readonly bareMedianMs: number;
  readonly bareP95Ms: number;
  /** ours − bare, median and p95. */
  readonly deltaMedianMs: number;
  readonly deltaP95Ms: number;
  readonly meetsTarget: boolean;
}

/**
 * Time to the first body chunk of a page the origin has not finished: /hold sends one chunk and waits; we
 * release it (straight at the origin) only after the chunk came through the Worker, so streaming is proven
 * by order, and each sample costs milliseconds, not a sleep.
 */
async function firstByte(ours: BenchWorker, bare: BenchWorker, origin: Origin, o: ProxyOptions): Promise<TtfbResult> {
  const agents = new Map<Who, Agent>([
    ["ours", new Agent({ keepAlive: true, maxSockets: 1 })],
    ["bare", new Agent({ keepAlive: true, maxSockets: 1 })],
  ]);
  const originAgent = new Agent({ keepAlive: true, maxSockets: 4 });
  const samples = new Map<Who, number[]>([
    ["ours", []],
    ["bare", []],
  ]);
  try {
    const warmup = Math.min(20, o.ttfbSamples);
    for (let i = 0; i < warmup + o.ttfbSamples; i++) {
      const order = i % 2 === 0 ? [ours, bare] : [bare, ours];
      for (const worker of order) {
        const id = `${worker.who}-${i}`;
        const path = `/hold?id=${id}&type=${encodeURIComponent("text/html; charset=utf-8")}`;
        const agent = agents.get(worker.who);
        if (agent === undefined) throw new Error("no agent");
        let release: Promise<Fetched> | undefined;
        const res = await get(new URL(path, worker.url), originalUrl(o.scheme, path), agent, 10_000, () => {
          release = get(new URL(`/release?id=${id}`, origin.url), {}, originAgent, 10_000);
        });
        await release;
        if (res.status !== 200 || !(res.firstByteMs >= 0)) throw new Error(`first-byte sample failed: ${worker.who} ${res.status}`);
        if (i >= warmup) samples.get(worker.who)?.push(res.firstByteMs);
      }
    }
  } finally {
    for (const agent of [...agents.values(), originAgent]) agent.destroy();
  }
  const a = samples.get("ours") ?? [];
  const b = samples.get("bare") ?? [];
  const deltaMedianMs = median(a) - median(b);
  return {
    samples: a.length,
    oursMedianMs: median(a),
    oursP95Ms: percentile(a, 95),
    bareMedianMs: median(b),
    bareP95Ms: percentile(b, 95),
    deltaMedianMs,
    deltaP95Ms: percentile(a, 95) - percentile(b, 95),
    meetsTarget: deltaMedianMs <= PROXY_TARGETS.ttfbDeltaMs,
  };
}

export interface MemoryRun {
  readonly who: Who;
  readonly baselineMb: number;
  readonly peakMb: number;
  /** peak − baseline. */
  readonly growthMb: number;
  readonly bytes: number;
  readonly mbPerS: number;
}

export interface MemoryResult {
  readonly bytes: number;
  readonly runs: MemoryRun[];
  readonly oursGrowthMb: number;
  readonly bareGrowthMb: number;
  readonly oursPeakMb: number;
  readonly barePeakMb: number;
  /** ours − bare of peak − baseline (medians over rounds). */
  readonly deltaMb: number;
  readonly peakFrom: "VmHWM (reset before each stream) and 10 ms VmRSS samples" | "10 ms VmRSS samples";
  readonly meetsTarget: boolean;
}

const MB = 1024 * 1024;

/** Stream memoryBytes through each Worker and watch its workerd's resident memory. */
async function memory(ours: BenchWorker, bare: BenchWorker, o: ProxyOptions): Promise<MemoryResult> {
  const runs: MemoryRun[] = [];
  let hwmUsable = true;
  const path = `/bytes?n=${o.memoryBytes}`;
  for (let r = 0; r < o.memoryRounds; r++) {
    for (const worker of r % 2 === 0 ? [ours, bare] : [bare, ours]) {
      const agent = new Agent({ keepAlive: false });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const baselineKb = rssKb(worker.pid);
      hwmUsable = resetPeakRss(worker.pid) && hwmUsable;
      let sampledKb = baselineKb;
      const sampler = setInterval(() => {
        sampledKb = Math.max(sampledKb, rssKb(worker.pid));
      }, 10);
      const started = performance.now();
      try {
        const res = await get(new URL(path, worker.url), originalUrl(o.scheme, path), agent, 180_000);
        if (res.bytes !== o.memoryBytes) throw new Error(`${worker.who}: streamed ${res.bytes} of ${o.memoryBytes} bytes`);
      } finally {
        clearInterval(sampler);
        agent.destroy();
      }
      const seconds = (performance.now() - started) / 1000;
      const peakKb = Math.max(sampledKb, rssKb(worker.pid), hwmUsable ? peakRssKb(worker.pid) : 0);
      runs.push({
        who: worker.who,
        baselineMb: baselineKb / 1024,
        peakMb: peakKb / 1024,
        growthMb: (peakKb - baselineKb) / 1024,
        bytes: o.memoryBytes,
        mbPerS: o.memoryBytes / MB / seconds,
      });
    }
  }
  const of = (who: Who, pick: (run: MemoryRun) => number): number => median(runs.filter((run) => run.who === who).map(pick));
  const deltaMb = of("ours", (run) => run.growthMb) - of("bare", (run) => run.growthMb);
  return {
    bytes: o.memoryBytes,
    runs,
    oursGrowthMb: of("ours", (run) => run.growthMb),
    bareGrowthMb: of("bare", (run) => run.growthMb),
    oursPeakMb: of("ours", (run) => run.peakMb),
    barePeakMb: of("bare", (run) => run.peakMb),
    deltaMb,
    peakFrom: hwmUsable ? "VmHWM (reset before each stream) and 10 ms VmRSS samples" : "10 ms VmRSS samples",
    meetsTarget: deltaMb <= PROXY_TARGETS.memoryDeltaMb,
  };
}

export interface HeaderCheck {
  readonly oursHasPolicy: boolean;
  readonly bareHasNoPolicy: boolean;
  readonly sameBody: boolean;
  readonly oursHeaders: string[];
}

/** One request through each Worker: ours carries the policy, the bare one does not, the bodies match. */
async function checkHeaders(ours: BenchWorker, bare: BenchWorker, o: ProxyOptions): Promise<HeaderCheck> {
  const agent = new Agent({ keepAlive: false });
  try {
    const path = "/page?kb=2";
    const a = await get(new URL(path, ours.url), originalUrl(o.scheme, path), agent, 10_000);
    const b = await get(new URL(path, bare.url), originalUrl(o.scheme, path), agent, 10_000);
    const owned = ["content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy", "permissions-policy"];
    if (o.scheme === "https") owned.push("strict-transport-security");
    return {
      oursHasPolicy: owned.every((name) => a.headers[name] !== undefined),
      bareHasNoPolicy: owned.every((name) => b.headers[name] === undefined),
      sameBody: a.status === 200 && b.status === 200 && a.bytes === b.bytes,
      oursHeaders: Object.keys(a.headers).sort(),
    };
  } finally {
    agent.destroy();
  }
}

export interface ProxyResult {
  readonly options: ProxyOptions;
  readonly targets: typeof PROXY_TARGETS;
  readonly workerd: { readonly version: string; readonly binary: string };
  readonly headerCheck: HeaderCheck;
  readonly memory: MemoryResult;
  readonly ttfb: TtfbResult;
  readonly throughput: WorkloadResult[];
  readonly workerdLog: Partial<Record<Who, StdioLog>>;
  /** Whether autocannon's per-response body string was skipped (see skipBodyStrings). */
  readonly autocannonBodyStringsSkipped: boolean;
  readonly leftRunning: number;
}

/** Start the origin and both Workers, run memory, first byte and throughput, and tear everything down. */
export async function runProxy(o: ProxyOptions = PROXY_DEFAULTS, log: (line: string) => void = () => {}): Promise<ProxyResult> {
  const origin = await startOrigin();
  const started: BenchWorker[] = [];
  const stop = async (): Promise<void> => {
    for (const worker of started.splice(0)) await worker.mf.dispose();
    await origin.close();
  };
  const onSignal = (): void => {
    void stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  try {
    const oursScript = await bundleWorker(o.entry);
    const ours = await startBenchWorker("ours", oursScript, { ORIGIN_URL: origin.url });
    started.push(ours);
    const bare = await startBenchWorker("bare", BARE_WORKER, { ORIGIN_URL: origin.url });
    started.push(bare);
    const example = await startBenchWorker("example", EXAMPLE_WORKER, { ORIGIN_URL: origin.url });
    started.push(example);
    const control = o.control ? await startBenchWorker("control", BARE_WORKER, { ORIGIN_URL: origin.url }) : undefined;
    if (control !== undefined) started.push(control);
    const workerd = workerdVersionOf(ours.pid);
    log(`workerd ${workerd.version} (pid ours ${ours.pid}, bare ${bare.pid}); origin ${origin.url}`);
    const headerCheck = await checkHeaders(ours, bare, o);
    if (!headerCheck.oursHasPolicy || !headerCheck.bareHasNoPolicy || !headerCheck.sameBody) {
      throw new Error(`header check failed: ${JSON.stringify(headerCheck)}`);
    }
    log(`memory: streaming ${o.memoryBytes} bytes × ${o.memoryRounds} per Worker`);
    const mem = await memory(ours, bare, o);
    log(`first byte: ${o.ttfbSamples} samples per Worker`);
    const ttfb = await firstByte(ours, bare, origin, o);
    log(`throughput: ${o.rounds} interleaved rounds per workload`);
    const tp = await throughput({ ours, bare, example, control }, o, log);
    const workerdLog = Object.fromEntries(started.map((worker) => [worker.who, worker.stdio]));
    await stop();
    return {
      options: o,
      targets: PROXY_TARGETS,
      workerd,
      headerCheck,
      memory: mem,
      ttfb,
      throughput: tp,
      workerdLog,
      autocannonBodyStringsSkipped: autocannonBodyStringsSkipped(),
      leftRunning: childWorkerdPids().size,
    };
  } finally {
    process.removeListener("SIGINT", onSignal);
    await stop();
  }
}

const yes = (ok: boolean): string => (ok ? "yes" : "NO");

/** The proxy results as printable tables. */
export function formatProxy(result: ProxyResult): string {
  const t = result.targets;
  const tp = formatTable(
    [
      "workload",
      "conns",
      "rps ours/bare (min–max)",
      "rps ours",
      "rps bare",
      "p99 ours/bare (min–max)",
      "p99 ours ms",
      "p99 bare ms",
      "cpu/req ours/bare",
      "quiet rounds only (n)",
      "A/A bare/bare",
      "other load",
      `≥ ${t.rpsRatio}?`,
    ],
    result.throughput.map((w) => [
      w.name,
      String(w.connections),
      formatSpread(w.rpsRatio),
      w.oursRps.toFixed(1),
      w.bareRps.toFixed(1),
      formatSpread(w.p99Ratio),
      w.oursP99Ms.toFixed(2),
      w.bareP99Ms.toFixed(2),
      `${w.cpuRatio.median.toFixed(3)} (${w.oursCpuUs.toFixed(0)}/${w.bareCpuUs.toFixed(0)} µs)`,
      w.quietRpsRatio === null ? "- (0)" : `${formatSpread(w.quietRpsRatio)} (${w.quietRounds})`,
      w.controlRpsRatio === null ? "-" : formatSpread(w.controlRpsRatio),
      w.foreignCores.toFixed(2),
      yes(w.meetsTarget),
    ]),
  );
  const peer = formatTable(
    [
      "workload",
      "example/bare rps (min–max)",
      "ours/example rps (min–max)",
      "cpu/req ours / example / bare",
      "example cpu ÷ bare",
      "ours cpu ÷ bare",
    ],
    result.throughput.map((w) => [
      w.name,
      formatSpread(w.exampleRpsRatio),
      formatSpread(w.oursOverExample),
      `${w.oursCpuUs.toFixed(0)} / ${w.exampleCpuUs.toFixed(0)} / ${w.bareCpuUs.toFixed(0)} µs`,
      w.exampleCpuRatio.median.toFixed(3),
      w.cpuRatio.median.toFixed(3),
    ]),
  );
  const f = result.ttfb;
  const ttfb = formatTable(
    ["first byte (ms)", "ours", "bare", "ours − bare", `≤ ${t.ttfbDeltaMs} ms?`],
    [
      ["median", f.oursMedianMs.toFixed(3), f.bareMedianMs.toFixed(3), f.deltaMedianMs.toFixed(3), yes(f.meetsTarget)],
      ["p95", f.oursP95Ms.toFixed(3), f.bareP95Ms.toFixed(3), f.deltaP95Ms.toFixed(3), ""],
    ],
  );
  const m = result.memory;
  const mem = formatTable(
    [`workerd RSS, ${(m.bytes / MB).toFixed(0)} MiB streamed (MB)`, "ours", "bare", "ours − bare", `≤ ${t.memoryDeltaMb} MB?`],
    [
      ["peak − baseline", m.oursGrowthMb.toFixed(1), m.bareGrowthMb.toFixed(1), m.deltaMb.toFixed(1), yes(m.meetsTarget)],
      ["peak", m.oursPeakMb.toFixed(1), m.barePeakMb.toFixed(1), (m.oursPeakMb - m.barePeakMb).toFixed(1), ""],
    ],
  );
  return `${tp}\n\nthe Cloudflare-example peer (clone + six headers.set), same rounds:\n${peer}\n\n${ttfb}  (${f.samples} samples each)\n\n${mem}  (peak from ${m.peakFrom}; ${m.runs.length / 2} stream(s) each)`;
}

/** The proxy result with numbers rounded for the JSON file. */
export function roundProxy(result: ProxyResult): ProxyResult {
  const s = (v: Spread): Spread => ({ median: round(v.median, 4), min: round(v.min, 4), max: round(v.max, 4) });
  return {
    ...result,
    throughput: result.throughput.map((w) => ({
      ...w,
      rounds: w.rounds.map((r) => ({
        ...r,
        loadavg1: round(r.loadavg1, 2),
        ours: roundRun(r.ours),
        bare: roundRun(r.bare),
        rpsRatio: round(r.rpsRatio, 4),
        p99Ratio: round(r.p99Ratio, 4),
        cpuRatio: round(r.cpuRatio, 4),
        controlRpsRatio: r.controlRpsRatio === null ? null : round(r.controlRpsRatio, 4),
        control: r.control === null ? null : roundRun(r.control),
        example: roundRun(r.example),
        oursOverExample: round(r.oursOverExample, 4),
      })),
      exampleRpsRatio: s(w.exampleRpsRatio),
      oursOverExample: s(w.oursOverExample),
      exampleCpuRatio: s(w.exampleCpuRatio),
      exampleCpuUs: round(w.exampleCpuUs, 1),
      rpsRatio: s(w.rpsRatio),
      quietRpsRatio: w.quietRpsRatio === null ? null : s(w.quietRpsRatio),
      controlRpsRatio: w.controlRpsRatio === null ? null : s(w.controlRpsRatio),
      foreignCores: round(w.foreignCores, 2),
      p99Ratio: s(w.p99Ratio),
      cpuRatio: s(w.cpuRatio),
      oursRps: round(w.oursRps, 1),
      bareRps: round(w.bareRps, 1),
      oursP99Ms: round(w.oursP99Ms, 3),
      bareP99Ms: round(w.bareP99Ms, 3),
      oursCpuUs: round(w.oursCpuUs, 1),
      bareCpuUs: round(w.bareCpuUs, 1),
    })),
    ttfb: {
      ...result.ttfb,
      oursMedianMs: round(result.ttfb.oursMedianMs, 4),
      oursP95Ms: round(result.ttfb.oursP95Ms, 4),
      bareMedianMs: round(result.ttfb.bareMedianMs, 4),
      bareP95Ms: round(result.ttfb.bareP95Ms, 4),
      deltaMedianMs: round(result.ttfb.deltaMedianMs, 4),
      deltaP95Ms: round(result.ttfb.deltaP95Ms, 4),
    },
    memory: {
      ...result.memory,
      runs: result.memory.runs.map((r) => ({
        ...r,
        baselineMb: round(r.baselineMb, 1),
        peakMb: round(r.peakMb, 1),
        growthMb: round(r.growthMb, 1),
        mbPerS: round(r.mbPerS, 0),
      })),
      oursGrowthMb: round(result.memory.oursGrowthMb, 1),
      bareGrowthMb: round(result.memory.bareGrowthMb, 1),
      oursPeakMb: round(result.memory.oursPeakMb, 1),
      barePeakMb: round(result.memory.barePeakMb, 1),
      deltaMb: round(result.memory.deltaMb, 1),
    },
  };
}
