// Nonce bench: marked, blanket and buffering nonce Workers against the bare pass-through Worker in Miniflare, as ratios.

import { Agent } from "node:http";
import { loadavg } from "node:os";
import { BARE_WORKER } from "../test/support/miniflare-worker.js";
import { bundleWorker } from "../test/support/worker-bundle.js";
import {
  autocannonBodyStringsSkipped,
  get,
  load,
  originalUrl,
  QUIET_CORES,
  roundRun,
  startBenchWorker,
  type BenchWorker,
  type Fetched,
  type LoadRun,
  type LoadSpec,
  type StdioLog,
} from "./harness.js";
import { READ_SIZE, transformChunks } from "../src/core/nonce/body-driver.js";
import { tagStampTransformer } from "../src/core/nonce/tag-stamper.js";
import { slices } from "../test/support/bytes.js";
import { formatSitewide, runSitewide, type SitewideRow } from "./nonce-sitewide.js";
import { MARKER, startPages, type BlanketBody, type Page, type PagesOrigin } from "./pages.js";
import { childWorkerdPids, workerdVersionOf } from "./procfs.js";
import { formatSpread, formatTable, median, percentile, round, spread, type Spread } from "./stats.js";

export interface NonceOptions {
  /** Interleaved rounds per page (each round runs every Worker once, rotating who goes first). */
  readonly rounds: number;
  /** Seconds per run on the 2 KiB page. */
  readonly durationS: number;
  /**
   * Target seconds per run on the 1 MiB page. Each Worker's run there is a fixed count (so no run ends with a
   * body cut in half), sized from its warm-up rate to last about this long: the contenders differ 20-fold.
   */
  readonly bigSeconds: number;
  /** The fewest requests a 1 MiB run makes. */
  readonly bigMinRequests: number;
  readonly smallConnections: number;
  readonly bigConnections: number;
  /** Seconds of unrecorded load per Worker and page before the rounds. */
  readonly warmupS: number;
  /** First-byte samples per Worker. */
  readonly ttfbSamples: number;
  /** How long the held page waits for its release before the origin finishes it anyway (bounds the buffering Worker). */
  readonly holdMs: number;
  /** The scheme the Worker sees. */
  readonly scheme: "https" | "http";
  /** Also run a second bare Worker: the A/A ratio is the noise floor. */
  readonly control: boolean;
  /** The Worker entry bundled as ours (relative to the repository, or absolute: a snapshot of another tree). */
  readonly entry: string;
  /** Blanket side-by-side: interleaved rounds, and requests per body and Worker in each. */
  readonly blanketRounds: number;
  readonly blanketRequests: number;
}

export const NONCE_DEFAULTS: NonceOptions = {
  rounds: 10,
  durationS: 0.5,
  bigSeconds: 0.6,
  bigMinRequests: 10,
  smallConnections: 10,
  bigConnections: 3,
  warmupS: 1,
  ttfbSamples: 100,
  holdMs: 50,
  scheme: "https",
  control: false,
  entry: "src/index.ts",
  blanketRounds: 3,
  blanketRequests: 6,
};

/** The issue's targets: marked mode's requests/s as a share of bare's, and its first byte minus bare's. */
export const NONCE_TARGETS = { markedSmallRps: 0.9, markedBigRps: 0.8, ttfbDeltaMs: 10 } as const;

/** The contenders; "control" is a second bare Worker, for the A/A check. */
type Who = "bare" | "marked" | "blanket" | "buffering" | "control";

/** The POLICY binding of our Worker in each mode. */
export const NONCE_POLICIES = {
  marked: JSON.stringify({ nonce: { mode: "marked", styles: true } }),
  blanket: JSON.stringify({ nonce: { mode: "blanket", styles: true } }),
} as const;

interface PageLoad extends LoadSpec {
  readonly name: string;
  readonly page: Page;
  /** Size each Worker's fixed-count run from its warm-up rate (requests/s × seconds), at least minRequests. */
  readonly sized?: { readonly seconds: number; readonly minRequests: number };
}

export interface PageRound {
  readonly order: Who[];
  readonly loadavg1: number;
  readonly runs: Partial<Record<Who, LoadRun>>;
}

export interface ContenderStats {
  readonly who: Who;
  /** Medians over rounds. */
  readonly rps: number;
  readonly p99Ms: number;
  readonly cpuUsPerRequest: number;
  /** who/bare per round: requests per second, p99 latency, workerd CPU per request (null for bare). */
  readonly rpsRatio: Spread | null;
  readonly p99Ratio: Spread | null;
  readonly cpuRatio: Spread | null;
  /** who/bare requests per second over the quiet rounds only. */
  readonly quietRpsRatio: Spread | null;
  readonly errors: number;
}

export interface PageResult {
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
  readonly tags: number;
  readonly marked: number;
  readonly connections: number;
  /** Each Worker's run: a duration, or its fixed request count. */
  readonly runs: Partial<Record<Who, LoadSpec["run"]>>;
  readonly rounds: PageRound[];
  readonly contenders: ContenderStats[];
  readonly quietRounds: number;
  /** Median CPU other processes used during the runs, in cores. */
  readonly foreignCores: number;
}

export interface ElementCost {
  /** Elements blanket mode stamps on the 1 MiB page. */
  readonly elements: number;
  /** Per round, (blanket − marked workerd CPU per request) ÷ elements, in µs. */
  readonly blanketMinusMarkedUs: Spread;
  /** Per round, (blanket − bare) ÷ elements, in µs: the rewriter's whole cost, spread over the elements. */
  readonly blanketMinusBareUs: Spread;
}

export interface TtfbStats {
  readonly who: Who;
  readonly samples: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  /** who − bare. */
  readonly deltaMedianMs: number;
  readonly deltaP95Ms: number;
  /** Samples whose first byte arrived while the origin still held the rest of the page. */
  readonly streamed: number;
}

export interface BodyCheck {
  readonly who: Who;
  readonly page: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** One body of the blanket side-by-side: what blanket mode costs on it, per MiB, beside the bare Worker. */
export interface BlanketRow {
  readonly name: string;
  readonly bytes: number;
  readonly ordinary: boolean;
  /** Medians over rounds of workerd CPU per request. */
  readonly bareCpuUs: number;
  readonly blanketCpuUs: number;
  readonly markedCpuUs: number;
  /** (blanket − bare) in ms per MiB of body. */
  readonly stampMsPerMiB: number;
  /** (marked − bare) in ms per MiB: the scrub of a marked path (the big page carries 1,000 markers, the rest none). */
  readonly markedMsPerMiB: number;
  /** stampMsPerMiB ÷ the same for each ordinary body. */
  readonly timesSparse: number;
  readonly timesDense: number;
  /** What the stamper did with it (run here in Node): elements stamped, or where and why it gave up. */
  readonly outcome: string;
  /** The stamper's steps (its meter: bytes examined and tree operations) per byte: deterministic. */
  readonly stepsPerByte: number;
  /** stepsPerByte ÷ the dense page's. */
  readonly stepsTimesDense: number;
  readonly errors: number;
}

export interface NonceResult {
  readonly options: NonceOptions;
  readonly targets: typeof NONCE_TARGETS;
  readonly policies: typeof NONCE_POLICIES;
  readonly workerd: { readonly version: string; readonly binary: string };
  readonly checks: BodyCheck[];
  readonly pages: PageResult[];
  readonly elementCost: ElementCost | null;
  readonly ttfb: TtfbStats[];
  readonly blanket: BlanketRow[];
  /** Site-wide scrubbing: pages outside the marked rules of a site with a marker (bench/nonce-sitewide.ts). */
  readonly sitewide: SitewideRow[];
  readonly verdicts: { readonly markedSmall: boolean; readonly markedBig: boolean; readonly markedTtfb: boolean };
  readonly workerdLog: Partial<Record<Who, StdioLog>>;
  readonly autocannonBodyStringsSkipped: boolean;
  readonly leftRunning: number;
}

const nonceOf = (headers: Fetched["headers"]): string | undefined => {
  const csp = headers["content-security-policy"];
  const value = Array.isArray(csp) ? csp.join(", ") : csp;
  return value === undefined ? undefined : /'nonce-([^']+)'/.exec(value)?.[1];
};

const occurrences = (text: string, needle: string): number => text.split(needle).length - 1;

/** How often the marker's first byte occurs in a body: where marked mode's search stops. */
function firstByteCount(body: Buffer): number {
  const first = MARKER.charCodeAt(0);
  let n = 0;
  for (let at = body.indexOf(first); at !== -1; at = body.indexOf(first, at + 1)) n++;
  return n;
}

/** One GET per Worker and page: the bare body is the origin's, the nonce Workers put their CSP's nonce where they should. */
async function checkBodies(workers: readonly BenchWorker<Who>[], pages: readonly Page[], o: NonceOptions): Promise<BodyCheck[]> {
  const agent = new Agent({ keepAlive: false });
  const checks: BodyCheck[] = [];
  try {
    for (const page of pages) {
      const original = page.body.toString("utf8");
      for (const worker of workers) {
        const res = await get(new URL(page.path, worker.url), originalUrl(o.scheme, page.path), agent, 30_000, undefined, true);
        const body = res.body?.toString("utf8") ?? "";
        const nonce = nonceOf(res.headers);
        let detail: string;
        if (res.status !== 200) detail = `status ${res.status}`;
        else if (worker.who === "bare" || worker.who === "control") detail = body === original ? "" : "body differs from the origin's";
        else if (nonce === undefined) detail = "no nonce in the CSP";
        else if (worker.who === "blanket") {
          // Every script and style stamped, and nothing else changed (a marker the origin wrote stays).
          const stamped = occurrences(body, ` nonce="${nonce}"`);
          const unchanged = body.replaceAll(` nonce="${nonce}"`, "") === original;
          detail =
            stamped === page.tags && unchanged
              ? ""
              : `${stamped} of ${page.tags} elements stamped${unchanged ? "" : ", and other bytes changed"}`;
        } else detail = body === original.replaceAll(MARKER, nonce) ? "" : "body is not the origin's with the marker replaced";
        checks.push({ who: worker.who, page: page.path, ok: detail === "", detail: detail === "" ? "ok" : detail });
      }
    }
  } finally {
    agent.destroy();
  }
  return checks;
}

function statsFor(who: Who, rounds: readonly PageRound[]): ContenderStats {
  const mine = rounds.flatMap((r) => {
    const run = r.runs[who];
    const bare = r.runs.bare;
    return run === undefined || bare === undefined ? [] : [{ run, bare, round: r }];
  });
  const ratio = (pick: (run: LoadRun) => number): Spread | null =>
    who === "bare" ? null : spread(mine.map(({ run, bare }) => pick(run) / pick(bare)));
  const quiet = mine.filter(({ round: r }) => Object.values(r.runs).every((run) => run.foreignCores < QUIET_CORES));
  return {
    who,
    rps: median(mine.map(({ run }) => run.rps)),
    p99Ms: median(mine.map(({ run }) => run.p99Ms)),
    cpuUsPerRequest: median(mine.map(({ run }) => run.cpuUsPerRequest)),
    rpsRatio: ratio((run) => run.rps),
    p99Ratio: ratio((run) => run.p99Ms),
    cpuRatio: ratio((run) => run.cpuUsPerRequest),
    quietRpsRatio: who === "bare" || quiet.length === 0 ? null : spread(quiet.map(({ run, bare }) => run.rps / bare.rps)),
    errors: mine.reduce((n, { run }) => n + run.errors + run.non2xx, 0),
  };
}

async function throughput(
  workers: readonly BenchWorker<Who>[],
  loads: readonly PageLoad[],
  o: NonceOptions,
  log: (line: string) => void,
): Promise<PageResult[]> {
  const pids = workers.map((w) => w.pid);
  const results: PageResult[] = [];
  for (const spec of loads) {
    const specs = new Map<Who, LoadSpec>();
    for (const worker of workers) {
      const warm = await load(worker, spec, o.scheme, pids, { durationS: o.warmupS });
      const sized = spec.sized;
      const requests = sized === undefined ? 0 : Math.max(sized.minRequests, Math.round(warm.rps * sized.seconds));
      specs.set(worker.who, sized === undefined ? spec : { ...spec, run: { requests } });
    }
    const rounds: PageRound[] = [];
    for (let r = 0; r < o.rounds; r++) {
      // Rotate who goes first, so drift within a round favours no one.
      const order = [...workers.slice(r % workers.length), ...workers.slice(0, r % workers.length)];
      const runs: Partial<Record<Who, LoadRun>> = {};
      for (const worker of order) runs[worker.who] = await load(worker, specs.get(worker.who) ?? spec, o.scheme, pids);
      rounds.push({ order: order.map((w) => w.who), loadavg1: loadavg()[0] ?? Number.NaN, runs });
      const bare = runs.bare;
      const parts = workers
        .filter((w) => w.who !== "bare")
        .map((w) => {
          const run = runs[w.who];
          return run === undefined || bare === undefined
            ? ""
            : `${w.who} ${(run.rps / bare.rps).toFixed(3)} (${run.cpuUsPerRequest.toFixed(0)} µs)`;
        });
      const other = Math.max(...Object.values(runs).map((run) => run.foreignCores));
      log(
        `  ${spec.name} round ${r + 1}/${o.rounds}: rps/bare ${parts.join(", ")}; bare ${bare?.rps.toFixed(1) ?? "?"} rps, ` +
          `${bare?.cpuUsPerRequest.toFixed(0) ?? "?"} µs; other load ${other.toFixed(2)} cores`,
      );
    }
    const quiet = rounds.filter((r) => Object.values(r.runs).every((run) => run.foreignCores < QUIET_CORES));
    results.push({
      name: spec.name,
      path: spec.path,
      bytes: spec.page.body.length,
      tags: spec.page.tags,
      marked: spec.page.marked,
      connections: spec.connections,
      runs: Object.fromEntries([...specs].map(([who, w]) => [who, w.run])),
      rounds,
      contenders: workers.map((w) => statsFor(w.who, rounds)),
      quietRounds: quiet.length,
      foreignCores: median(rounds.flatMap((r) => Object.values(r.runs).map((run) => run.foreignCores))),
    });
  }
  return results;
}

/**
 * Time to the first body chunk of a page the origin has not finished. The origin sends the head and holds
 * the rest; the bench releases it once the first chunk came through the Worker, so streaming is proven by
 * order. A Worker that buffers never sends a chunk first: the origin then finishes on its own after holdMs.
 */
async function firstByte(workers: readonly BenchWorker<Who>[], origin: PagesOrigin, o: NonceOptions): Promise<TtfbStats[]> {
  const agents = new Map(workers.map((w) => [w.who, new Agent({ keepAlive: true, maxSockets: 1 })]));
  const originAgent = new Agent({ keepAlive: true, maxSockets: 4 });
  const samples = new Map<Who, number[]>(workers.map((w) => [w.who, []]));
  const streamed = new Map<Who, number>(workers.map((w) => [w.who, 0]));
  try {
    const warmup = Math.min(10, o.ttfbSamples);
    for (let i = 0; i < warmup + o.ttfbSamples; i++) {
      const order = [...workers.slice(i % workers.length), ...workers.slice(0, i % workers.length)];
      for (const worker of order) {
        const id = `${worker.who}-${i}`;
        const path = `/hold?id=${id}&ms=${o.holdMs}`;
        const agent = agents.get(worker.who);
        if (agent === undefined) throw new Error("no agent");
        let release: Promise<Fetched> | undefined;
        const res = await get(new URL(path, worker.url), originalUrl(o.scheme, path), agent, 10_000, () => {
          release = get(new URL(`/release?id=${id}`, origin.url), {}, originAgent, 10_000);
        });
        const released = await release;
        if (res.status !== 200 || !(res.firstByteMs >= 0)) throw new Error(`first-byte sample failed: ${worker.who} ${res.status}`);
        if (i < warmup) continue;
        samples.get(worker.who)?.push(res.firstByteMs);
        if (released?.status === 200) streamed.set(worker.who, (streamed.get(worker.who) ?? 0) + 1);
      }
    }
  } finally {
    for (const agent of [...agents.values(), originAgent]) agent.destroy();
  }
  const bare = samples.get("bare") ?? [];
  return workers.map((w) => {
    const mine = samples.get(w.who) ?? [];
    return {
      who: w.who,
      samples: mine.length,
      medianMs: median(mine),
      p95Ms: percentile(mine, 95),
      deltaMedianMs: median(mine) - median(bare),
      deltaP95Ms: percentile(mine, 95) - percentile(bare, 95),
      streamed: streamed.get(w.who) ?? 0,
    };
  });
}

/** Blanket minus marked (and minus bare) workerd CPU per request on the tag-heavy page, per stamped element. */
function elementCost(big: PageResult | undefined): ElementCost | null {
  if (big === undefined) return null;
  const per = (other: Who): number[] =>
    big.rounds.flatMap((r) => {
      const blanket = r.runs.blanket;
      const that = r.runs[other];
      return blanket === undefined || that === undefined ? [] : [(blanket.cpuUsPerRequest - that.cpuUsPerRequest) / big.tags];
    });
  return { elements: big.tags, blanketMinusMarkedUs: spread(per("marked")), blanketMinusBareUs: spread(per("bare")) };
}

/** What the stamper does with a body, run in this process: how many elements it stamps, or where it gives up. */
function outcomeOf(body: Uint8Array): { outcome: string; stepsPerByte: number } {
  const meter = { steps: 0 };
  const stamper = tagStampTransformer({ scripts: true, styles: true }, "bm9uY2U=", { meter });
  transformChunks(slices(body, READ_SIZE), stamper);
  const o = stamper.outcome();
  const outcome = o.gaveUp === null ? `${o.stamped} stamped` : `gives up at ${(o.gaveUp.at / 1024).toFixed(0)} KiB: ${o.gaveUp.reason}`;
  return { outcome, stepsPerByte: meter.steps / Math.max(1, body.length) };
}

/**
 * Blanket mode's CPU per MiB on ordinary and hostile 1 MiB bodies, side by side: each body, each round, a
 * fixed count of requests through the bare and the blanket Worker (rotating who goes first); the cost is
 * blanket − bare workerd CPU per request. The issue's target: hostile bodies at most 3x an ordinary page.
 */
async function blanketSideBySide(
  workers: readonly BenchWorker<Who>[],
  bodies: readonly BlanketBody[],
  o: NonceOptions,
  log: (line: string) => void,
): Promise<BlanketRow[]> {
  const pair = workers.filter((w) => w.who === "bare" || w.who === "blanket" || w.who === "marked");
  const pids = workers.map((w) => w.pid);
  const cpu = new Map<string, { bare: number[]; blanket: number[]; marked: number[]; errors: number }>(
    bodies.map((b) => [b.path, { bare: [], blanket: [], marked: [], errors: 0 }]),
  );
  log(`blanket side by side: ${bodies.length} bodies of 1 MiB, ${o.blanketRounds} rounds of ${o.blanketRequests} requests per Worker`);
  for (let r = 0; r < o.blanketRounds; r++) {
    for (const body of bodies) {
      const order = r % 2 === 0 ? pair : [...pair].reverse();
      for (const worker of order) {
        const run = await load(worker, { path: body.path, connections: 1, run: { requests: o.blanketRequests } }, o.scheme, pids);
        const entry = cpu.get(body.path);
        entry?.[worker.who === "bare" ? "bare" : worker.who === "marked" ? "marked" : "blanket"].push(run.cpuUsPerRequest);
        if (entry !== undefined) entry.errors += run.errors + run.non2xx;
      }
    }
    log(`  blanket side by side round ${r + 1}/${o.blanketRounds}`);
  }
  const perMiB = (b: BlanketBody, who: "blanket" | "marked" = "blanket"): number => {
    const c = cpu.get(b.path);
    return c === undefined ? Number.NaN : (median(c[who]) - median(c.bare)) / 1000 / (b.body.length / (1024 * 1024));
  };
  const sparse = bodies.find((b) => b.ordinary && b.path.endsWith("/big"));
  const dense = bodies.find((b) => b.ordinary && b.path.endsWith("/dense"));
  const denseSteps = dense === undefined ? Number.NaN : outcomeOf(dense.body).stepsPerByte;
  return bodies.map((b) => {
    const c = cpu.get(b.path);
    const { outcome, stepsPerByte } = outcomeOf(b.body);
    return {
      name: b.name,
      bytes: b.body.length,
      ordinary: b.ordinary,
      bareCpuUs: median(c?.bare ?? []),
      blanketCpuUs: median(c?.blanket ?? []),
      markedCpuUs: median(c?.marked ?? []),
      stampMsPerMiB: perMiB(b),
      markedMsPerMiB: perMiB(b, "marked"),
      timesSparse: sparse === undefined ? Number.NaN : perMiB(b) / perMiB(sparse),
      timesDense: dense === undefined ? Number.NaN : perMiB(b) / perMiB(dense),
      outcome,
      stepsPerByte,
      stepsTimesDense: stepsPerByte / denseSteps,
      errors: c?.errors ?? 0,
    };
  });
}

/** Start the pages origin and the Workers, check their bodies, run first byte and throughput, and tear everything down. */
export async function runNonce(o: NonceOptions = NONCE_DEFAULTS, log: (line: string) => void = () => {}): Promise<NonceResult> {
  const origin = await startPages();
  const started: BenchWorker<Who>[] = [];
  const stop = async (): Promise<void> => {
    for (const worker of started.splice(0)) await worker.mf.dispose();
    await origin.close();
  };
  const onSignal = (): void => {
    void stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  try {
    const ours = await bundleWorker(o.entry);
    const buffering = await bundleWorker("bench/buffering-worker.ts");
    const specs: [Who, string, Record<string, string>][] = [
      ["bare", BARE_WORKER, {}],
      ["marked", ours, { POLICY: NONCE_POLICIES.marked, NONCE_MARKER: MARKER }],
      ["blanket", ours, { POLICY: NONCE_POLICIES.blanket }],
      ["buffering", buffering, { NONCE_MARKER: MARKER }],
    ];
    if (o.control) specs.push(["control", BARE_WORKER, {}]);
    for (const [who, script, bindings] of specs) started.push(await startBenchWorker(who, script, { ORIGIN_URL: origin.url, ...bindings }));
    const workers = [...started];
    const first = workers[0];
    if (first === undefined) throw new Error("no Worker started");
    const workerd = workerdVersionOf(first.pid);
    log(`workerd ${workerd.version} (pids ${workers.map((w) => `${w.who} ${w.pid}`).join(", ")}); origin ${origin.url}`);
    const { small, big } = origin.pages;
    log(
      `pages: ${small.path} ${small.body.length} B, ${small.tags} tags, ${small.marked} marked; ${big.path} ${big.body.length} B, ${big.tags} tags, ${big.marked} marked`,
    );
    // The scrubber's native search stops at every occurrence of the marker's first byte: name the count.
    log(`marker: ${MARKER.length} characters, its first byte occurs ${firstByteCount(big.body)} times in ${big.path}`);
    const checks = await checkBodies(workers, [small, big], o);
    const failed = checks.filter((c) => !c.ok);
    if (failed.length > 0) throw new Error(`body check failed: ${JSON.stringify(failed)}`);
    log(`first byte: ${o.ttfbSamples} samples per Worker (held page, released after the first chunk or after ${o.holdMs} ms)`);
    const ttfb = await firstByte(workers, origin, o);
    log(`throughput: ${o.rounds} interleaved rounds per page`);
    const loads: PageLoad[] = [
      { name: "HTML 2 KiB, few tags", page: small, path: small.path, connections: o.smallConnections, run: { durationS: o.durationS } },
      {
        name: "HTML 1 MiB, 2,000 tags",
        page: big,
        path: big.path,
        connections: o.bigConnections,
        run: { requests: o.bigMinRequests },
        sized: { seconds: o.bigSeconds, minRequests: o.bigMinRequests },
      },
    ];
    const pages = await throughput(workers, loads, o, log);
    const blanket = await blanketSideBySide(workers, origin.blanket, o, log);
    const workerdLog = Object.fromEntries(started.map((w) => [w.who, w.stdio]));
    await stop();
    const sitewide = await runSitewide(o, log);
    const markedOn = (p: PageResult | undefined): ContenderStats | undefined => p?.contenders.find((c) => c.who === "marked");
    const markedTtfb = ttfb.find((t) => t.who === "marked");
    return {
      options: o,
      targets: NONCE_TARGETS,
      policies: NONCE_POLICIES,
      workerd,
      checks,
      pages,
      elementCost: elementCost(pages[1]),
      ttfb,
      blanket,
      sitewide,
      verdicts: {
        markedSmall: (markedOn(pages[0])?.rpsRatio?.median ?? 0) >= NONCE_TARGETS.markedSmallRps,
        markedBig: (markedOn(pages[1])?.rpsRatio?.median ?? 0) >= NONCE_TARGETS.markedBigRps,
        markedTtfb:
          markedTtfb !== undefined && markedTtfb.deltaMedianMs <= NONCE_TARGETS.ttfbDeltaMs && markedTtfb.streamed === markedTtfb.samples,
      },
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
const ratioCell = (s: Spread | null): string => (s === null ? "1" : formatSpread(s));

/** The nonce results as printable tables. */
export function formatNonce(result: NonceResult): string {
  const t = result.targets;
  const tables = result.pages.map((p, i) => {
    const target = i === 0 ? t.markedSmallRps : t.markedBigRps;
    const runs = Object.entries(p.runs)
      .map(([who, run]) => ("durationS" in run ? `${run.durationS} s` : `${who} ${run.requests}`))
      .filter((text, at, all) => all.indexOf(text) === at);
    const header =
      `${p.name} (${p.bytes} B, ${p.tags} script/style tags, ${p.marked} marked; ${p.connections} conns; per run: ${runs.join(", ")}${runs.length > 1 ? " requests" : ""}; ` +
      `quiet rounds ${p.quietRounds}/${p.rounds.length}; other load ${p.foreignCores.toFixed(2)} cores)`;
    const table = formatTable(
      [
        "contender",
        "rps ÷ bare (min–max)",
        "rps",
        "p99 ÷ bare (min–max)",
        "p99 ms",
        "cpu/req µs",
        "cpu ÷ bare",
        "quiet rounds only",
        "errors",
        "target",
      ],
      p.contenders.map((c) => [
        c.who,
        ratioCell(c.rpsRatio),
        c.rps.toFixed(1),
        ratioCell(c.p99Ratio),
        c.p99Ms.toFixed(2),
        c.cpuUsPerRequest.toFixed(0),
        c.cpuRatio === null ? "1" : c.cpuRatio.median.toFixed(2),
        c.quietRpsRatio === null ? "-" : formatSpread(c.quietRpsRatio),
        String(c.errors),
        c.who === "marked" ? `≥ ${target} ${yes((c.rpsRatio?.median ?? 0) >= target)}` : "",
      ]),
    );
    return `${header}\n${table}`;
  });
  const ttfb = formatTable(
    ["first byte (held page)", "median ms", "p95 ms", "median − bare", "p95 − bare", "first byte before origin finished", "target"],
    result.ttfb.map((f) => [
      f.who,
      f.medianMs.toFixed(3),
      f.p95Ms.toFixed(3),
      f.deltaMedianMs.toFixed(3),
      f.deltaP95Ms.toFixed(3),
      `${f.streamed}/${f.samples}`,
      f.who === "marked" ? `≤ ${t.ttfbDeltaMs} ms, streaming: ${yes(result.verdicts.markedTtfb)}` : "",
    ]),
  );
  const e = result.elementCost;
  const element =
    e === null
      ? ""
      : `blanket mode, per stamped element (1 MiB page, ${e.elements} elements): (blanket − marked) CPU/req ÷ elements = ` +
        `${formatSpread(e.blanketMinusMarkedUs, 2)} µs; (blanket − bare) ÷ elements = ${formatSpread(e.blanketMinusBareUs, 2)} µs`;
  const blanket =
    result.blanket.length === 0
      ? ""
      : "\n\nside by side, 1 MiB bodies: (blanket − bare) and (marked − bare) workerd CPU per MiB; target: hostile ≤ 3× ordinary (figures from a loaded machine are provisional)\n" +
        formatTable(
          [
            "body",
            "bare cpu/req µs",
            "blanket cpu/req µs",
            "stamping ms/MiB",
            "× sparse page",
            "× dense page",
            "marked cpu/req µs",
            "marked ms/MiB",
            "steps/byte",
            "steps × dense",
            "stamper",
            "errors",
          ],
          result.blanket.map((b) => [
            b.name,
            b.bareCpuUs.toFixed(0),
            b.blanketCpuUs.toFixed(0),
            b.stampMsPerMiB.toFixed(2),
            b.timesSparse.toFixed(2),
            b.timesDense.toFixed(2),
            b.markedCpuUs.toFixed(0),
            b.markedMsPerMiB.toFixed(2),
            b.stepsPerByte.toFixed(2),
            b.stepsTimesDense.toFixed(2),
            b.outcome,
            String(b.errors),
          ]),
        );
  const sitewide = result.sitewide.length === 0 ? "" : `\n\n${formatSitewide(result.sitewide)}`;
  return `${tables.join("\n\n")}\n\n${ttfb}  (hold ${result.options.holdMs} ms)\n\n${element}${blanket}${sitewide}`;
}

/** The nonce result with numbers rounded for the JSON file. */
export function roundNonce(result: NonceResult): NonceResult {
  const s = (v: Spread | null): Spread | null =>
    v === null ? null : { median: round(v.median, 4), min: round(v.min, 4), max: round(v.max, 4) };
  const sure = (v: Spread): Spread => ({ median: round(v.median, 4), min: round(v.min, 4), max: round(v.max, 4) });
  return {
    ...result,
    pages: result.pages.map((p) => ({
      ...p,
      foreignCores: round(p.foreignCores, 2),
      rounds: p.rounds.map((r) => ({
        ...r,
        loadavg1: round(r.loadavg1, 2),
        runs: Object.fromEntries(Object.entries(r.runs).map(([who, run]) => [who, roundRun(run)])),
      })),
      contenders: p.contenders.map((c) => ({
        ...c,
        rps: round(c.rps, 1),
        p99Ms: round(c.p99Ms, 3),
        cpuUsPerRequest: round(c.cpuUsPerRequest, 1),
        rpsRatio: s(c.rpsRatio),
        p99Ratio: s(c.p99Ratio),
        cpuRatio: s(c.cpuRatio),
        quietRpsRatio: s(c.quietRpsRatio),
      })),
    })),
    elementCost:
      result.elementCost === null
        ? null
        : {
            ...result.elementCost,
            blanketMinusMarkedUs: sure(result.elementCost.blanketMinusMarkedUs),
            blanketMinusBareUs: sure(result.elementCost.blanketMinusBareUs),
          },
    blanket: result.blanket.map((b) => ({
      ...b,
      bareCpuUs: round(b.bareCpuUs, 1),
      blanketCpuUs: round(b.blanketCpuUs, 1),
      stampMsPerMiB: round(b.stampMsPerMiB, 3),
      markedMsPerMiB: round(b.markedMsPerMiB, 3),
      timesSparse: round(b.timesSparse, 3),
      timesDense: round(b.timesDense, 3),
      stepsPerByte: round(b.stepsPerByte, 3),
      stepsTimesDense: round(b.stepsTimesDense, 3),
    })),
    ttfb: result.ttfb.map((f) => ({
      ...f,
      medianMs: round(f.medianMs, 4),
      p95Ms: round(f.p95Ms, 4),
      deltaMedianMs: round(f.deltaMedianMs, 4),
      deltaP95Ms: round(f.deltaP95Ms, 4),
    })),
  };
}
