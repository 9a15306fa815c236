// How much the differential tests do: a seeded slice inside `npm test`, much more with `npm run test:html`
// (HTML_LONG=1). The seed is the shared FUZZ_SEED, so any failure reproduces.

import { FUZZ_SEED } from "../fuzz-config.js";

export const LONG = process.env.HTML_LONG === "1";

/** `short` inside `npm test`, `long` in `npm run test:html`. */
export function budget(short: number, long: number): number {
  return LONG ? long : short;
}

/** A small seeded generator for cut points (not for anything secret). */
export function seeded(seed = FUZZ_SEED): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

export const SEED = FUZZ_SEED;
