// Row shaping for the report store: which reports fold into one row, the values one row's upsert binds,
// and the aggregate rows the summary reads back (D1 hands them over untyped).

import type { ViolationRecord } from "./csp-report.js";
import type { TopViolation } from "./summary.js";

/** One row's worth of a batch: identical violations folded, with how many there were. */
export interface FoldedViolation {
  readonly record: ViolationRecord;
  readonly count: number;
  /** The distinct non-empty samples among them, at most MAX_ROW_SAMPLES. */
  readonly samples: readonly string[];
}

/** Distinct samples a row keeps: enough for the inline scripts of a page, bounded for a flood of them. */
export const MAX_ROW_SAMPLES = 8;

/** The columns that make one stored row: violations sharing them on a day are one row with a count. */
export function violationKey(record: ViolationRecord): string {
  return JSON.stringify([record.effectiveDirective, record.blockedUrl, record.documentUrl, record.disposition]);
}

/** Identical violations of one batch folded into one entry with a count, so a batch costs one write per row. */
export function countViolations(records: readonly ViolationRecord[]): FoldedViolation[] {
  const byKey = new Map<string, FoldedViolation>();
  for (const record of records) {
    const key = violationKey(record);
    const entry = byKey.get(key);
    const samples = entry?.samples ?? [];
    const fresh = record.sample !== "" && !samples.includes(record.sample) && samples.length < MAX_ROW_SAMPLES;
    // The latest report's details (sample, source position) describe the row.
    byKey.set(key, { record, count: (entry?.count ?? 0) + 1, samples: fresh ? [...samples, record.sample] : samples });
  }
  return [...byKey.values()];
}

/**
 * The values the store's upsert binds for one folded violation, in its parameter order (?1 … ?15): the day,
 * the row's key columns, the count to add, the time (first and last seen), the latest details, the day's row
 * cap, the sending client's sketch bit, and the batch's samples as a JSON array.
 */
export function upsertValues(
  day: string,
  now: number,
  row: FoldedViolation,
  maxRowsPerDay: number,
  clientBit: number,
): (string | number)[] {
  const { record, count } = row;
  return [
    day,
    record.effectiveDirective,
    record.blockedUrl,
    record.documentUrl,
    record.disposition,
    count,
    now,
    record.statusCode,
    record.sourceFile,
    record.lineNumber,
    record.columnNumber,
    record.sample,
    maxRowsPerDay,
    clientBit,
    JSON.stringify(row.samples),
  ];
}

/** One row of the summary's top query as a TopViolation; anything malformed reads as empty or zero. */
export function toTopViolation(row: Readonly<Record<string, unknown>>): TopViolation {
  return {
    directive: text(row.directive),
    blocked: text(row.blocked),
    page: text(row.page),
    disposition: row.disposition === "report" ? "report" : "enforce",
    count: count(row.count),
    lastSeen: new Date(count(row.last_seen)).toISOString(),
    sample: text(row.sample),
  };
}

/** Rows of `(name, count)` aggregates as `{ [field]: name, count }` objects. */
export function toCounts<K extends string>(
  rows: readonly Readonly<Record<string, unknown>>[],
  field: K,
): ({ [F in K]: string } & { count: number })[] {
  return rows.map((row) => ({ [field]: text(row[field]), count: count(row.count) }) as { [F in K]: string } & { count: number });
}

/** Drop counts read back, by unit and reason; rows with a unit or reason this version does not know are skipped. */
export interface DropCounts {
  readonly reports: Readonly<Record<string, number>>;
  readonly requests: Readonly<Record<string, number>>;
}

/** The summary's drop rows (`unit`, `reason`, `count`) as counts per reason for each unit. */
export function toDropCounts(rows: readonly Readonly<Record<string, unknown>>[]): DropCounts {
  const reports: Record<string, number> = {};
  const requests: Record<string, number> = {};
  for (const row of rows) {
    const reason = text(row.reason);
    if (!REASON_NAME.test(reason)) continue;
    if (row.unit === "report") reports[reason] = (reports[reason] ?? 0) + count(row.count);
    else if (row.unit === "request") requests[reason] = (requests[reason] ?? 0) + count(row.count);
  }
  return { reports, requests };
}

/** What a reason name looks like: it becomes an object key and a label, so nothing else is let through. */
export const REASON_NAME = /^[A-Za-z][A-Za-z0-9]{0,31}$/;

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0;
}
