// `reports --suggest` for people: the proposals per path and directive with their evidence, the nonce
// suggestions, and what was left out and why.

import type { Style } from "../io.js";
import { printable } from "../printable.js";
import type { LeftOut, NonceSuggestion, Proposal, Suggestions } from "./suggest.js";

/** The suggestions as text; `window` names the days the reports cover. */
export function renderSuggestions(
  suggestions: Suggestions,
  window: { days: number; from: string; to: string },
  truncated: boolean,
  style: Style,
): string {
  const lines = [style.bold(`Suggestions from the reports of ${window.from} to ${window.to} (${window.days} days)`), ""];
  if (truncated)
    lines.push(style.yellow("! the Worker answered only its most frequent violations; run again after fixing these, or with --days 1"), "");
  if (suggestions.proposals.length === 0) lines.push("No source to add.", "");
  else lines.push(...renderProposals(suggestions.proposals, style));
  lines.push(...renderNonces(suggestions.nonces, style), ...renderLeftOut(suggestions.leftOut, style));
  lines.push(
    "Write the additions with --out FILE (with --policy FILE: merged into the document the site runs, from `pull`); review them, then `validate`, `explain` and `push`.",
  );
  return `${lines.map((l) => printable(l)).join("\n")}\n`;
}

function renderProposals(proposals: readonly Proposal[], style: Style): string[] {
  const out = [style.bold("Add")];
  let path: string | undefined;
  for (const p of proposals) {
    if (p.path !== path) {
      path = p.path;
      out.push(`  ${path === "" ? "(every path: the base)" : path}`);
    }
    const clients = p.clients === 0 ? "clients unknown" : `${p.clients}+ client${p.clients === 1 ? "" : "s"}`;
    const pages = p.path === "" ? ` on ${p.pages.slice(0, 5).join(", ")}${p.pages.length > 5 ? ", …" : ""}` : "";
    out.push(
      `    ${p.directive} + ${p.source}   ${style.dim(`${p.blocked === "inline" ? "inline code" : p.blocked}: ${p.count} report${p.count === 1 ? "" : "s"}, ${clients}${pages}, ${day(p.firstSeen)} to ${day(p.lastSeen)}, ${p.dispositions.join("/")}`)}`,
    );
  }
  out.push("");
  return out;
}

function renderNonces(nonces: readonly NonceSuggestion[], style: Style): string[] {
  if (nonces.length === 0) return [];
  const out = [style.bold("Use a nonce (the reports carry only the first 40 characters: no hash can be computed)")];
  for (const n of nonces) {
    out.push(
      `  ${n.path || "(a path no rule can name)"} ${n.directive}: ${n.count} report${n.count === 1 ? "" : "s"}${n.samples[0] === undefined ? "" : `, e.g. ${JSON.stringify(n.samples[0])}`}`,
    );
  }
  out.push(
    '  → "nonce": { "mode": "marked" } on those paths, with the origin writing the marker on the element (docs/csp.md),',
    "    or run `hashes` on the page to hash its inline code whole. Never 'unsafe-inline'.",
    "",
  );
  return out;
}

function renderLeftOut(left: readonly LeftOut[], style: Style): string[] {
  if (left.length === 0) return [];
  const out = [style.bold("Left out")];
  for (const l of left) {
    out.push(
      `  ${l.blocked} (${l.directive}) on ${l.pages
        .slice(0, 5)
        .map((p) => p || "?")
        .join(", ")}${l.pages.length > 5 ? ", …" : ""}: ${l.count} report${l.count === 1 ? "" : "s"}`,
      `    ${style.dim(l.reason)}`,
    );
  }
  out.push("");
  return out;
}

function day(iso: string): string {
  return iso.slice(0, 10);
}
