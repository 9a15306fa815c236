// The CSP report collector at REPORT_PATH and its summary at REPORT_PATH/summary: hostile input in, bounded
// counts in D1, and a summary page behind a secret token. Pages never wait on any of it.

import { readCapped } from "./core/read-capped.js";
import {
  countViolations,
  isReportMediaType,
  MAX_REPORT_BODY_BYTES,
  parseCspReports,
  rateLimitKey,
  type DropCounts,
  type ViolationRecord,
} from "./core/csp-report.js";
import type { ReportConfig } from "./core/parse-env.js";
import {
  buildSummary,
  prefersJson,
  renderSummaryHtml,
  renderSummaryJson,
  SUMMARY_STYLE,
  summaryCsp,
  type ReportSummary,
  type TopViolation,
} from "./core/report-summary.js";
import type { Env } from "./env.js";

/** How long a D1 write or read may take before the reports are dropped (write) or the summary fails (read). */
export const D1_TIMEOUT_MS = 2000;
/** Distinct rows a single day may hold: a spammer inventing page paths fills this, not the database. */
export const MAX_ROWS_PER_DAY = 2000;
/** Rows older than this many days are deleted, at most once per UTC day per isolate. */
export const RETENTION_DAYS = 90;
/** Consecutive D1 failures after which writes are skipped for BREAKER_COOLDOWN_MS. */
const BREAKER_FAILURES = 3;
const BREAKER_COOLDOWN_MS = 30_000;
const DEFAULT_SUMMARY_DAYS = 7;
const MAX_SUMMARY_DAYS = RETENTION_DAYS;
const TOP_LIMIT = 50;
/** Violations named in one log line; the rest are counted. */
const LOG_VIOLATIONS = 20;
const MAX_AUTHORIZATION_CHARS = 4096;

/** Hardening of every collector response; the site's own policy is never applied to them. */
const COLLECTOR_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const WWW_AUTHENTICATE = 'Basic realm="CSP reports", charset="UTF-8", Bearer realm="CSP reports"';

/** What tests (and later hardening) replace: randomness, time, and the D1 bounds. */
export interface ReportEndpointOptions {
  /** A number in [0, 1); a batch is stored when it is below REPORT_SAMPLE_RATE. */
  readonly random?: () => number;
  /** Milliseconds since the epoch. */
  readonly clock?: () => number;
  readonly d1TimeoutMs?: number;
  readonly maxRowsPerDay?: number;
}

export type ReportHandler = (
  request: Request,
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  reports: ReportConfig,
) => Promise<Response>;

/** Per-isolate counters, logged with every batch and every drop so that Workers Logs shows the trend. */
interface Counters {
  stored: number;
  rejected: Record<"method" | "mediaType" | "tooLarge" | "badBody" | "rateLimited", number>;
  dropped: Record<keyof DropCounts | "sampledOut" | "d1Unbound" | "d1Error" | "d1Timeout" | "circuitOpen" | "rowCap", number>;
}

/** An endpoint with its own per-isolate state (counters, circuit breaker, retention day). */
export function createReportEndpoint(options: ReportEndpointOptions = {}): ReportHandler {
  const random = options.random ?? Math.random;
  const clock = options.clock ?? Date.now;
  const d1TimeoutMs = options.d1TimeoutMs ?? D1_TIMEOUT_MS;
  const maxRowsPerDay = options.maxRowsPerDay ?? MAX_ROWS_PER_DAY;
  const counters: Counters = {
    stored: 0,
    rejected: { method: 0, mediaType: 0, tooLarge: 0, badBody: 0, rateLimited: 0 },
    dropped: { offHost: 0, invalid: 0, otherType: 0, overflow: 0, sampledOut: 0, d1Unbound: 0, d1Error: 0, d1Timeout: 0, circuitOpen: 0, rowCap: 0 },
  };
  const breaker = { failures: 0, openUntil: 0 };
  let prunedDay = "";

  const reject = (reason: keyof Counters["rejected"], status: number, text: string, headers: Record<string, string> = {}): Response => {
    counters.rejected[reason]++;
    return textResponse(status, text, headers);
  };

  async function collect(request: Request, env: Env, ctx: Pick<ExecutionContext, "waitUntil">, reports: ReportConfig): Promise<Response> {
    if (request.method !== "POST") return reject("method", 405, "Method Not Allowed", { Allow: "POST" });
    if (!isReportMediaType(request.headers.get("content-type"))) {
      return reject("mediaType", 415, "Unsupported Media Type: application/csp-report or application/reports+json");
    }
    // Refuse early what already claims too much; what claims little is still read with a cap below.
    if (Number(request.headers.get("content-length") ?? "0") > MAX_REPORT_BODY_BYTES) {
      return reject("tooLarge", 413, "Content Too Large");
    }
    if (!(await allowedByLimiter(env.REPORT_LIMITER, request))) {
      return reject("rateLimited", 429, "Too Many Requests", { "Retry-After": "60" });
    }
    const bytes = await readCapped(request.body, MAX_REPORT_BODY_BYTES);
    if (bytes === undefined) return reject("tooLarge", 413, "Content Too Large");
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      return reject("badBody", 400, "Bad Request: the body is not UTF-8");
    }
    const parsed = parseCspReports(text, new URL(request.url).host);
    if (!parsed.ok) return reject("badBody", 400, `Bad Request: expected ${parsed.issues[0]?.message ?? "a report"}`);

    const { records, dropped, format, received } = parsed.value;
    for (const key of ["offHost", "invalid", "otherType", "overflow"] as const) counters.dropped[key] += dropped[key];
    const sampledIn = records.length > 0 && random() < reports.sampleRate;
    if (records.length > 0 && !sampledIn) counters.dropped.sampledOut += records.length;
    // One line per accepted batch, whatever happens to storage: the log is the record when D1 is not.
    log("log", {
      level: "info",
      event: "csp.report",
      format,
      received,
      accepted: records.length,
      dropped,
      storage: records.length === 0 ? "nothing to store" : sampledIn ? "queued" : "sampled out",
      violations: records.slice(0, LOG_VIOLATIONS).map(logFields),
      ...(records.length > LOG_VIOLATIONS ? { moreViolations: records.length - LOG_VIOLATIONS } : {}),
      counters,
    });
    if (sampledIn) ctx.waitUntil(store(env.REPORTS_DB, records));
    return textResponse(204, null);
  }

  /** Upsert the batch; any failure drops it with a counted log line and never reaches the response. */
  async function store(db: D1Database | undefined, records: readonly ViolationRecord[]): Promise<void> {
    const now = clock();
    if (db === undefined) return drop("d1Unbound", records.length);
    if (now < breaker.openUntil) return drop("circuitOpen", records.length);
    const day = isoDay(now);
    const rows = countViolations(records);
    try {
      const statements = rows.map(({ record, count }) =>
        db
          .prepare(UPSERT)
          .bind(
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
          ),
      );
      const results = await withTimeout(db.batch(statements), d1TimeoutMs);
      breaker.failures = 0;
      let capped = 0;
      for (const [i, result] of results.entries()) {
        if (result.meta.changes === 0) capped += rows[i]?.count ?? 0;
      }
      counters.stored += records.length - capped;
      if (capped > 0) drop("rowCap", capped, `${maxRowsPerDay} rows already stored for ${day}`);
    } catch (error) {
      breaker.failures++;
      if (breaker.failures >= BREAKER_FAILURES) breaker.openUntil = now + BREAKER_COOLDOWN_MS;
      drop(error instanceof D1TimeoutError ? "d1Timeout" : "d1Error", records.length, describeError(error));
      return;
    }
    if (prunedDay !== day) {
      prunedDay = day;
      await prune(db, now);
    }
  }

  async function prune(db: D1Database, now: number): Promise<void> {
    const cutoff = isoDay(now - RETENTION_DAYS * 86_400_000);
    try {
      const result = await withTimeout(db.prepare("DELETE FROM csp_violations WHERE day < ?1").bind(cutoff).run(), d1TimeoutMs);
      if (result.meta.changes > 0) log("log", { level: "info", event: "csp.report.pruned", before: cutoff, rows: result.meta.changes });
    } catch (error) {
      log("error", { level: "warn", event: "csp.report.prune-failed", before: cutoff, error: describeError(error) });
    }
  }

  function drop(reason: keyof Counters["dropped"], reports: number, detail?: string): void {
    counters.dropped[reason] += reports;
    log("error", { level: "warn", event: "csp.report.dropped", reason, reports, ...(detail === undefined ? {} : { detail }), counters });
  }

  async function summarise(request: Request, env: Env, reports: ReportConfig): Promise<Response> {
    // Off unless a token is configured: an unprotected summary would publish the site's weak spots.
    if (reports.token === undefined) return textResponse(404, "Not Found");
    if (request.method !== "GET" && request.method !== "HEAD") return textResponse(405, "Method Not Allowed", { Allow: "GET, HEAD" });
    const auth = request.headers.get("authorization");
    if (!(await tokenMatches(auth, reports.token))) {
      // The scheme only: the value itself never reaches a log.
      log("log", { level: "info", event: "csp.summary.denied", scheme: auth === null ? "none" : (auth.trim().split(/\s+/, 1)[0] ?? "").slice(0, 16).toLowerCase() });
      return textResponse(401, "Unauthorized", { "WWW-Authenticate": WWW_AUTHENTICATE });
    }
    const url = new URL(request.url);
    const daysParam = url.searchParams.get("days");
    const days = daysParam === null ? DEFAULT_SUMMARY_DAYS : /^\d{1,3}$/.test(daysParam) ? Number(daysParam) : Number.NaN;
    if (!(days >= 1 && days <= MAX_SUMMARY_DAYS)) return textResponse(400, `Bad Request: days is a whole number from 1 to ${MAX_SUMMARY_DAYS}`);
    const db = env.REPORTS_DB;
    if (db === undefined) return textResponse(503, "Service Unavailable: no REPORTS_DB binding");
    let summary: ReportSummary;
    try {
      summary = await withTimeout(loadSummary(db, clock(), days), d1TimeoutMs);
    } catch (error) {
      log("error", { level: "error", event: "csp.summary.unavailable", error: describeError(error) });
      return textResponse(503, "Service Unavailable");
    }
    const format = url.searchParams.get("format");
    const json = format === "json" || (format !== "html" && prefersJson(request.headers.get("accept")));
    const head = request.method === "HEAD";
    if (json) {
      return hardenedResponse(head ? null : renderSummaryJson(summary), 200, { "Content-Type": "application/json; charset=utf-8", Vary: "Accept" });
    }
    return hardenedResponse(
      head ? null : renderSummaryHtml(summary, reports.path),
      200,
      { "Content-Type": "text/html; charset=utf-8", Vary: "Accept" },
      summaryCsp(await styleHash()),
    );
  }

  return async (request, env, ctx, reports) => {
    const path = new URL(request.url).pathname;
    try {
      if (path === reports.path) return await collect(request, env, ctx, reports);
      if (path === `${reports.path}/summary`) return await summarise(request, env, reports);
      return textResponse(404, "Not Found");
    } catch (error) {
      log("error", { level: "error", event: "worker.fault", stage: "report-endpoint", method: request.method, path, error: describeError(error) });
      return textResponse(500, "Internal Error");
    }
  };
}

const defaultEndpoint = createReportEndpoint();

/** Serve REPORT_PATH (the collector) and REPORT_PATH/summary; the handler routes here only when reports are enabled. */
export async function handleReportRequest(
  request: Request,
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  reports: ReportConfig,
): Promise<Response> {
  return defaultEndpoint(request, env, ctx, reports);
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

async function loadSummary(db: D1Database, now: number, days: number): Promise<ReportSummary> {
  const from = isoDay(now - (days - 1) * 86_400_000);
  const [top, byDirective, byDay, byDisposition] = await db.batch<Record<string, unknown>>(
    [TOP_QUERY, BY_DIRECTIVE_QUERY, BY_DAY_QUERY, BY_DISPOSITION_QUERY].map((sql) => db.prepare(sql).bind(from)),
  );
  return buildSummary({
    now,
    days,
    top: (top?.results ?? []).map(toTopViolation),
    byDirective: (byDirective?.results ?? []).map((r) => ({ directive: str(r.directive), count: num(r.count) })),
    byDay: (byDay?.results ?? []).map((r) => ({ day: str(r.day), count: num(r.count) })),
    byDisposition: (byDisposition?.results ?? []).map((r) => ({ disposition: str(r.disposition), count: num(r.count) })),
  });
}

function toTopViolation(row: Record<string, unknown>): TopViolation {
  const lastSeen = num(row.last_seen);
  return {
    directive: str(row.directive),
    blocked: str(row.blocked),
    page: str(row.page),
    disposition: row.disposition === "report" ? "report" : "enforce",
    count: num(row.count),
    lastSeen: new Date(lastSeen).toISOString(),
    sample: str(row.sample),
  };
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0;
}

/**
 * Ask the rate limiter about this client. Unbound (local dev without it, or a deployment that removed it):
 * no limit. A limiter that fails lets the report through: it is a spam brake, and the per-day row cap still
 * bounds storage.
 */
async function allowedByLimiter(limiter: RateLimit | undefined, request: Request): Promise<boolean> {
  if (limiter === undefined) return true;
  try {
    const { success } = await limiter.limit({ key: rateLimitKey(request.headers.get("cf-connecting-ip")) });
    return success;
  } catch (error) {
    log("error", { level: "warn", event: "csp.report.limiter-failed", error: describeError(error) });
    return true;
  }
}


/**
 * Whether the Authorization header carries the token: `Bearer <token>`, or HTTP Basic with the token as the
 * password (any user name), so that a browser's own prompt opens the page. Both sides are hashed first, so
 * the comparison takes the same time whatever the lengths and contents.
 */
async function tokenMatches(header: string | null, token: string): Promise<boolean> {
  const presented = presentedToken(header);
  if (presented === undefined) return false;
  const [a, b] = await Promise.all([sha256(presented), sha256(token)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

function presentedToken(header: string | null): string | undefined {
  if (header === null || header.length > MAX_AUTHORIZATION_CHARS) return undefined;
  const bearer = /^Bearer +(\S+) *$/i.exec(header);
  if (bearer?.[1] !== undefined) return bearer[1];
  const basic = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (basic?.[1] === undefined) return undefined;
  let decoded: string;
  try {
    const binary = atob(basic[1]);
    decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(":");
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

async function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}

let styleHashPromise: Promise<string> | undefined;

/** The base64 SHA-256 of the summary's stylesheet, computed once per isolate. */
function styleHash(): Promise<string> {
  styleHashPromise ??= sha256(SUMMARY_STYLE).then((digest) => btoa(String.fromCharCode(...new Uint8Array(digest))));
  return styleHashPromise;
}

/** A response with the collector's fixed hardening headers. */
function hardenedResponse(body: string | null, status: number, headers: Record<string, string>, csp = COLLECTOR_CSP): Response {
  return new Response(body, {
    status,
    headers: {
      ...headers,
      "Cache-Control": "no-store",
      "Content-Security-Policy": csp,
      "Cross-Origin-Resource-Policy": "same-origin",
      "Referrer-Policy": "no-referrer",
      "X-Content-Type-Options": "nosniff",
      "X-Frame-Options": "DENY",
    },
  });
}

function textResponse(status: number, text: string | null, headers: Record<string, string> = {}): Response {
  if (text === null) return hardenedResponse(null, status, headers);
  return hardenedResponse(`${text}\n`, status, { "Content-Type": "text/plain; charset=utf-8", ...headers });
}

class D1TimeoutError extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new D1TimeoutError(`D1 took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function logFields(record: ViolationRecord): Record<string, string> {
  return { directive: record.effectiveDirective, blocked: record.blockedUrl, page: record.documentUrl, disposition: record.disposition };
}

function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 300);
}

function log(level: "log" | "error", fields: Record<string, unknown>): void {
  if (level === "log") console.log(JSON.stringify(fields));
  else console.error(JSON.stringify(fields));
}
