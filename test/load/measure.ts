// One measured run against one workerd: warm up, GC, sample RSS through the load, GC again, read the ends.

import type { Agent } from "node:http";
import { residentBytes } from "../integration/support/workerd-process.js";
import type { HeapUsage } from "./inspector.js";
import { sampleRss, type RssSample } from "./memory.js";
import { runLoad, type LoadOptions, type LoadOutcome } from "./run-load.js";
import { USER_ISOLATE, type InspectableWorker } from "./worker.js";
import type { LoadRequest } from "./mix.js";

/** Both phases' outcomes and every memory reading of one run. */
export interface MeasuredRun {
  readonly warmup: LoadOutcome;
  readonly load: LoadOutcome;
  /** RSS readings during the load; the first is taken right after the post-warm-up GC. */
  readonly series: readonly RssSample[];
  readonly endAfterGcBytes: number;
  readonly heapStart: HeapUsage;
  readonly heapEnd: HeapUsage;
}

export interface MeasureOptions extends Omit<LoadOptions, "schedule" | "baseUrl" | "agent" | "deadline"> {
  readonly worker: InspectableWorker;
  readonly workerdPid: number;
  readonly warmupSchedule: readonly LoadRequest[];
  readonly loadSchedule: readonly LoadRequest[];
  readonly agent: Agent;
  /** The time bound of this run (warm-up and load together). */
  readonly timeLimitMs: number;
  readonly sampleEveryMs: number;
}

/**
 * Warm up; GC every isolate so the start reading holds no garbage (workerd without an isolate memory
 * limit collects lazily: raw RSS climbs by ~20 KiB a request even for a bare pass-through Worker until
 * V8 decides to collect); load while sampling RSS; GC again and read what the run left behind.
 */
export async function measureRun(options: MeasureOptions): Promise<MeasuredRun> {
  const { worker, workerdPid } = options;
  const common: Omit<LoadOptions, "schedule"> = { ...options, baseUrl: worker.url, deadline: performance.now() + options.timeLimitMs };
  const warmup = await runLoad({ ...common, schedule: options.warmupSchedule });
  await worker.inspector.collectGarbage();
  const heapStart = await worker.inspector.heapUsage(USER_ISOLATE);
  const sampler = sampleRss(workerdPid, options.sampleEveryMs);
  let series: RssSample[];
  let load: LoadOutcome;
  try {
    load = await runLoad({ ...common, schedule: options.loadSchedule });
  } finally {
    series = sampler.stop();
  }
  await worker.inspector.collectGarbage();
  const endAfterGcBytes = residentBytes(workerdPid);
  const heapEnd = await worker.inspector.heapUsage(USER_ISOLATE);
  return { warmup, load, series, endAfterGcBytes, heapStart, heapEnd };
}
