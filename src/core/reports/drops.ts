// What the collector did not store, and why: the reasons, the per-isolate counters its log lines carry,
// and the tally of drops waiting to be written to D1 so that the summary can show them.

/** Why a report the collector read was not stored. */
export type ReportDropReason =
  | "offHost"
  | "invalid"
  | "otherType"
  | "overflow"
  | "rateLimited"
  | "duplicate"
  | "clientCap"
  | "sampledOut"
  | "rowCap"
  | "d1Unbound"
  | "d1Error"
  | "d1Timeout"
  | "circuitOpen";

/** Why a request was refused before its reports were read (so they are not counted one by one). */
export type RequestRefusalReason = "method" | "mediaType" | "tooLarge" | "badBody" | "rateLimited";

/** Every report drop reason, with a short label and what it means, in the order the summary lists them. */
export const REPORT_DROP_REASONS: readonly { readonly reason: ReportDropReason; readonly label: string; readonly meaning: string }[] = [
  { reason: "rateLimited", label: "rate limit", meaning: "over the client's reports per minute" },
  { reason: "duplicate", label: "duplicate", meaning: "the client already sent this violation this minute (counted once)" },
  { reason: "clientCap", label: "client's daily share", meaning: "a new violation past the client's distinct violations per day" },
  { reason: "rowCap", label: "daily row cap", meaning: "a new row past the day's row cap" },
  { reason: "sampledOut", label: "sampled out", meaning: "not in the REPORT_SAMPLE_RATE sample" },
  { reason: "d1Error", label: "D1 error", meaning: "the database refused the write" },
  { reason: "d1Timeout", label: "D1 timeout", meaning: "the write took longer than its bound" },
  { reason: "circuitOpen", label: "D1 paused", meaning: "writes paused after repeated D1 failures" },
  { reason: "d1Unbound", label: "no D1 binding", meaning: "REPORTS_DB is not bound" },
  { reason: "offHost", label: "other host", meaning: "the page is not on this site's host" },
  { reason: "invalid", label: "invalid", meaning: "no usable http(s) page URL" },
  { reason: "otherType", label: "not CSP", meaning: "another Reporting API type (deprecation, intervention, ...)" },
  { reason: "overflow", label: "batch overflow", meaning: "past the first 100 entries of a batch" },
];

/** Every request refusal reason, with a short label. */
export const REQUEST_REFUSAL_REASONS: readonly { readonly reason: RequestRefusalReason; readonly label: string }[] = [
  { reason: "rateLimited", label: "over the rate limit" },
  { reason: "tooLarge", label: "too large" },
  { reason: "badBody", label: "not a report" },
  { reason: "mediaType", label: "wrong media type" },
  { reason: "method", label: "not POST" },
];

/** One isolate's counters since it started, for its log lines. */
export interface Counters {
  stored: number;
  rejected: Record<RequestRefusalReason, number>;
  dropped: Record<ReportDropReason, number>;
}

/** Counters at zero. */
export function createCounters(): Counters {
  const dropped = Object.fromEntries(REPORT_DROP_REASONS.map(({ reason }) => [reason, 0])) as Record<ReportDropReason, number>;
  const rejected = Object.fromEntries(REQUEST_REFUSAL_REASONS.map(({ reason }) => [reason, 0])) as Record<RequestRefusalReason, number>;
  return { stored: 0, rejected, dropped };
}

/** One counted drop as it is stored: a day, whether it counts reports or refused requests, a reason, a count. */
export interface DropEntry {
  readonly day: string;
  readonly unit: "report" | "request";
  readonly reason: ReportDropReason | RequestRefusalReason;
  readonly count: number;
}

/** Drops counted in this isolate and not yet written to D1. */
export class DropTally {
  private readonly pending = new Map<string, DropEntry>();

  /** Count `count` drops. */
  add(day: string, unit: DropEntry["unit"], reason: DropEntry["reason"], count: number): void {
    if (count <= 0) return;
    const key = `${day} ${unit} ${reason}`;
    this.pending.set(key, { day, unit, reason, count: (this.pending.get(key)?.count ?? 0) + count });
  }

  /** Whether nothing waits to be written. */
  get empty(): boolean {
    return this.pending.size === 0;
  }

  /** Everything pending, which is no longer pending: a write that fails gives it back. */
  take(): DropEntry[] {
    const entries = [...this.pending.values()];
    this.pending.clear();
    return entries;
  }

  /** Give back entries whose write failed. */
  restore(entries: readonly DropEntry[]): void {
    for (const { day, unit, reason, count } of entries) this.add(day, unit, reason, count);
  }
}
