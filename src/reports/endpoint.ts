// The CSP report collector at REPORT_PATH and its summary at REPORT_PATH/summary: routing, and the
// per-isolate state the two handlers share. Pages never wait on any of it.

import type { ReportConfig } from "../core/policy/parse-env.js";
import { ClientLedger, DEFAULT_CLIENT_LIMITS, type ClientLimits } from "../core/reports/client-ledger.js";
import { createCounters, DropTally } from "../core/reports/drops.js";
import type { Env } from "../env.js";
import { handleCollect, type CollectorState } from "./collect.js";
import { logFault } from "../log.js";
import { textResponse } from "./respond.js";
import { CLIENT_ROWS_PER_DAY, D1_TIMEOUT_MS, MAX_ROWS_PER_DAY, RESERVED_ROWS_PER_DAY, ReportStore } from "./store.js";
import { handleSummary } from "./summary.js";

/** What tests replace: randomness, time, the D1 bounds and the per-client budgets. */
export interface ReportEndpointOptions {
  /** A number in [0, 1); a batch is stored when it is below REPORT_SAMPLE_RATE. */
  readonly random?: () => number;
  /** Milliseconds since the epoch. */
  readonly clock?: () => number;
  readonly d1TimeoutMs?: number;
  readonly maxRowsPerDay?: number;
  readonly reservedRowsPerDay?: number;
  readonly clientRowsPerDay?: number;
  readonly clientLimits?: Partial<ClientLimits>;
}

export type ReportHandler = (
  request: Request,
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  reports: ReportConfig,
) => Promise<Response>;

/** An endpoint with its own per-isolate state: counters, client budgets, pending drops, and the store. */
export function createReportEndpoint(options: ReportEndpointOptions = {}): ReportHandler {
  const clock = options.clock ?? Date.now;
  const store = new ReportStore({
    clock,
    d1TimeoutMs: options.d1TimeoutMs ?? D1_TIMEOUT_MS,
    maxRowsPerDay: options.maxRowsPerDay ?? MAX_ROWS_PER_DAY,
    // A test's small cap keeps the same proportions (a quarter reserved) unless it says otherwise.
    reservedRowsPerDay:
      options.reservedRowsPerDay ?? Math.floor(((options.maxRowsPerDay ?? MAX_ROWS_PER_DAY) * RESERVED_ROWS_PER_DAY) / MAX_ROWS_PER_DAY),
    clientRowsPerDay: options.clientRowsPerDay ?? CLIENT_ROWS_PER_DAY,
  });
  const state: CollectorState = {
    random: options.random ?? Math.random,
    clock,
    counters: createCounters(),
    store,
    ledger: new ClientLedger({ ...DEFAULT_CLIENT_LIMITS, ...options.clientLimits }, clock),
    tally: new DropTally(),
    lastFlush: 0,
  };
  return async (request, env, ctx, reports) => {
    const path = new URL(request.url).pathname;
    try {
      if (path === reports.path) return await handleCollect(request, env, ctx, reports, state);
      if (path === `${reports.path}/summary`) return await handleSummary(request, env, reports, state);
      return textResponse(404, "Not Found");
    } catch (error) {
      logFault("report-endpoint", request, error);
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
