// The request mix: which routes, how often, and a deterministic schedule from a seed.

import { NONCE_MARKER } from "./policy.js";

/** One kind of request in the mix; the name is what the summary counts by. */
export type RouteName =
  "page" | "nonce-page" | "json" | "bytes" | "bytes-10m" | "etag-200" | "etag-304" | "redirect" | "cookies" | "slow" | "gzip";

/** A request to send: the route it stands for, its path and query, and its request headers. */
export interface LoadRequest {
  readonly route: RouteName;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

const MiB = 1 << 20;
export const TEN_MIB = 10 * MiB;

/** Binary sizes from 64 KiB to 1 MiB, some deliberately off any power of two or chunk boundary. */
export const BYTE_SIZES: readonly number[] = [65_536, 65_537, 100_003, 262_144, 400_000, 524_288, 777_777, MiB];

/** A 10 MiB download once in this many requests: enough to stress buffers, few enough for CI. */
export const TEN_MIB_EVERY = 250;

/** Relative weights of the ordinary routes (the 10 MiB download is scheduled by position instead). */
const WEIGHTS: readonly (readonly [Exclude<RouteName, "bytes-10m" | "bytes">, number])[] = [
  ["page", 16],
  ["nonce-page", 16],
  ["json", 16],
  ["etag-200", 6],
  ["etag-304", 8],
  ["redirect", 8],
  ["cookies", 8],
  ["slow", 8],
  ["gzip", 4],
];
const BYTES_WEIGHT = 10;

/** Every route once, so even a tiny run covers the whole mix. */
export const ALL_ROUTES: readonly RouteName[] = [
  "page",
  "nonce-page",
  "json",
  "bytes",
  "bytes-10m",
  "etag-200",
  "etag-304",
  "redirect",
  "cookies",
  "slow",
  "gzip",
];

const IF_NONE_MATCH = { "If-None-Match": '"v1"' };

/** The request for a route; `pick` chooses among the binary sizes. */
export function requestFor(route: RouteName, pick = 0): LoadRequest {
  switch (route) {
    case "page":
      return { route, path: "/page?kb=2", headers: {} };
    case "nonce-page":
      return { route, path: `/nonce-page?marker=${NONCE_MARKER}`, headers: {} };
    case "json":
      return { route, path: "/json?kb=1", headers: {} };
    case "bytes":
      return { route, path: `/bytes?n=${BYTE_SIZES[pick % BYTE_SIZES.length] ?? MiB}`, headers: {} };
    case "bytes-10m":
      return { route, path: `/bytes?n=${TEN_MIB}`, headers: {} };
    case "etag-200":
      return { route, path: "/etag", headers: {} };
    case "etag-304":
      return { route, path: "/etag", headers: IF_NONE_MATCH };
    case "redirect":
      return { route, path: "/redirect", headers: {} };
    case "cookies":
      return { route, path: "/cookies", headers: {} };
    case "slow":
      return { route, path: "/slow?ms=50", headers: {} };
    case "gzip":
      return { route, path: "/gzip", headers: {} };
  }
}

/** mulberry32: a small seeded PRNG, so the same seed replays the same mix. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` requests: every route once first, then weighted picks, with a 10 MiB download at every
 * TEN_MIB_EVERY-th position. Deterministic for a seed.
 */
export function buildSchedule(count: number, seed: number): LoadRequest[] {
  const random = prng(seed);
  const total = WEIGHTS.reduce((sum, [, w]) => sum + w, 0) + BYTES_WEIGHT;
  const schedule: LoadRequest[] = [];
  for (let i = 0; i < count; i++) {
    const first = ALL_ROUTES[i];
    if (first !== undefined) {
      schedule.push(requestFor(first, i));
      continue;
    }
    if (i % TEN_MIB_EVERY === TEN_MIB_EVERY / 2) {
      schedule.push(requestFor("bytes-10m"));
      continue;
    }
    let roll = random() * total;
    if (roll < BYTES_WEIGHT) {
      schedule.push(requestFor("bytes", Math.floor(random() * BYTE_SIZES.length)));
      continue;
    }
    roll -= BYTES_WEIGHT;
    let chosen: RouteName = "page";
    for (const [route, weight] of WEIGHTS) {
      if (roll < weight) {
        chosen = route;
        break;
      }
      roll -= weight;
    }
    schedule.push(requestFor(chosen));
  }
  return schedule;
}

/** The distinct requests a schedule contains (by path and headers), for fetching references once. */
export function distinctRequests(schedule: readonly LoadRequest[]): LoadRequest[] {
  const seen = new Map<string, LoadRequest>();
  for (const request of schedule) {
    const key = requestKey(request);
    if (!seen.has(key)) seen.set(key, request);
  }
  return [...seen.values()];
}

/** A key that identifies what the origin would answer: the path and the request headers. */
export function requestKey(request: LoadRequest): string {
  return `${request.path} ${JSON.stringify(request.headers)}`;
}
