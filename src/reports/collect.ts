// POST {REPORT_PATH}: hostile report bodies in, bounded counts out. Each client has a budget of reports per
// minute and of distinct violations per day (client-ledger.ts); the shared REPORT_LIMITER is asked once
// per report that budget admits. The response never waits on storage.

import { readCapped } from "../core/shared/read-capped.js";
import type { ReportConfig } from "../core/policy/parse-env.js";
import type { ClientLedger } from "../core/reports/client-ledger.js";
import { clientBit, clientPseudonym, rateLimitKey } from "../core/reports/client-key.js";
import {
  isReportMediaType,
  MAX_REPORT_BODY_BYTES,
  parseCspReports,
  type ParsedReports,
  type ViolationRecord,
} from "../core/reports/csp-report.js";
import { isoDay } from "../core/reports/days.js";
import type { Counters, DropEntry, DropTally, ReportDropReason, RequestRefusalReason } from "../core/reports/drops.js";
import type { Env } from "../env.js";
import { describeError, log } from "../log.js";
import { textResponse } from "./respond.js";
import type { ReportStore } from "./store.js";

/** Violations named in one log line; the rest are counted. */
const LOG_VIOLATIONS = 20;
/** While nothing is stored, drop counts are written at most this often per isolate. */
const DROP_FLUSH_MS = 10_000;

type Ctx = Pick<ExecutionContext, "waitUntil">;

/** What the collector keeps between requests in one isolate. */
export interface CollectorState {
  /** A number in [0, 1); a batch is stored when it is below REPORT_SAMPLE_RATE. */
  readonly random: () => number;
  /** Milliseconds since the epoch. */
  readonly clock: () => number;
  readonly counters: Counters;
  readonly store: ReportStore;
  readonly ledger: ClientLedger;
  /** Drops counted and not yet written to D1. */
  readonly tally: DropTally;
  /** When drop counts were last handed to D1. */
  lastFlush: number;
}

/** Accept a report body, answer 204, and store what the client's budgets admit in the background. */
export async function handleCollect(request: Request, env: Env, ctx: Ctx, reports: ReportConfig, state: CollectorState): Promise<Response> {
  const refuse = (reason: RequestRefusalReason, status: number, text: string, headers: Record<string, string> = {}): Response => {
    state.counters.rejected[reason]++;
    state.tally.add(isoDay(state.clock()), "request", reason, 1);
    flushSoon(env.REPORTS_DB, ctx, state);
    return textResponse(status, text, headers);
  };
  if (request.method !== "POST") return refuse("method", 405, "Method Not Allowed", { Allow: "POST" });
  if (!isReportMediaType(request.headers.get("content-type"))) {
    return refuse("mediaType", 415, "Unsupported Media Type: application/csp-report or application/reports+json");
  }
  // Refuse early what already claims too much; what claims little is still read with a cap below.
  if (Number(request.headers.get("content-length") ?? "0") > MAX_REPORT_BODY_BYTES) return refuse("tooLarge", 413, "Content Too Large");
  const client = rateLimitKey(request.headers.get("cf-connecting-ip"));
  // A client that spent this minute's budget costs no more than this: its body is never read.
  if (!state.ledger.hasBudget(client)) return refuse("rateLimited", 429, "Too Many Requests", TRY_LATER);
  const body = await readBody(request);
  if (body.kind === "tooLarge") return refuse("tooLarge", 413, "Content Too Large");
  if (body.kind === "bad") return refuse("badBody", 400, `Bad Request: ${body.message}`);
  const admitted = await admit(client, body.parsed.records, env.REPORT_LIMITER, state);
  accept(body.parsed, admitted, client, env, ctx, reports, state);
  // Every report over the limit: say so, as the 429 above would have.
  if (admitted.records.length === 0 && admitted.dropped.rateLimited > 0) return textResponse(429, "Too Many Requests", TRY_LATER);
  return textResponse(204, null);
}

const TRY_LATER = { "Retry-After": "60" };

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

interface Admitted {
  readonly records: readonly ViolationRecord[];
  readonly dropped: { readonly rateLimited: number; readonly duplicate: number; readonly clientCap: number };
}

/** The client's own budgets first, then one REPORT_LIMITER call per report they admit. */
async function admit(
  client: string,
  records: readonly ViolationRecord[],
  limiter: RateLimit | undefined,
  state: CollectorState,
): Promise<Admitted> {
  const admission = state.ledger.admit(client, records);
  const confirmed = await confirmWithLimiter(limiter, client, admission.admitted.length);
  const settled = state.ledger.settle(client, admission, confirmed);
  return { records: settled.admitted, dropped: settled.dropped };
}

/**
 * How many of `reports` the shared limiter allows: it counts one unit per call and takes no cost argument,
 * so it is called once per report. Unbound (local dev without it): all of them. A call that fails counts as
 * allowed: the limiter is a spam brake, and this isolate's own budgets still hold.
 */
async function confirmWithLimiter(limiter: RateLimit | undefined, key: string, reports: number): Promise<number> {
  if (limiter === undefined || reports === 0) return reports;
  const outcomes = await Promise.allSettled(Array.from({ length: reports }, () => limiter.limit({ key })));
  const failed = outcomes.filter((o) => o.status === "rejected");
  if (failed[0] !== undefined) {
    log({ level: "warn", event: "csp.report.limiter-failed", calls: failed.length, error: describeError(failed[0].reason) });
  }
  return outcomes.filter((o) => o.status === "rejected" || o.value.success).length;
}

/** Count every drop, sample, log one line for the batch, and queue its storage (or the drop counts alone). */
function accept(
  parsed: ParsedReports,
  admitted: Admitted,
  client: string,
  env: Env,
  ctx: Ctx,
  reports: ReportConfig,
  state: CollectorState,
): void {
  const { format, received } = parsed;
  const { records } = admitted;
  const dropped = { ...parsed.dropped, ...admitted.dropped };
  const sampledIn = records.length > 0 && state.random() < reports.sampleRate;
  const sampledOut = sampledIn ? 0 : records.length;
  const day = isoDay(state.clock());
  for (const [reason, count] of Object.entries({ ...dropped, sampledOut }) as [ReportDropReason, number][]) {
    state.counters.dropped[reason] += count;
    state.tally.add(day, "report", reason, count);
  }
  // One line per read batch, whatever happens to storage: the log is the record when D1 is not.
  log({
    level: "info",
    event: "csp.report",
    format,
    received,
    accepted: records.length,
    dropped,
    storage: records.length === 0 ? "nothing to store" : sampledIn ? "queued" : "sampled out",
    violations: records.slice(0, LOG_VIOLATIONS).map(logFields),
    ...(records.length > LOG_VIOLATIONS ? { moreViolations: records.length - LOG_VIOLATIONS } : {}),
    counters: state.counters,
  });
  if (sampledIn) ctx.waitUntil(store(env.REPORTS_DB, records, client, state));
  else flushSoon(env.REPORTS_DB, ctx, state);
}

/** Write the batch with the pending drop counts (and the client's sketch bit); a failure drops it with a counted log line, never reaching the response. */
async function store(
  db: D1Database | undefined,
  records: readonly ViolationRecord[],
  client: string,
  state: CollectorState,
): Promise<void> {
  state.lastFlush = state.clock();
  const drops = state.tally.take();
  const pseudonym = await clientPseudonym(client, isoDay(state.clock()));
  const outcome = await state.store.write(db, records, drops, pseudonym, clientBit(client));
  if (outcome.kind === "dropped") {
    keepUnwritten(state, drops, outcome.reason);
    drop(state, outcome.reason, records.length, outcome.detail);
    return;
  }
  state.counters.stored += outcome.stored;
  if (outcome.capped > 0) {
    const detail = `the day's rows (${state.store.maxRowsPerDay}, some reserved for new clients) or this client's share of them are used up for ${outcome.day}`;
    drop(state, "rowCap", outcome.capped, detail);
  }
  if (db !== undefined) await state.store.pruneDaily(db);
}

/** Write the pending drop counts in the background, unless that was done less than DROP_FLUSH_MS ago. */
function flushSoon(db: D1Database | undefined, ctx: Ctx, state: CollectorState): void {
  const now = state.clock();
  if (state.tally.empty || db === undefined || now - state.lastFlush < DROP_FLUSH_MS) return;
  state.lastFlush = now;
  ctx.waitUntil(flushDrops(db, state));
}

/** Write the pending drop counts now; what fails to be written stays pending. */
export async function flushDrops(db: D1Database, state: CollectorState): Promise<void> {
  const drops = state.tally.take();
  const outcome = await state.store.writeDrops(db, drops);
  if (outcome !== "done") keepUnwritten(state, drops, outcome);
}

/**
 * Put drop counts back for the next write, unless the write timed out: it may have landed, and counting
 * them twice would be worse than losing them (the log lines still have them).
 */
function keepUnwritten(state: CollectorState, drops: readonly DropEntry[], reason: string): void {
  if (reason !== "d1Timeout") state.tally.restore(drops);
}

function drop(state: CollectorState, reason: ReportDropReason, reports: number, detail?: string): void {
  state.counters.dropped[reason] += reports;
  state.tally.add(isoDay(state.clock()), "report", reason, reports);
  log({
    level: "warn",
    event: "csp.report.dropped",
    reason,
    reports,
    ...(detail === undefined ? {} : { detail }),
    counters: state.counters,
  });
}

function logFields(record: ViolationRecord): Record<string, string> {
  return { directive: record.effectiveDirective, blocked: record.blockedUrl, page: record.documentUrl, disposition: record.disposition };
}
