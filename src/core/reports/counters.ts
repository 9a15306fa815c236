// Per-isolate counts of what the collector refused and dropped, written into its log lines so that Workers
// Logs shows the trend even though refused requests are never logged one by one.

import type { DropCounts } from "./csp-report.js";

/** Why a request was refused before any of its reports were read. */
export type RefusalReason = "method" | "mediaType" | "tooLarge" | "badBody" | "rateLimited";

/** Why a storage attempt dropped reports. */
export type StorageDropReason = "d1Unbound" | "d1Error" | "d1Timeout" | "circuitOpen" | "rowCap";

/** Why accepted reports were not stored. */
export type DropReason = keyof DropCounts | "sampledOut" | StorageDropReason;

/** One isolate's counters since it started. */
export interface Counters {
  stored: number;
  rejected: Record<RefusalReason, number>;
  dropped: Record<DropReason, number>;
}

/** Counters at zero. */
export function createCounters(): Counters {
  return {
    stored: 0,
    rejected: { method: 0, mediaType: 0, tooLarge: 0, badBody: 0, rateLimited: 0 },
    dropped: { offHost: 0, invalid: 0, otherType: 0, overflow: 0, sampledOut: 0, d1Unbound: 0, d1Error: 0, d1Timeout: 0, circuitOpen: 0, rowCap: 0 },
  };
}
