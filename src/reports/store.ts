// The collector's D1 side, one per isolate: upserts under the daily row cap, a time bound on every call, a
// circuit breaker that stops calling a failing database for a while, daily pruning, and the summary's reads.

import type { ViolationRecord } from "../core/reports/csp-report.js";
import { isoDay, retentionCutoff, windowStart } from "../core/reports/days.js";
import { countViolations, toCounts, toTopViolation, upsertValues } from "../core/reports/rows.js";
import { buildSummary, type ReportSummary } from "../core/reports/summary.js";
import { describeError, log } from "./log.js";

/** How long a D1 write or read may take before the reports are dropped (write) or the summary fails (read). */
export const D1_TIMEOUT_MS = 2000;
/** Distinct rows a single day may hold: a spammer inventing page paths fills this, not the database. */
export const MAX_ROWS_PER_DAY = 2000;
/** Rows older than this many days are deleted, at most once per UTC day per isolate. */
export const RETENTION_DAYS = 90;
/** Consecutive D1 failures after which writes are skipped for BREAKER_COOLDOWN_MS. */
const BREAKER_FAILURES = 3;
const BREAKER_COOLDOWN_MS = 30_000;
const TOP_LIMIT = 50;

/** The store's clock and bounds. */
export interface ReportStoreOptions {
  /** Milliseconds since the epoch. */
  readonly clock: () => number;
  readonly d1TimeoutMs: number;
  readonly maxRowsPerDay: number;
}

/** What became of one batch: stored (some perhaps over the row cap), or dropped whole, and why. */
export type WriteOutcome =
  | { readonly kind: "stored"; readonly day: string; readonly stored: number; readonly capped: number }
  | { readonly kind: "dropped"; readonly reason: "d1Unbound" | "circuitOpen" | "d1Error" | "d1Timeout"; readonly detail?: string };

/** A D1 call that took longer than its bound. */
export class D1TimeoutError extends Error {}

/** Violation counts in D1, with the per-isolate state (breaker, last pruned day) that guards it. */
export class ReportStore {
  private failures = 0;
  private openUntil = 0;
  private prunedDay = "";

  constructor(private readonly options: ReportStoreOptions) {}

  /** The most distinct rows a day may hold. */
  get maxRowsPerDay(): number {
    return this.options.maxRowsPerDay;
  }

  /** Upsert a batch in one D1 call; failures come back as an outcome, never as an exception. */
  async write(db: D1Database | undefined, records: readonly ViolationRecord[]): Promise<WriteOutcome> {
    const now = this.options.clock();
    if (db === undefined) return { kind: "dropped", reason: "d1Unbound" };
    if (now < this.openUntil) return { kind: "dropped", reason: "circuitOpen" };
    const day = isoDay(now);
    const rows = countViolations(records);
    try {
      const statements = rows.map((row) => db.prepare(UPSERT).bind(...upsertValues(day, now, row, this.options.maxRowsPerDay)));
      const results = await this.bounded(db.batch(statements));
      this.failures = 0;
      // A capped insert changes nothing: its reports were not stored.
      let capped = 0;
      for (const [i, result] of results.entries()) if (result.meta.changes === 0) capped += rows[i]?.count ?? 0;
      return { kind: "stored", day, stored: records.length - capped, capped };
    } catch (error) {
      this.failures++;
      if (this.failures >= BREAKER_FAILURES) this.openUntil = now + BREAKER_COOLDOWN_MS;
      return { kind: "dropped", reason: error instanceof D1TimeoutError ? "d1Timeout" : "d1Error", detail: describeError(error) };
    }
  }

  /** Delete rows past the retention period, at most once per UTC day; a failure is logged and tried tomorrow. */
  async pruneDaily(db: D1Database): Promise<void> {
    const now = this.options.clock();
    const day = isoDay(now);
    if (this.prunedDay === day) return;
    this.prunedDay = day;
    const cutoff = retentionCutoff(now, RETENTION_DAYS);
    try {
      const result = await this.bounded(db.prepare("DELETE FROM csp_violations WHERE day < ?1").bind(cutoff).run());
      if (result.meta.changes > 0) log("log", { level: "info", event: "csp.report.pruned", before: cutoff, rows: result.meta.changes });
    } catch (error) {
      log("error", { level: "warn", event: "csp.report.prune-failed", before: cutoff, error: describeError(error) });
    }
  }

  /** The summary of the last `days` days; throws when D1 fails or is slow. */
  async summary(db: D1Database, days: number): Promise<ReportSummary> {
    const now = this.options.clock();
    const from = windowStart(now, days);
    const [top, byDirective, byDay, byDisposition] = await this.bounded(
      db.batch<Record<string, unknown>>([TOP_QUERY, BY_DIRECTIVE_QUERY, BY_DAY_QUERY, BY_DISPOSITION_QUERY].map((sql) => db.prepare(sql).bind(from))),
    );
    return buildSummary({
      now,
      days,
      top: (top?.results ?? []).map(toTopViolation),
      byDirective: toCounts(byDirective?.results ?? [], "directive"),
      byDay: toCounts(byDay?.results ?? [], "day"),
      byDisposition: toCounts(byDisposition?.results ?? [], "disposition"),
    });
  }

  private bounded<T>(promise: Promise<T>): Promise<T> {
    return withTimeout(promise, this.options.d1TimeoutMs);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new D1TimeoutError(`D1 took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// One statement per row of the batch. The WHERE caps the rows of a day (an existing row may always count up);
// a capped insert changes nothing, which the caller counts. `?7` is both first_seen and last_seen.
const UPSERT = `INSERT INTO csp_violations
  (day, directive, blocked, page, disposition, count, first_seen, last_seen, status_code, source_file, line_number, column_number, sample)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10, ?11, ?12
WHERE (SELECT COUNT(*) FROM csp_violations WHERE day = ?1) < ?13
   OR EXISTS (SELECT 1 FROM csp_violations WHERE day = ?1 AND directive = ?2 AND blocked = ?3 AND page = ?4 AND disposition = ?5)
ON CONFLICT (day, directive, blocked, page, disposition) DO UPDATE SET
  count = count + excluded.count,
  last_seen = max(last_seen, excluded.last_seen),
  status_code = excluded.status_code,
  source_file = excluded.source_file,
  line_number = excluded.line_number,
  column_number = excluded.column_number,
  sample = excluded.sample`;

// SQLite takes the bare column `sample` from the row holding MAX(last_seen): the latest sample of the group.
const TOP_QUERY = `SELECT directive, blocked, page, disposition, SUM(count) AS count, MAX(last_seen) AS last_seen, sample
FROM csp_violations WHERE day >= ?1
GROUP BY directive, blocked, page, disposition
ORDER BY count DESC, last_seen DESC LIMIT ${TOP_LIMIT}`;
const BY_DIRECTIVE_QUERY = `SELECT directive, SUM(count) AS count FROM csp_violations WHERE day >= ?1
GROUP BY directive ORDER BY count DESC, directive LIMIT 100`;
const BY_DAY_QUERY = "SELECT day, SUM(count) AS count FROM csp_violations WHERE day >= ?1 GROUP BY day";
const BY_DISPOSITION_QUERY = "SELECT disposition, SUM(count) AS count FROM csp_violations WHERE day >= ?1 GROUP BY disposition";
