// The report summary: its JSON shape, built from the store's aggregates and read back (validated) by the CLI.

import { isObject, renderReceived, type PolicyIssue, type Result } from "../shared/result.js";
import { bound, MAX_FIELD_CHARS, MAX_SAMPLE_CHARS, type Disposition } from "./csp-report.js";
import { windowDays } from "./days.js";
import { REPORT_DROP_REASONS, REQUEST_REFUSAL_REASONS } from "./drops.js";
import { REASON_NAME, type DropCounts } from "./rows.js";

/** One group of identical violations over the window. */
export interface TopViolation {
  readonly directive: string;
  readonly blocked: string;
  readonly page: string;
  readonly disposition: Disposition;
  readonly count: number;
  /** ISO 8601 time of the latest report in the group. */
  readonly lastSeen: string;
  /** The latest report's sample (inline code), "" when none. */
  readonly sample: string;
}

/** What GET {REPORT_PATH}/summary answers with `?format=json`. */
export interface ReportSummary {
  /** ISO 8601 time the summary was made. */
  readonly generatedAt: string;
  /** The days covered, oldest first, UTC (YYYY-MM-DD), today included. */
  readonly window: { readonly days: number; readonly from: string; readonly to: string };
  readonly totals: { readonly all: number; readonly enforce: number; readonly report: number };
  /** The most frequent violation groups, most frequent first. */
  readonly top: readonly TopViolation[];
  readonly byDirective: readonly { readonly directive: string; readonly count: number }[];
  /** One entry per day of the window, zero-filled, oldest first. */
  readonly byDay: readonly { readonly day: string; readonly count: number }[];
  /** What was not stored, and why; absent from a Worker that did not count it yet. */
  readonly dropped?: DropSummary;
}

/** The reports of the window that were not stored, by reason, and the requests refused unread. */
export interface DropSummary {
  /** Reports read from request bodies: those stored (totals.all) plus those dropped. */
  readonly received: number;
  /** Reports dropped, every reason together. */
  readonly reports: number;
  /** Reports dropped per reason: every reason this version knows, zero included. */
  readonly byReason: Readonly<Record<string, number>>;
  /** Requests refused before their body was read, per reason; their reports are counted nowhere else. */
  readonly refusedRequests: Readonly<Record<string, number>>;
}

/** Reasons a summary may list per unit; far more than there are, and few enough to print. */
const MAX_REASONS = 64;

/** Assemble a summary from the store's aggregates; days without reports get a zero. */
export function buildSummary(input: {
  readonly now: number;
  readonly days: number;
  readonly top: readonly TopViolation[];
  readonly byDirective: readonly { readonly directive: string; readonly count: number }[];
  readonly byDay: readonly { readonly day: string; readonly count: number }[];
  readonly byDisposition: readonly { readonly disposition: string; readonly count: number }[];
  readonly drops?: DropCounts;
}): ReportSummary {
  const days = windowDays(input.now, input.days);
  const perDay = new Map(input.byDay.map((d) => [d.day, d.count]));
  const enforce = input.byDisposition.find((d) => d.disposition === "enforce")?.count ?? 0;
  const report = input.byDisposition.find((d) => d.disposition === "report")?.count ?? 0;
  return {
    generatedAt: new Date(input.now).toISOString(),
    window: { days: input.days, from: days[0] ?? "", to: days[days.length - 1] ?? "" },
    totals: { all: enforce + report, enforce, report },
    top: input.top,
    byDirective: input.byDirective,
    byDay: days.map((day) => ({ day, count: perDay.get(day) ?? 0 })),
    ...(input.drops === undefined ? {} : { dropped: summariseDrops(input.drops, enforce + report) }),
  };
}

/** Drop counts zero-filled with every known reason (known ones first, in their order), plus the stored total. */
function summariseDrops(drops: DropCounts, stored: number): DropSummary {
  const byReason = withKnown(REPORT_DROP_REASONS, drops.reports);
  const reports = Object.values(byReason).reduce((sum, n) => sum + n, 0);
  return { received: stored + reports, reports, byReason, refusedRequests: withKnown(REQUEST_REFUSAL_REASONS, drops.requests) };
}

function withKnown(known: readonly { readonly reason: string }[], counts: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { reason } of known) out[reason] = counts[reason] ?? 0;
  for (const [reason, count] of Object.entries(counts)) out[reason] ??= count;
  return out;
}

/**
 * Validate a summary received over the network (the CLI's input). Strings are bounded and stripped of control
 * characters again: they came from hostile reports and end up on a terminal, where an escape sequence acts.
 */
export function parseSummary(input: unknown): Result<ReportSummary> {
  const issues: PolicyIssue[] = [];
  const fail = (path: string, message: string, received: unknown): Result<ReportSummary> => {
    issues.push({ path, message, received: renderReceived(received) });
    return { ok: false, issues };
  };
  if (!isObject(input)) return fail("", "a summary object", input);
  const { window, totals, top, byDirective, byDay } = input;
  if (!isObject(window) || !isCount(window.days) || typeof window.from !== "string" || typeof window.to !== "string") {
    return fail("window", "{ days, from, to }", window);
  }
  if (!isObject(totals) || !isCount(totals.all) || !isCount(totals.enforce) || !isCount(totals.report)) {
    return fail("totals", "{ all, enforce, report } counts", totals);
  }
  if (!Array.isArray(top) || !Array.isArray(byDirective) || !Array.isArray(byDay)) {
    return fail("", "top, byDirective and byDay arrays", input);
  }
  const topOut: TopViolation[] = [];
  for (const [i, v] of (top as unknown[]).entries()) {
    const violation = parseTopViolation(v);
    if (violation === null) return fail(`top[${i}]`, "{ directive, blocked, page, disposition, count, lastSeen, sample }", v);
    topOut.push(violation);
  }
  const directivesOut: { directive: string; count: number }[] = [];
  for (const [i, d] of (byDirective as unknown[]).entries()) {
    if (!isObject(d) || typeof d.directive !== "string" || !isCount(d.count)) return fail(`byDirective[${i}]`, "{ directive, count }", d);
    directivesOut.push({ directive: bound(d.directive, MAX_FIELD_CHARS), count: d.count });
  }
  const daysOut: { day: string; count: number }[] = [];
  for (const [i, d] of (byDay as unknown[]).entries()) {
    if (!isObject(d) || typeof d.day !== "string" || !isCount(d.count)) return fail(`byDay[${i}]`, "{ day, count }", d);
    daysOut.push({ day: bound(d.day, 10), count: d.count });
  }
  const dropped = input.dropped === undefined ? undefined : parseDrops(input.dropped);
  if (dropped === null) return fail("dropped", "{ received, reports, byReason, refusedRequests } with counts per reason", input.dropped);
  return {
    ok: true,
    value: {
      generatedAt: typeof input.generatedAt === "string" ? bound(input.generatedAt, 40) : "",
      window: { days: window.days, from: bound(window.from, 10), to: bound(window.to, 10) },
      totals: { all: totals.all, enforce: totals.enforce, report: totals.report },
      top: topOut,
      byDirective: directivesOut,
      byDay: daysOut,
      ...(dropped === undefined ? {} : { dropped }),
    },
  };
}

/** One of the summary's top violations, bounded, or null when it is not one. */
function parseTopViolation(v: unknown): TopViolation | null {
  if (
    !isObject(v) ||
    !isCount(v.count) ||
    typeof v.directive !== "string" ||
    typeof v.blocked !== "string" ||
    typeof v.page !== "string" ||
    (v.disposition !== "enforce" && v.disposition !== "report")
  ) {
    return null;
  }
  return {
    directive: bound(v.directive, MAX_FIELD_CHARS),
    blocked: bound(v.blocked, MAX_FIELD_CHARS),
    page: bound(v.page, MAX_FIELD_CHARS),
    disposition: v.disposition,
    count: v.count,
    lastSeen: typeof v.lastSeen === "string" ? bound(v.lastSeen, 40) : "",
    sample: typeof v.sample === "string" ? bound(v.sample, MAX_SAMPLE_CHARS) : "",
  };
}

/** A summary's `dropped`, or null when it is not one: reason names are checked, since they are printed. */
function parseDrops(input: unknown): DropSummary | null {
  if (!isObject(input) || !isCount(input.received) || !isCount(input.reports)) return null;
  const byReason = parseReasonCounts(input.byReason);
  const refusedRequests = parseReasonCounts(input.refusedRequests);
  if (byReason === null || refusedRequests === null) return null;
  return { received: input.received, reports: input.reports, byReason, refusedRequests };
}

function parseReasonCounts(input: unknown): Record<string, number> | null {
  if (!isObject(input)) return null;
  const entries = Object.entries(input);
  if (entries.length > MAX_REASONS || !entries.every(([reason, count]) => REASON_NAME.test(reason) && isCount(count))) return null;
  return Object.fromEntries(entries) as Record<string, number>;
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
