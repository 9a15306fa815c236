// `scan`'s report for people: what was scanned, the base and each rule, where nonces go and what to mark,
// what the policy blocks on purpose with the fix and the fallback, and the grade.

import type { Style } from "../io.js";
import { printable } from "../printable.js";
import type { PolicyOut, RuleOut } from "./build-policy.js";
import type { PageFinding } from "./findings.js";
import type { PolicyGrade } from "./policy-grade.js";
import type { ScanReport } from "./synthesize.js";

/** The whole report as text. `written` names where the document went ("" for stdout). */
export function renderScanReport(report: ScanReport, document: PolicyOut, grade: PolicyGrade, written: string, style: Style): string {
  const pages = report.paths.filter((p) => p.kind === "page").length;
  const workers = report.paths.length - pages;
  const lines = [
    style.bold(
      `Scanned ${report.origin}: ${count(pages, "page")}${workers > 0 ? ` and ${count(workers, "worker script")}` : ""}, each loaded twice in Chromium`,
    ),
    "",
    style.bold("Base policy (every path)"),
    `  ${renderDirectives(document.csp.directives ?? {})}`,
    ...(document.nonce === undefined ? [] : [`  nonce: ${renderNonce(document.nonce)}`]),
    "",
    ...renderRules(document.rules ?? [], report, style),
    ...renderNonces(report, style),
    ...renderFindings(report.findings, style),
    ...section(
      "Notes",
      report.notes.map((n) => `  · ${n}`),
      style,
    ),
    ...section(
      "Not scanned",
      report.skipped.map((s) => `  · ${s.url}: ${s.reason}`),
      style,
    ),
    style.bold("Policy"),
    `  ${written === "" ? "written to stdout" : `written to ${written}`}`,
    ...renderGrade(grade, style),
    "",
    "Next: `validate` and `explain` it, `push` it to staging with CSP_REPORT_ONLY, browse, then `reports <url> --suggest` (docs/csp.md).",
  ];
  return `${lines.map((l) => printable(l)).join("\n")}\n`;
}

function renderDirectives(directives: Readonly<Record<string, readonly string[]>>): string {
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(" ")}`)
    .join("; ");
}

function renderNonce(nonce: Exclude<RuleOut["nonce"], undefined>): string {
  if (nonce === false) return "off";
  const what = [nonce.scripts ? "scripts" : "", nonce.styles ? "styles" : ""].filter((w) => w !== "").join(" and ");
  return `${nonce.mode}, for ${what}${nonce.strictDynamic ? ", with 'strict-dynamic'" : ""}`;
}

function renderRules(rules: readonly RuleOut[], report: ScanReport, style: Style): string[] {
  if (rules.length === 0) return [style.bold("Rules: none"), "  every scanned path needs only the base", ""];
  const out = [style.bold(`Rules (${rules.length}): what a path needs beyond the base`)];
  for (const rule of rules) {
    const kind = report.paths.find((p) => p.path === rule.path)?.kind === "worker" ? " (worker script)" : "";
    out.push(`  ${rule.path}${kind}`);
    for (const [name, sources] of Object.entries(rule.csp?.directives ?? {})) out.push(`    ${name} = ${sources.join(" ")}`);
    for (const [name, sources] of Object.entries(rule.csp?.add ?? {})) out.push(`    ${name} + ${sources.join(" ")}`);
    if (rule.nonce !== undefined) out.push(`    nonce: ${renderNonce(rule.nonce)}`);
  }
  out.push("");
  return out;
}

function renderNonces(report: ScanReport, style: Style): string[] {
  const paths = report.paths.filter((p) => p.nonce !== undefined);
  if (paths.length === 0) return [];
  const out = [style.bold(`Nonces (${report.nonceMode})`)];
  for (const p of paths) out.push(`  ${p.path}: ${p.nonce?.reasons.join("; ") ?? ""}`);
  if (report.nonceMode === "marked") {
    out.push("  Marked nonces need the site's secret marker: the Worker's NONCE_MARKER secret (`npx wrangler secret put NONCE_MARKER`).");
    if (report.markerFound) out.push("  The origin already writes a marker (its value is not shown): give the Worker that same value.");
    const unmarked = paths.flatMap((p) => (p.nonce?.unmarked ?? []).map((label) => `    ${p.path}: ${label}`));
    if (unmarked.length > 0) out.push('  Until the origin writes nonce="<marker>" on these elements, they stay blocked:', ...unmarked);
    else out.push("  Every element that needs the nonce already carries the marker.");
  }
  out.push("");
  return out;
}

function renderFindings(findings: readonly PageFinding[], style: Style): string[] {
  if (findings.length === 0) return [];
  const out = [style.bold(`Not allowed (${findings.length}): the policy blocks these on purpose`)];
  for (const f of findings) {
    out.push(`  ${style.red("✗")} ${f.what}`, `    on ${f.paths.join(", ")}`, `    fix: ${f.fix}`);
    if (f.fallback !== undefined) {
      const json = `"${f.fallback.directive}": [${f.fallback.sources.map((s) => JSON.stringify(s)).join(", ")}]`;
      out.push(
        f.fallback.applied
          ? `    applied instead: ${json} (${f.fallback.cost})`
          : `    fallback: add ${json} to the path's rule (csp.add); it ${f.fallback.cost}`,
      );
    }
  }
  out.push("");
  return out;
}

function renderGrade(grade: PolicyGrade, style: Style): string[] {
  const mark = grade.valid ? style.green("✓") : style.red("✗");
  const lines = grade.lines.map((line, i) => (i === 0 ? `  ${mark} ${line}` : `    ${line}`));
  for (const p of grade.paths) {
    const why = p.grade === null && p.ungraded !== undefined ? `: ${p.ungraded}` : "";
    lines.push(`  grade ${style.bold(p.grade ?? "none")}${p.score === null ? "" : ` (${p.score})`} on ${p.path}${why}`);
    for (const weakness of p.weaknesses ?? []) lines.push(`    ${style.red("✗")} ${weakness}`);
  }
  if (grade.paths.length > 0)
    lines.push("    (the Observatory's grade, offline, as the Worker would send this document over https: `check` explains it)");
  return lines;
}

function section(title: string, lines: readonly string[], style: Style): string[] {
  return lines.length === 0 ? [] : [style.bold(title), ...lines, ""];
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}
