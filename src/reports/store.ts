// The collector's D1 side, one per isolate: upserts under the daily row cap, the drop counts beside them, a
// time bound on every call, a circuit breaker that stops calling a failing database for a while, daily
// pruning, and the summary's reads.

import type { ViolationRecord } from "../core/reports/csp-report.js";
import { isoDay, retentionCutoff, windowStart } from "../core/reports/days.js";
import type { DropEntry } from "../core/reports/drops.js";
import { countViolations, MAX_ROW_SAMPLES, toCounts, toDropCounts, toTopViolation, upsertValues } from "../core/reports/rows.js";
import { buildSummary, type ReportSummary } from "../core/reports/summary.js";
import { MAX_GROUPS, toViolationGroup, type ViolationGroups } from "../core/reports/violation-groups.js";
import { CLIENT_BUCKETS } from "../core/reports/client-key.js";
import { withTimeout } from "../core/shared/with-timeout.js";
import { describeError, log } from "../log.js";

/** How long a D1 write or read may take before the reports are dropped (write) or the summary fails (read). */
export const D1_TIMEOUT_MS = 2000;
/** Distinct rows a single day may hold: a spammer inventing page paths fills this, not the database. */
export const MAX_ROWS_PER_DAY = 2000;
/**
 * Of those, rows only a client with no row yet today may take, one each: after any flood from fewer than
 * this many clients, a new violation from a client that has sent nothing today still lands.
 */
export const RESERVED_ROWS_PER_DAY = 500;
/** Rows one client (an IPv4 address or an IPv6 /48) may create in a UTC day, across every isolate. */
export const CLIENT_ROWS_PER_DAY = 100;
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
  /** Rows of maxRowsPerDay kept for clients with no row yet today (one each). */
  readonly reservedRowsPerDay: number;
  /** Rows one client may create per day. */
  readonly clientRowsPerDay: number;
}

/** What became of one batch: stored (some perhaps over the row cap), or dropped whole, and why. */
export type WriteOutcome =
  | { readonly kind: "stored"; readonly day: string; readonly stored: number; readonly capped: number }
  | { readonly kind: "dropped"; readonly reason: DropReason; readonly detail?: string };

/** Why a write did not happen. A timed-out batch may still land: D1 runs it as one transaction, or not at all. */
type DropReason = "d1Unbound" | "circuitOpen" | "d1Error" | "d1Timeout";

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

  /**
   * Upsert a batch from one client (`clientBit`, its bit in the distinct-clients sketch), and the drop counts
   * waiting to be written, in one D1 call (one transaction). Failures come back as an outcome, never as an
   * exception; the drops are then not written either.
   */
  async write(
    db: D1Database | undefined,
    records: readonly ViolationRecord[],
    drops: readonly DropEntry[],
    client: string,
    clientBit = 0,
  ): Promise<WriteOutcome> {
    const now = this.options.clock();
    const day = isoDay(now);
    const rows = countViolations(records);
    const { maxRowsPerDay, reservedRowsPerDay, clientRowsPerDay } = this.options;
    const open = Math.max(0, maxRowsPerDay - reservedRowsPerDay);
    // Two statements a row, in one transaction: the client takes a place for a new row, then the upsert
    // inserts only when it did (changes() is the claim's) or updates a row that exists.
    const result = await this.run(db, (d1) => [
      ...rows.flatMap((row) => {
        const values = upsertValues(day, now, row, maxRowsPerDay, clientBit);
        const [, directive, blocked, page, disposition] = values;
        return [
          d1.prepare(CLAIM).bind(day, client, directive, blocked, page, disposition, open, maxRowsPerDay, clientRowsPerDay),
          d1.prepare(UPSERT).bind(...values),
        ];
      }),
      ...dropStatements(d1, drops),
    ]);
    if (result.kind === "dropped") return result;
    // A capped insert changes nothing: its reports were not stored.
    let capped = 0;
    for (const [i, row] of rows.entries()) if (result.results[2 * i + 1]?.meta.changes === 0) capped += row.count;
    return { kind: "stored", day, stored: records.length - capped, capped };
  }

  /** Write drop counts alone: done, or why not (after a timeout they may have been written). */
  async writeDrops(db: D1Database | undefined, drops: readonly DropEntry[]): Promise<"done" | DropReason> {
    if (drops.length === 0) return "done";
    const result = await this.run(db, (d1) => dropStatements(d1, drops));
    return result.kind === "done" ? "done" : result.reason;
  }

  /** One bounded D1 batch under the circuit breaker. */
  private async run(
    db: D1Database | undefined,
    statements: (db: D1Database) => D1PreparedStatement[],
  ): Promise<{ kind: "done"; results: D1Result[] } | Extract<WriteOutcome, { kind: "dropped" }>> {
    const now = this.options.clock();
    if (db === undefined) return { kind: "dropped", reason: "d1Unbound" };
    if (now < this.openUntil) return { kind: "dropped", reason: "circuitOpen" };
    try {
      const results = await this.bounded(db.batch(statements(db)));
      this.failures = 0;
      return { kind: "done", results };
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
      const [violations, drops] = await this.bounded(
        db.batch([...PRUNE.map((sql) => db.prepare(sql).bind(cutoff)), db.prepare(PRUNE_CLIENTS).bind(day)]),
      );
      const deleted = (violations?.meta.changes ?? 0) + (drops?.meta.changes ?? 0);
      if (deleted > 0) log({ level: "info", event: "csp.report.pruned", before: cutoff, rows: deleted });
    } catch (error) {
      log({ level: "warn", event: "csp.report.prune-failed", before: cutoff, error: describeError(error) });
    }
  }

  /** The summary of the last `days` days; throws when D1 fails or is slow. */
  async summary(db: D1Database, days: number): Promise<ReportSummary> {
    const now = this.options.clock();
    const from = windowStart(now, days);
    const [top, byDirective, byDay, byDisposition, drops] = await this.bounded(
      db.batch<Record<string, unknown>>(
        [TOP_QUERY, BY_DIRECTIVE_QUERY, BY_DAY_QUERY, BY_DISPOSITION_QUERY, DROPS_QUERY].map((sql) => db.prepare(sql).bind(from)),
      ),
    );
    return buildSummary({
      now,
      days,
      top: (top?.results ?? []).map(toTopViolation),
      byDirective: toCounts(byDirective?.results ?? [], "directive"),
      byDay: toCounts(byDay?.results ?? [], "day"),
      byDisposition: toCounts(byDisposition?.results ?? [], "disposition"),
      drops: toDropCounts(drops?.results ?? []),
    });
  }

  /** Every violation group of the last `days` days, most frequent first, for `reports --suggest`; throws when D1 fails or is slow. */
  async violations(db: D1Database, days: number): Promise<ViolationGroups> {
    const now = this.options.clock();
    const from = windowStart(now, days);
    const [result] = await this.bounded(db.batch<Record<string, unknown>>([db.prepare(GROUPS_QUERY).bind(from, MAX_GROUPS + 1)]));
    const rows = result?.results ?? [];
    const window = buildSummary({ now, days, top: [], byDirective: [], byDay: [], byDisposition: [] }).window;
    return {
      generatedAt: new Date(now).toISOString(),
      window,
      groups: rows.slice(0, MAX_GROUPS).map(toViolationGroup),
      truncated: rows.length > MAX_GROUPS,
    };
  }

  private bounded<T>(promise: Promise<T>): Promise<T> {
    const ms = this.options.d1TimeoutMs;
    return withTimeout(promise, ms, () => new D1TimeoutError(`D1 took longer than ${ms} ms`));
  }
}

function dropStatements(db: D1Database, drops: readonly DropEntry[]): D1PreparedStatement[] {
  return drops.map(({ day, unit, reason, count }) => db.prepare(DROP_UPSERT).bind(day, unit, reason, count));
}

// The client's place for a new row (?1 day, ?2 client pseudonym, ?3-?6 the row's key, ?7 open rows,
// ?8 all rows, ?9 the client's share). Taken only when the row does not exist yet, and either the day's
// open rows and the client's share both have room, or the client has no row today and the reserve has room.
const CLAIM = `INSERT INTO csp_report_clients (day, client, rows)
SELECT ?1, ?2, 1
WHERE NOT EXISTS (SELECT 1 FROM csp_violations WHERE day = ?1 AND directive = ?3 AND blocked = ?4 AND page = ?5 AND disposition = ?6)
  AND (
    ((SELECT COUNT(*) FROM csp_violations WHERE day = ?1) < ?7
      AND COALESCE((SELECT rows FROM csp_report_clients WHERE day = ?1 AND client = ?2), 0) < ?9)
    OR ((SELECT COUNT(*) FROM csp_violations WHERE day = ?1) < ?8
      AND NOT EXISTS (SELECT 1 FROM csp_report_clients WHERE day = ?1 AND client = ?2 AND rows > 0))
  )
ON CONFLICT (day, client) DO UPDATE SET rows = rows + 1`;

// One statement per row of the batch, right after its CLAIM. A new row needs the claim just made
// (changes() counts the claim's insert or update) and room under the day's cap; an existing row may always
// count up. A capped insert changes nothing, which the caller counts. `?7` is both first_seen and last_seen. The
// client's sketch bit (?14) is ORed in; the batch's samples (?15) join the row's, distinct, up to the row's limit.
const UPSERT = `INSERT INTO csp_violations
  (day, directive, blocked, page, disposition, count, first_seen, last_seen, status_code, source_file, line_number, column_number, sample, clients, samples)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10, ?11, ?12, ?14, ?15
WHERE (changes() = 1 AND (SELECT COUNT(*) FROM csp_violations WHERE day = ?1) < ?13)
   OR EXISTS (SELECT 1 FROM csp_violations WHERE day = ?1 AND directive = ?2 AND blocked = ?3 AND page = ?4 AND disposition = ?5)
ON CONFLICT (day, directive, blocked, page, disposition) DO UPDATE SET
  count = count + excluded.count,
  last_seen = max(last_seen, excluded.last_seen),
  status_code = excluded.status_code,
  source_file = excluded.source_file,
  line_number = excluded.line_number,
  column_number = excluded.column_number,
  sample = excluded.sample,
  clients = clients | excluded.clients,
  samples = CASE WHEN json_array_length(samples) >= ${MAX_ROW_SAMPLES} OR excluded.samples = '[]' THEN samples ELSE
    (SELECT json_group_array(value) FROM (SELECT value FROM json_each(csp_violations.samples) UNION SELECT value FROM json_each(excluded.samples) LIMIT ${MAX_ROW_SAMPLES})) END`;

const DROP_UPSERT = `INSERT INTO csp_report_drops (day, unit, reason, count) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (day, unit, reason) DO UPDATE SET count = count + excluded.count`;

const PRUNE = ["DELETE FROM csp_violations WHERE day < ?1", "DELETE FROM csp_report_drops WHERE day < ?1"];
/** Pseudonyms are only needed for today's shares: older ones go at the first prune of a day. */
const PRUNE_CLIENTS = "DELETE FROM csp_report_clients WHERE day < ?1";

// SQLite takes the bare column `sample` from the row holding MAX(last_seen): the latest sample of the group.
const TOP_QUERY = `SELECT directive, blocked, page, disposition, SUM(count) AS count, MAX(last_seen) AS last_seen, sample
FROM csp_violations WHERE day >= ?1
GROUP BY directive, blocked, page, disposition
ORDER BY count DESC, last_seen DESC LIMIT ${TOP_LIMIT}`;
const BY_DIRECTIVE_QUERY = `SELECT directive, SUM(count) AS count FROM csp_violations WHERE day >= ?1
GROUP BY directive ORDER BY count DESC, directive LIMIT 100`;
const BY_DAY_QUERY = "SELECT day, SUM(count) AS count FROM csp_violations WHERE day >= ?1 GROUP BY day";
const BY_DISPOSITION_QUERY = "SELECT disposition, SUM(count) AS count FROM csp_violations WHERE day >= ?1 GROUP BY disposition";
// The rows of a group OR their sketches: SQLite has no bitwise OR aggregate, so each bit is the MAX over the rows.
const SKETCH_OR = Array.from({ length: CLIENT_BUCKETS }, (_, bit) => `MAX(clients & ${2 ** bit})`).join(" | ");
// As for TOP_QUERY, the bare source_file comes from the row holding MAX(last_seen). ?2 asks one group too many, to tell a truncated answer.
const GROUPS_QUERY = `SELECT directive, blocked, page, disposition, SUM(count) AS count, MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen,
  ${SKETCH_OR} AS clients, json_group_array(json(samples)) AS samples, source_file
FROM csp_violations WHERE day >= ?1
GROUP BY directive, blocked, page, disposition
ORDER BY count DESC, last_seen DESC LIMIT ?2`;
const DROPS_QUERY = "SELECT unit, reason, SUM(count) AS count FROM csp_report_drops WHERE day >= ?1 GROUP BY unit, reason";
