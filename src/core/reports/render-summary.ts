// The report summary rendered: the HTML page with server-rendered SVG charts, JSON text, and text tables for the CLI.

import { cut } from "../shared/text.js";
import { REPORT_DROP_REASONS, REQUEST_REFUSAL_REASONS } from "./drops.js";
import type { DropSummary, ReportSummary } from "./summary.js";

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
    const label = cut(row.label, 28);
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
${barChart(
  "Violations by directive",
  summary.byDirective.map((d) => ({ label: d.directive, count: d.count })),
)}
<h2>By day</h2>
${barChart(
  "Violations by day",
  summary.byDay.map((d) => ({ label: d.day, count: d.count })),
)}
${summary.dropped === undefined ? "" : dropsHtml(summary.dropped)}
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

/** What was not stored, and why: a sentence, a bar chart and a table; only numbers and our own labels. */
function dropsHtml(dropped: DropSummary): string {
  const rows = droppedRows(dropped);
  const table =
    rows.length === 0
      ? ""
      : `<table>
<thead><tr><th class="n">Reports</th><th>Reason</th><th>What it means</th></tr></thead>
<tbody>
${rows.map((r) => `<tr><td class="n">${r.count}</td><td>${escapeHtml(r.label)}</td><td>${escapeHtml(r.meaning)}</td></tr>`).join("\n")}
</tbody>
</table>`;
  return `<h2>Not stored</h2>
<p>${escapeHtml(dropsSentence(dropped))}</p>
${
  rows.length === 0
    ? ""
    : barChart(
        "Dropped reports by reason",
        rows.map((r) => ({ label: r.label, count: r.count })),
      )
}
${table}
`;
}

/** The reasons with a count, most first: known reasons by their label, others by their name. */
function droppedRows(dropped: DropSummary): { label: string; meaning: string; count: number }[] {
  return Object.entries(dropped.byReason)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => {
      const known = REPORT_DROP_REASONS.find((r) => r.reason === reason);
      return { label: known?.label ?? reason, meaning: known?.meaning ?? "", count };
    })
    .sort((a, b) => b.count - a.count);
}

/** One sentence: received, stored, dropped, and the requests refused before they were read. */
function dropsSentence(dropped: DropSummary): string {
  const stored = dropped.received - dropped.reports;
  const head =
    dropped.reports === 0
      ? `${dropped.received} report${dropped.received === 1 ? "" : "s"} received, all stored.`
      : `${dropped.received} reports received: ${stored} stored, ${dropped.reports} dropped.`;
  const refused = Object.entries(dropped.refusedRequests).filter(([, count]) => count > 0);
  if (refused.length === 0) return head;
  const total = refused.reduce((sum, [, count]) => sum + count, 0);
  const parts = refused.map(([reason, count]) => `${count} ${REQUEST_REFUSAL_REASONS.find((r) => r.reason === reason)?.label ?? reason}`);
  return `${head} ${total} request${total === 1 ? " was" : "s were"} refused before their reports were read (${parts.join(", ")}).`;
}

/** The summary as JSON text. */
export function renderSummaryJson(summary: ReportSummary): string {
  return `${JSON.stringify(summary, null, 2)}\n`;
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
        summary.top
          .slice(0, limit)
          .map((v) => [String(v.count), v.directive, v.disposition, cut(v.blocked, 60), cut(v.page, 60), v.lastSeen.slice(0, 16)]),
        [true],
      ),
    );
    if (summary.top.length > limit) lines.push(`… and ${summary.top.length - limit} more (--json shows all)`);
    lines.push("", "By directive");
    lines.push(
      ...table(
        ["COUNT", "DIRECTIVE"],
        summary.byDirective.map((d) => [String(d.count), d.directive]),
        [true],
      ),
    );
  }
  if (summary.dropped !== undefined) lines.push("", ...dropsText(summary.dropped));
  return `${lines.join("\n")}\n`;
}

/** What was not stored, as a sentence and a table of reasons. */
function dropsText(dropped: DropSummary): string[] {
  const rows = droppedRows(dropped);
  if (rows.length === 0) return [dropsSentence(dropped)];
  return [
    dropsSentence(dropped),
    "",
    "Not stored",
    ...table(
      ["COUNT", "REASON", "WHAT IT MEANS"],
      rows.map((r) => [String(r.count), r.label, r.meaning]),
      [true],
    ),
  ];
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
