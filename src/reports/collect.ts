// POST {REPORT_PATH}: hostile report bodies in, bounded counts out. The response never waits on storage.

import { readCapped } from "../core/read-capped.js";
import type { ReportConfig } from "../core/parse-env.js";
import { rateLimitKey } from "../core/reports/client-key.js";
import { isReportMediaType, MAX_REPORT_BODY_BYTES, parseCspReports, type ParsedReports, type ViolationRecord } from "../core/reports/csp-report.js";
import type { Counters, DropReason, RefusalReason } from "../core/reports/counters.js";
import type { Env } from "../env.js";
import { describeError, log } from "./log.js";
import { textResponse } from "./respond.js";
import type { ReportStore } from "./store.js";

/** Violations named in one log line; the rest are counted. */
const LOG_VIOLATIONS = 20;

/** What the collector keeps between requests in one isolate. */
export interface CollectorState {
  /** A number in [0, 1); a batch is stored when it is below REPORT_SAMPLE_RATE. */
  readonly random: () => number;
  readonly counters: Counters;
  readonly store: ReportStore;
}

/** Accept a report body, answer 204, and store it in the background; refuse what is not one. */
export async function handleCollect(
  request: Request,
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  reports: ReportConfig,
  state: CollectorState,
): Promise<Response> {
  const refuse = (reason: RefusalReason, status: number, text: string, headers: Record<string, string> = {}): Response => {
    state.counters.rejected[reason]++;
    return textResponse(status, text, headers);
  };
  if (request.method !== "POST") return refuse("method", 405, "Method Not Allowed", { Allow: "POST" });
  if (!isReportMediaType(request.headers.get("content-type"))) {
    return refuse("mediaType", 415, "Unsupported Media Type: application/csp-report or application/reports+json");
  }
  // Refuse early what already claims too much; what claims little is still read with a cap below.
  if (Number(request.headers.get("content-length") ?? "0") > MAX_REPORT_BODY_BYTES) return refuse("tooLarge", 413, "Content Too Large");
  if (!(await allowedByLimiter(env.REPORT_LIMITER, request))) return refuse("rateLimited", 429, "Too Many Requests", { "Retry-After": "60" });
  const body = await readBody(request);
  if (body.kind === "tooLarge") return refuse("tooLarge", 413, "Content Too Large");
  if (body.kind === "bad") return refuse("badBody", 400, `Bad Request: ${body.message}`);
  accept(body.parsed, env, ctx, reports, state);
  return textResponse(204, null);
}

type Body = { kind: "parsed"; parsed: ParsedReports } | { kind: "tooLarge" } | { kind: "bad"; message: string };

/** Read at most MAX_REPORT_BODY_BYTES, decode strict UTF-8, and parse either report shape. */
async function readBody(request: Request): Promise<Body> {
  const bytes = await readCapped(request.body, MAX_REPORT_BODY_BYTES);
  if (bytes === undefined) return { kind: "tooLarge" };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return { kind: "bad", message: "the body is not UTF-8" };
  }
  const parsed = parseCspReports(text, new URL(request.url).host);
  if (!parsed.ok) return { kind: "bad", message: `expected ${parsed.issues[0]?.message ?? "a report"}` };
  return { kind: "parsed", parsed: parsed.value };
}

/** Count, sample, log one line for the batch, and queue its storage. */
function accept(parsed: ParsedReports, env: Env, ctx: Pick<ExecutionContext, "waitUntil">, reports: ReportConfig, state: CollectorState): void {
  const { records, dropped, format, received } = parsed;
  const { counters } = state;
  for (const key of ["offHost", "invalid", "otherType", "overflow"] as const) counters.dropped[key] += dropped[key];
  const sampledIn = records.length > 0 && state.random() < reports.sampleRate;
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
  if (sampledIn) ctx.waitUntil(store(env.REPORTS_DB, records, state));
}

/** Write the batch; any failure drops it with a counted log line and never reaches the response. */
async function store(db: D1Database | undefined, records: readonly ViolationRecord[], state: CollectorState): Promise<void> {
  const outcome = await state.store.write(db, records);
  if (outcome.kind === "dropped") return drop(state, outcome.reason, records.length, outcome.detail);
  state.counters.stored += outcome.stored;
  if (outcome.capped > 0) drop(state, "rowCap", outcome.capped, `${state.store.maxRowsPerDay} rows already stored for ${outcome.day}`);
  if (db !== undefined) await state.store.pruneDaily(db);
}

function drop(state: CollectorState, reason: DropReason, reports: number, detail?: string): void {
  state.counters.dropped[reason] += reports;
  log("error", { level: "warn", event: "csp.report.dropped", reason, reports, ...(detail === undefined ? {} : { detail }), counters: state.counters });
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

function logFields(record: ViolationRecord): Record<string, string> {
  return { directive: record.effectiveDirective, blocked: record.blockedUrl, page: record.documentUrl, disposition: record.disposition };
}
