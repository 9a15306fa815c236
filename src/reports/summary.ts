// GET {REPORT_PATH}/summary: the stored counts as JSON or an HTML page, behind the REPORTS_TOKEN secret.

import type { ReportConfig } from "../core/policy/parse-env.js";
import { parseDays } from "../core/reports/days.js";
import { wantsJson } from "../core/reports/negotiate.js";
import { renderSummaryHtml, renderSummaryJson, SUMMARY_STYLE, summaryCsp } from "../core/reports/render-summary.js";
import type { ReportSummary } from "../core/reports/summary.js";
import type { ViolationGroups } from "../core/reports/violation-groups.js";
import { authScheme, presentedToken } from "../core/reports/token.js";
import type { Env } from "../env.js";
import { describeError, log } from "../log.js";
import { hardenedResponse, textResponse } from "./respond.js";
import { flushDrops, type CollectorState } from "./collect.js";
import { RETENTION_DAYS } from "./store.js";

const DEFAULT_SUMMARY_DAYS = 7;
const MAX_SUMMARY_DAYS = RETENTION_DAYS;
const WWW_AUTHENTICATE = 'Basic realm="CSP reports", charset="UTF-8", Bearer realm="CSP reports"';

/** Answer the summary to the token's holder; everyone else learns nothing about the stored reports. */
export async function handleSummary(request: Request, env: Env, reports: ReportConfig, state: CollectorState): Promise<Response> {
  // Off unless a token is configured: an unprotected summary would publish the site's weak spots.
  if (reports.token === undefined) return textResponse(404, "Not Found");
  if (request.method !== "GET" && request.method !== "HEAD") return textResponse(405, "Method Not Allowed", { Allow: "GET, HEAD" });
  const auth = request.headers.get("authorization");
  if (!(await tokenMatches(auth, reports.token))) {
    // The scheme only: the value itself never reaches a log.
    log({ level: "info", event: "csp.summary.denied", scheme: authScheme(auth) });
    return textResponse(401, "Unauthorized", { "WWW-Authenticate": WWW_AUTHENTICATE });
  }
  const url = new URL(request.url);
  const days = parseDays(url.searchParams.get("days"), DEFAULT_SUMMARY_DAYS, MAX_SUMMARY_DAYS);
  if (days === undefined) return textResponse(400, `Bad Request: days is a whole number from 1 to ${MAX_SUMMARY_DAYS}`);
  const db = env.REPORTS_DB;
  if (db === undefined) return textResponse(503, "Service Unavailable: no REPORTS_DB binding");
  if (url.searchParams.get("view") === "violations") return violationGroups(request, db, days, state);
  let summary: ReportSummary;
  try {
    // This isolate's drop counts first, so that the summary includes them.
    await flushDrops(db, state);
    summary = await state.store.summary(db, days);
  } catch (error) {
    log({ level: "error", event: "csp.summary.unavailable", error: describeError(error) });
    return textResponse(503, "Service Unavailable");
  }
  const head = request.method === "HEAD";
  if (wantsJson(url.searchParams.get("format"), request.headers.get("accept"))) {
    return hardenedResponse(head ? null : renderSummaryJson(summary), 200, {
      "Content-Type": "application/json; charset=utf-8",
      Vary: "Accept",
    });
  }
  const html = head ? null : renderSummaryHtml(summary, reports.path);
  return hardenedResponse(html, 200, { "Content-Type": "text/html; charset=utf-8", Vary: "Accept" }, summaryCsp(await styleHash()));
}

/** The detailed view `reports --suggest` reads: every violation group of the window, as JSON only. */
async function violationGroups(request: Request, db: D1Database, days: number, state: CollectorState): Promise<Response> {
  let groups: ViolationGroups;
  try {
    groups = await state.store.violations(db, days);
  } catch (error) {
    log({ level: "error", event: "csp.summary.unavailable", error: describeError(error) });
    return textResponse(503, "Service Unavailable");
  }
  return hardenedResponse(request.method === "HEAD" ? null : JSON.stringify(groups), 200, {
    "Content-Type": "application/json; charset=utf-8",
  });
}

/**
 * Whether the Authorization header carries the token. Both sides are hashed first, so the comparison takes
 * the same time whatever the lengths and contents.
 */
async function tokenMatches(header: string | null, token: string): Promise<boolean> {
  const presented = presentedToken(header);
  if (presented === undefined) return false;
  const [a, b] = await Promise.all([sha256(presented), sha256(token)]);
  return crypto.subtle.timingSafeEqual(a, b);
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
