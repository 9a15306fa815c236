// Drive a schedule of requests through the Worker over N keep-alive connections, checking every response.

import { setMaxListeners } from "node:events";
import type { Agent } from "node:http";
import type { CheckResult, ViolationKind } from "./check.js";
import type { Observed } from "./client.js";
import { exchange } from "./client.js";
import { requestKey, type LoadRequest, type RouteName } from "./mix.js";
import type { Reference } from "./reference.js";

/** Per-route tallies. */
export interface RouteStats {
  requests: number;
  errors: number;
  violations: number;
  bytes: number;
}

/** What one phase of load produced. */
export interface LoadOutcome {
  /** Requests sent (every one either completed or failed). */
  readonly requests: number;
  /** Requests that failed in transport: reset, idle timeout, truncated body, aborted at the deadline. */
  readonly errors: number;
  /** Responses that arrived whole but failed a check, and the count per kind of failure. */
  readonly failedResponses: number;
  readonly violations: Readonly<Record<string, number>>;
  /** The first few errors and violations, word for word. */
  readonly samples: readonly string[];
  readonly perRoute: Readonly<Record<string, RouteStats>>;
  /** Stamped pages, and how many of them carried a nonce seen before. */
  readonly nonces: number;
  readonly repeatedNonces: number;
  readonly bodyBytes: number;
  /** Connections opened (requests that did not reuse a kept-alive socket). */
  readonly connectionsOpened: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Requests completed in each successive window of WINDOW_MS: a slowdown over the run shows here. */
  readonly completedPerWindow: readonly number[];
  readonly durationMs: number;
  /** True when the deadline stopped the phase before every request was sent. */
  readonly timedOut: boolean;
}

export interface LoadOptions {
  readonly baseUrl: URL;
  readonly schedule: readonly LoadRequest[];
  readonly references: ReadonlyMap<string, Reference>;
  readonly agent: Agent;
  /** Requests in flight at once (one per connection of the agent). */
  readonly concurrency: number;
  /** performance.now() past which no request starts and any in flight is aborted. */
  readonly deadline: number;
  readonly idleTimeoutMs: number;
  /** Nonces seen so far, shared across phases so a repeat anywhere is caught. */
  readonly seenNonces: Set<string>;
  /** The checks each response gets (checkResponse for the Worker, checkBody for the bare baseline). */
  readonly check: (request: LoadRequest, reference: Reference, observed: Observed) => CheckResult;
}

const MAX_SAMPLES = 20;
/** The width of the completedPerWindow windows. */
export const WINDOW_MS = 5000;

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

/** Send the whole schedule (or as much as the deadline allows) and check every response. */
export async function runLoad(options: LoadOptions): Promise<LoadOutcome> {
  const { schedule, references, seenNonces } = options;
  const started = performance.now();
  const controller = new AbortController();
  // Every request in flight listens on the one deadline signal.
  setMaxListeners(options.concurrency + 8, controller.signal);
  const timer = setTimeout(() => controller.abort(new Error("the load's time bound passed")), Math.max(0, options.deadline - started));
  const perRoute: Record<string, RouteStats> = {};
  const violations: Record<string, number> = {};
  const samples: string[] = [];
  const latencies = new Float64Array(schedule.length);
  const completedPerWindow: number[] = [];
  let next = 0;
  let requests = 0;
  let errors = 0;
  let failedResponses = 0;
  let nonces = 0;
  let repeatedNonces = 0;
  let bodyBytes = 0;
  let connectionsOpened = 0;

  const note = (text: string): void => {
    if (samples.length < MAX_SAMPLES) samples.push(text);
  };
  const statsFor = (route: RouteName): RouteStats => {
    const existing = perRoute[route];
    if (existing !== undefined) return existing;
    const created: RouteStats = { requests: 0, errors: 0, violations: 0, bytes: 0 };
    perRoute[route] = created;
    return created;
  };

  const lane = async (): Promise<void> => {
    while (next < schedule.length && !controller.signal.aborted) {
      const index = next++;
      const request = schedule[index];
      if (request === undefined) break;
      const reference = references.get(requestKey(request));
      if (reference === undefined) throw new Error(`no origin reference for ${requestKey(request)}`);
      const stats = statsFor(request.route);
      stats.requests++;
      requests++;
      try {
        const observed = await exchange(new URL(request.path, options.baseUrl), {
          headers: request.headers,
          agent: options.agent,
          keepBody: request.route === "nonce-page",
          idleTimeoutMs: options.idleTimeoutMs,
          signal: controller.signal,
        });
        latencies[index] = observed.ms;
        const window = Math.floor((performance.now() - started) / WINDOW_MS);
        while (completedPerWindow.length <= window) completedPerWindow.push(0);
        completedPerWindow[window] = (completedPerWindow[window] ?? 0) + 1;
        bodyBytes += observed.length;
        stats.bytes += observed.length;
        if (!observed.reusedSocket) connectionsOpened++;
        const result = options.check(request, reference, observed);
        if (result.nonce !== undefined) {
          nonces++;
          if (seenNonces.has(result.nonce)) {
            repeatedNonces++;
            result.violations.push({
              kind: "nonce",
              detail: `${request.route}: nonce ${result.nonce} was already used by an earlier response`,
            });
          }
          seenNonces.add(result.nonce);
        }
        if (result.violations.length > 0) {
          failedResponses++;
          stats.violations++;
          const kinds = new Set<ViolationKind>();
          for (const violation of result.violations) {
            kinds.add(violation.kind);
            note(`#${index} ${violation.kind}: ${violation.detail}`);
          }
          for (const kind of kinds) violations[kind] = (violations[kind] ?? 0) + 1;
        }
      } catch (error) {
        errors++;
        stats.errors++;
        note(`#${index} error: ${request.route} ${request.path}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: options.concurrency }, lane));
  } finally {
    clearTimeout(timer);
  }
  const durationMs = performance.now() - started;
  const sorted = latencies.subarray(0, Math.min(requests, schedule.length)).sort();
  return {
    requests,
    errors,
    failedResponses,
    violations,
    samples,
    perRoute,
    nonces,
    repeatedNonces,
    bodyBytes,
    connectionsOpened,
    completedPerWindow,
    latencyMs: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? 0 },
    durationMs,
    timedOut: controller.signal.aborted,
  };
}
