// Fuzzing knobs shared by every property: bounded runs and a fixed seed for `npm test`, more runs (or another seed) from the environment for `npm run fuzz`.

declare module "vitest" {
  export interface ProvidedContext {
    /** FUZZ_RUNS as the worker project sees it (workerd has no process.env); null when unset. */
    fuzzRuns: number | null;
    /** FUZZ_SEED (or the fixed default) for the worker project. */
    fuzzSeed: number;
  }
}

/** The seed every property uses unless FUZZ_SEED says otherwise, so a failure reproduces exactly. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261207);

/** How many runs a property makes: its own modest default, or FUZZ_RUNS for a long run. */
export function fuzzRuns(defaultRuns: number): number {
  return Number(process.env.FUZZ_RUNS ?? defaultRuns);
}

/** FUZZ_RUNS for the worker project, passed in through vitest's `provide`; null when unset. */
export function providedFuzzRuns(): number | null {
  return process.env.FUZZ_RUNS === undefined ? null : Number(process.env.FUZZ_RUNS);
}

/**
 * fast-check parameters for one property: the shared seed and `defaultRuns` (or FUZZ_RUNS). An expensive
 * property (huge inputs, many requests) passes `maxRuns` so a long run stays within minutes.
 */
export function fuzzParameters(defaultRuns: number, maxRuns = Number.POSITIVE_INFINITY): { seed: number; numRuns: number } {
  return { seed: FUZZ_SEED, numRuns: Math.min(fuzzRuns(defaultRuns), Math.max(defaultRuns, maxRuns)) };
}
