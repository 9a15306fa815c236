// Sample the resident memory of the workerd process serving the Worker, at a fixed interval, from /proc.

import { residentBytes } from "../integration/support/workerd-process.js";

/** One RSS reading, at `atMs` since the sampler started. */
export interface RssSample {
  readonly atMs: number;
  readonly bytes: number;
}

/** A running sampler: `stop()` takes a last reading and returns every reading in order. */
export interface RssSampler {
  stop(): RssSample[];
}

/** Read `pid`'s RSS now and every `everyMs` until stopped. The timer is unref'd so it never holds the process. */
export function sampleRss(pid: number, everyMs: number): RssSampler {
  const started = performance.now();
  const samples: RssSample[] = [];
  let failure: unknown;
  const take = (): void => {
    samples.push({ atMs: Math.round(performance.now() - started), bytes: residentBytes(pid) });
  };
  take();
  const timer = setInterval(() => {
    // A throw inside the timer would be an uncaught exception; keep it for stop() to report.
    try {
      take();
    } catch (error) {
      failure ??= error;
    }
  }, everyMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      if (failure !== undefined) throw new Error(`reading workerd ${pid}'s RSS failed`, { cause: failure });
      take();
      return samples;
    },
  };
}
