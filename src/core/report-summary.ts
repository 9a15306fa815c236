// The report summary: its JSON shape, the HTML page with server-rendered SVG charts, and a text table for the CLI.

import { bound, MAX_FIELD_CHARS, MAX_SAMPLE_CHARS } from "./csp-report.js";
import type { Disposition } from "./csp-report.js";
import { renderReceived, type PolicyIssue, type Result } from "./result.js";

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
}

/** The days of a window ending today (UTC), oldest first. */
export function windowDays(now: number, days: number): string[] {
  const out: string[] = [];
  const today = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate());
  for (let i = days - 1; i >= 0; i--) out.push(new Date(today - i * 86_400_000).toISOString().slice(0, 10));
  return out;
}

/** Assemble a summary from the store's aggregates; days without reports get a zero. */
export function buildSummary(input: {
  readonly now: number;
  readonly days: number;
  readonly top: readonly TopViolation[];
  readonly byDirective: readonly { readonly directive: string; readonly count: number }[];
  readonly byDay: readonly { readonly day: string; readonly count: number }[];
  readonly byDisposition: readonly { readonly disposition: string; readonly count: number }[];
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
  };
}

/** Escape text for HTML element content and quoted attributes: stored reports are attacker-controlled. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The page's one stylesheet. The page's CSP allows exactly this text by its hash, so any edit here changes the
 * hash the shell computes; nothing else on the page may carry a style attribute.
 */
export const SUMMARY_STYLE = `
body{font:14px/1.45 system-ui,sans-serif;color:#1d2330;max-width:72rem;margin:1.5rem auto;padding:0 1rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #c9cfd9;padding:.25em .5em;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.u{word-break:break-all;font-family:ui-monospace,monospace;font-size:12px}
.note{color:#55607a}.chart{display:block;max-width:100%;height:auto}
.bar{fill:#3b6fb6}.lbl{font:12px system-ui,sans-serif;fill:#1d2330}.axis{stroke:#c9cfd9}
`;

/** The page's CSP: nothing may load or run; only the one stylesheet above, allowed by hash. */
export function summaryCsp(styleHashBase64: string): string {
  return [
    "default-src 'none'",
    `style-src 'sha256-${styleHashBase64}'`,
    "img-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
}

const CHART_WIDTH = 720;
const BAR_HEIGHT = 18;
const LABEL_WIDTH = 200;

/** A horizontal bar chart as inline SVG: numbers in attributes, strings only as escaped text. */
function barChart(title: string, rows: readonly { label: string; count: number }[]): string {
  if (rows.length === 0) return `<p class="note">No violations in this window.</p>`;
  const max = Math.max(1, ...rows.map((r) => r.count));
  const height = rows.length * (BAR_HEIGHT + 6) + 6;
  const span = CHART_WIDTH - LABEL_WIDTH - 60;
  const bars = rows.map((row, i) => {
    const y = 6 + i * (BAR_HEIGHT + 6);
    const width = row.count === 0 ? 0 : Math.max(1, Math.round((row.count / max) * span));
    const label = row.label.length > 28 ? `${row.label.slice(0, 27)}…` : row.label;
    return (
      `<g><title>${escapeHtml(row.label)}: ${row.count}</title>` +
      `<text class="lbl" x="${LABEL_WIDTH - 6}" y="${y + 13}" text-anchor="end">${escapeHtml(label)}</text>` +
      `<rect class="bar" x="${LABEL_WIDTH}" y="${y}" width="${width}" height="${BAR_HEIGHT}"></rect>` +
      `<text class="lbl" x="${LABEL_WIDTH + width + 6}" y="${y + 13}">${row.count}</text></g>`
    );
  });
  return (
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" width="${CHART_WIDTH}" height="${height}" ` +
    `viewBox="0 0 ${CHART_WIDTH} ${height}"><title>${escapeHtml(title)}</title>` +
    `<line class="axis" x1="${LABEL_WIDTH}" y1="0" x2="${LABEL_WIDTH}" y2="${height}"></line>${bars.join("")}</svg>`
  );
}

/** The summary as an HTML page without any script: tables and inline SVG, every stored string escaped. */
export function renderSummaryHtml(summary: ReportSummary, collectorPath: string): string {
  const { totals, window } = summary;
  const rows = summary.top.map(
    (v) =>
      `<tr><td class="n">${v.count}</td><td>${escapeHtml(v.directive)}</td><td>${escapeHtml(v.disposition)}</td>` +
      `<td class="u">${escapeHtml(v.blocked)}</td><td class="u">${escapeHtml(v.page)}</td>` +
      `<td class="u">${escapeHtml(v.sample)}</td><td>${escapeHtml(v.lastSeen)}</td></tr>`,
  );
  const verdict =
    totals.report === 0
      ? `No Report-Only violations in the last ${window.days} days.`
      : `${totals.report} Report-Only violation${totals.report === 1 ? "" : "s"} in the last ${window.days} days: each one would be blocked once the policy is enforced.`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>CSP violations · security-headers-worker</title>
<style>${SUMMARY_STYLE}</style>
</head>
<body>
<h1>CSP violations, ${escapeHtml(window.from)} to ${escapeHtml(window.to)} (UTC)</h1>
<p>${totals.all} stored reports: ${totals.enforce} blocked (enforced policy), ${totals.report} reported only (Report-Only policy).</p>
<p>${escapeHtml(verdict)}</p>
<p class="note">Collected at <code>${escapeHtml(collectorPath)}</code>. Counts are of stored reports: with sampling, multiply by 1 / REPORT_SAMPLE_RATE. JSON: add <code>?format=json</code>.</p>
<h2>By directive</h2>
${barChart("Violations by directive", summary.byDirective.map((d) => ({ label: d.directive, count: d.count })))}
<h2>By day</h2>
${barChart("Violations by day", summary.byDay.map((d) => ({ label: d.day, count: d.count })))}
<h2>Top violations</h2>
${
  rows.length === 0
    ? `<p class="note">No violations in this window.</p>`
    : `<table>
<thead><tr><th class="n">Count</th><th>Directive</th><th>Disposition</th><th>Blocked</th><th>Page</th><th>Sample</th><th>Last seen (UTC)</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>`
}
<p class="note">Generated ${escapeHtml(summary.generatedAt)}.</p>
</body>
</html>
`;
}

/** The summary as JSON text. */
export function renderSummaryJson(summary: ReportSummary): string {
  return `${JSON.stringify(summary, null, 2)}\n`;
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
    if (
      !isObject(v) ||
      !isCount(v.count) ||
      typeof v.directive !== "string" ||
      typeof v.blocked !== "string" ||
      typeof v.page !== "string" ||
      (v.disposition !== "enforce" && v.disposition !== "report")
    ) {
      return fail(`top[${i}]`, "{ directive, blocked, page, disposition, count, lastSeen, sample }", v);
    }
    topOut.push({
      directive: bound(v.directive, MAX_FIELD_CHARS),
      blocked: bound(v.blocked, MAX_FIELD_CHARS),
      page: bound(v.page, MAX_FIELD_CHARS),
      disposition: v.disposition,
      count: v.count,
      lastSeen: typeof v.lastSeen === "string" ? bound(v.lastSeen, 40) : "",
      sample: typeof v.sample === "string" ? bound(v.sample, MAX_SAMPLE_CHARS) : "",
    });
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
  return {
    ok: true,
    value: {
      generatedAt: typeof input.generatedAt === "string" ? bound(input.generatedAt, 40) : "",
      window: { days: window.days, from: bound(window.from, 10), to: bound(window.to, 10) },
      totals: { all: totals.all, enforce: totals.enforce, report: totals.report },
      top: topOut,
      byDirective: directivesOut,
      byDay: daysOut,
    },
  };
}

/** The summary as plain-text tables for a terminal: the same facts as the HTML page. */
export function renderSummaryText(summary: ReportSummary, limit = 20): string {
  const { totals, window } = summary;
  const lines: string[] = [
    `CSP violations ${window.from} to ${window.to} (UTC, ${window.days} days): ${totals.all} stored, ` +
      `${totals.enforce} blocked (enforced), ${totals.report} report-only`,
    "",
  ];
  if (summary.top.length === 0) {
    lines.push("No violations in this window.");
  } else {
    lines.push("Top violations");
    lines.push(
      ...table(
        ["COUNT", "DIRECTIVE", "MODE", "BLOCKED", "PAGE", "LAST SEEN"],
        summary.top.slice(0, limit).map((v) => [String(v.count), v.directive, v.disposition, clip(v.blocked, 60), clip(v.page, 60), v.lastSeen.slice(0, 16)]),
        [true],
      ),
    );
    if (summary.top.length > limit) lines.push(`… and ${summary.top.length - limit} more (--json shows all)`);
    lines.push("", "By directive");
    lines.push(...table(["COUNT", "DIRECTIVE"], summary.byDirective.map((d) => [String(d.count), d.directive]), [true]));
  }
  return `${lines.join("\n")}\n`;
}

function table(header: readonly string[], rows: readonly string[][], rightAligned: readonly boolean[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const render = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (rightAligned[i] === true ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [render(header), ...rows.map(render)].map((line) => `  ${line}`);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** Whether an Accept header prefers JSON to HTML (q-values honoured; a tie, or no Accept, means HTML). */
export function prefersJson(accept: string | null): boolean {
  if (accept === null) return false;
  const ranges: { type: string; q: number }[] = [];
  for (const part of accept.split(",").slice(0, 32)) {
    const [type = "", ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith("q="));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (type !== "" && q >= 0 && q <= 1) ranges.push({ type, q });
  }
  return quality(ranges, "application/json") > quality(ranges, "text/html");
}

/** The q of the most specific range matching `type` (RFC 9110 §12.5.1), 0 when none does. */
function quality(ranges: readonly { type: string; q: number }[], type: string): number {
  const major = `${type.split("/", 1)[0] ?? ""}/*`;
  for (const candidate of [type, major, "*/*"]) {
    const hit = ranges.find((r) => r.type === candidate);
    if (hit !== undefined) return hit.q;
  }
  return 0;
}
