// The load run's summary: one object for test-output/load-summary.json, and the lines printed for people.

import { mkdirSync, writeFileSync } from "node:fs";
import type { LoadConfig } from "./config.js";
import type { HeapUsage } from "./inspector.js";
import type { MeasuredRun } from "./measure.js";
import type { RssSample } from "./memory.js";
import { WINDOW_MS, type LoadOutcome } from "./run-load.js";

const MiB = 1 << 20;

/** workerd's memory over one run. */
export interface RssSummary {
  readonly pid: number;
  /** After the warm-up and a full GC of every isolate: the baseline. */
  readonly startBytes: number;
  readonly peakBytes: number;
  /** Right after the last response, before any GC: includes garbage workerd has not collected yet. */
  readonly endBytes: number;
  /** After a full GC of every isolate at the end: what the run left behind. */
  readonly endAfterGcBytes: number;
  readonly growthAfterGcBytes: number;
  readonly samples: number;
  /** The Worker isolate's own V8 heap and ArrayBuffer backing stores after a full GC, at start and end. */
  readonly workerHeap: { readonly start: HeapUsage; readonly end: HeapUsage };
  /** Every reading, every `config.sampleEveryMs` during the load. */
  readonly series: readonly RssSample[];
}

/** Everything the run reports. */
export interface LoadSummary {
  readonly config: LoadConfig;
  readonly warmup: LoadOutcome;
  readonly load: LoadOutcome;
  readonly throughput: { readonly requestsPerSecond: number; readonly mibPerSecond: number };
  readonly rss: RssSummary;
  /** The same schedule through the bare pass-through Worker in its own workerd: the runtime's own growth. */
  readonly baseline: { readonly load: Omit<LoadOutcome, "perRoute">; readonly rss: RssSummary };
  /** Our workerd's growth after GC minus the bare Worker's: what the Worker itself adds. Asserted. */
  readonly growthOverBaselineBytes: number;
  /** The bound it is asserted against (see load.test.ts). */
  readonly growthOverBaselineBoundBytes: number;
}

function rssOf(run: MeasuredRun, pid: number): RssSummary {
  const startBytes = run.series[0]?.bytes ?? 0;
  return {
    pid,
    startBytes,
    peakBytes: run.series.reduce((peak, s) => Math.max(peak, s.bytes), 0),
    endBytes: run.series[run.series.length - 1]?.bytes ?? 0,
    endAfterGcBytes: run.endAfterGcBytes,
    growthAfterGcBytes: run.endAfterGcBytes - startBytes,
    samples: run.series.length,
    workerHeap: { start: run.heapStart, end: run.heapEnd },
    series: run.series,
  };
}

/** Build the summary from our run and the baseline's. */
export function summarize(
  config: LoadConfig,
  ours: MeasuredRun,
  oursPid: number,
  bare: MeasuredRun,
  barePid: number,
  growthOverBaselineBoundBytes: number,
): LoadSummary {
  const seconds = ours.load.durationMs / 1000;
  const rss = rssOf(ours, oursPid);
  const baselineRss = rssOf(bare, barePid);
  const { perRoute: _perRoute, ...baselineLoad } = bare.load;
  return {
    config,
    warmup: ours.warmup,
    load: ours.load,
    throughput: {
      requestsPerSecond: seconds > 0 ? ours.load.requests / seconds : 0,
      mibPerSecond: seconds > 0 ? ours.load.bodyBytes / MiB / seconds : 0,
    },
    rss,
    baseline: { load: baselineLoad, rss: baselineRss },
    growthOverBaselineBytes: rss.growthAfterGcBytes - baselineRss.growthAfterGcBytes,
    growthOverBaselineBoundBytes,
  };
}

const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

function rssLine(label: string, rss: RssSummary): string {
  return (
    `  ${label} workerd ${rss.pid} RSS: start ${mib(rss.startBytes)} (after GC), peak ${mib(rss.peakBytes)}, end ${mib(rss.endBytes)} before GC,` +
    ` ${mib(rss.endAfterGcBytes)} after GC (growth ${mib(rss.growthAfterGcBytes)}; ${rss.samples} samples);` +
    ` Worker isolate after GC: heap ${mib(rss.workerHeap.start.usedBytes)} → ${mib(rss.workerHeap.end.usedBytes)},` +
    ` ArrayBuffers ${mib(rss.workerHeap.start.backingStoreBytes)} → ${mib(rss.workerHeap.end.backingStoreBytes)}`
  );
}

/** The summary as a few readable lines. */
export function formatSummary(s: LoadSummary): string {
  const { load, warmup, baseline } = s;
  const violationCount = Object.values(load.violations).reduce((a, b) => a + b, 0);
  const hashes = load.violations.body ?? 0;
  const duplicates = load.violations["duplicate-header"] ?? 0;
  const routes = Object.entries(load.perRoute)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([route, r]) => `${route} ${r.requests}${r.errors + r.violations > 0 ? ` (${r.errors} errors, ${r.violations} failed)` : ""}`)
    .join(", ");
  return [
    `load: ${load.requests} requests over ${s.config.connections} keep-alive connections in ${(load.durationMs / 1000).toFixed(1)} s` +
      ` (${s.throughput.requestsPerSecond.toFixed(0)} req/s, ${s.throughput.mibPerSecond.toFixed(1)} MiB/s, ${mib(load.bodyBytes)} of bodies)` +
      (load.timedOut ? " — STOPPED AT THE TIME BOUND" : ""),
    `  per route: ${routes}`,
    `  errors ${load.errors}, failed responses ${load.failedResponses}, hash mismatches ${hashes}, duplicate headers ${duplicates},` +
      ` other violations ${violationCount - hashes - duplicates} ${JSON.stringify(load.violations)}`,
    `  nonces ${load.nonces} (repeated ${load.repeatedNonces}), connections opened ${load.connectionsOpened},` +
      ` latency p50 ${load.latencyMs.p50.toFixed(1)} ms p99 ${load.latencyMs.p99.toFixed(1)} ms max ${load.latencyMs.max.toFixed(0)} ms`,
    `  completed per ${WINDOW_MS / 1000} s: ${load.completedPerWindow.join(" ")}; bare: ${baseline.load.completedPerWindow.join(" ")}`,
    `  warm-up: ${warmup.requests} requests in ${(warmup.durationMs / 1000).toFixed(1)} s, errors ${warmup.errors}, failed responses ${warmup.failedResponses}`,
    rssLine("ours:", s.rss),
    rssLine("bare:", baseline.rss),
    `  bare baseline: ${baseline.load.requests} requests in ${(baseline.load.durationMs / 1000).toFixed(1)} s, errors ${baseline.load.errors}, failed ${baseline.load.failedResponses};` +
      ` our growth over the baseline ${mib(s.growthOverBaselineBytes)} (bound ${mib(s.growthOverBaselineBoundBytes)})`,
    ...[...warmup.samples, ...load.samples].map((line) => `  ! ${line}`),
    ...baseline.load.samples.map((line) => `  ! bare: ${line}`),
  ].join("\n");
}

/** Write the summary as JSON under test-output/ (git ignores it) and return the file's path. */
export function writeSummary(s: LoadSummary, directory: URL): string {
  mkdirSync(directory, { recursive: true });
  const file = new URL("load-summary.json", directory);
  writeFileSync(file, `${JSON.stringify(s, null, 2)}\n`);
  return file.pathname;
}
