// The fuzz knobs inside workerd, which has no process.env: FUZZ_RUNS and FUZZ_SEED arrive from vitest.config.ts through inject().

import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** FUZZ_RUNS, or null when unset (see test/fuzz-config.ts). */
    fuzzRuns: number | null;
    fuzzSeed: number;
  }
}

/** fast-check parameters: the shared seed, and `defaultRuns` unless FUZZ_RUNS asks for more (up to `maxRuns`). */
export function workerFuzzParameters(defaultRuns: number, maxRuns = Number.POSITIVE_INFINITY): { seed: number; numRuns: number } {
  const asked = inject("fuzzRuns") ?? defaultRuns;
  return { seed: inject("fuzzSeed"), numRuns: Math.min(asked, Math.max(defaultRuns, maxRuns)) };
}
