// What `explain` says: the explanation's shape (its --json output) and how it is printed for a person.

import { renderIssue } from "../support/documents.js";
import type { BundleAttribution, Explanation } from "../support/explain-response.js";
import type { Io, Style } from "../support/io.js";
import { printable } from "../support/printable.js";

export type { BundleAttribution, Explanation, OpOutcome } from "../support/explain-response.js";

/** One line per bundle: "stripe (KV: csp.allow[0]) adds script-src https://js.stripe.com; connect-src …". */
function renderBundle(b: BundleAttribution, style: Style): string {
  const parts = Object.entries(b.added).map(([directive, sources]) => `${directive} ${sources.join(" ")}`);
  const what =
    parts.length === 0 ? style.dim("adds nothing here (already allowed, or replaced by a later layer)") : `adds ${parts.join("; ")}`;
  return `${printable(b.bundle)} ${style.dim(`(${b.from}: ${b.path})`)} ${printable(what)}`;
}

/** Group directives by the layer that decided them: "default-src, object-src ← defaults; img-src ← KV". */
function renderAttribution(entries: readonly { directive: string; from: string }[], style: Style): string {
  const byFrom = new Map<string, string[]>();
  for (const { directive, from } of entries) byFrom.set(from, [...(byFrom.get(from) ?? []), directive]);
  return [...byFrom].map(([from, directives]) => `${printable(directives.join(", "))} ${style.dim("←")} ${printable(from)}`).join("; ");
}

/** Print the explanation for a person: the request, the rules, then the headers sent, removed and passed through. */
export function renderExplanation(x: Explanation, io: Io): void {
  const { style } = io;
  const { request } = x;
  const label = (text: string) => style.bold(text.padEnd(12));
  io.out(
    `${label("Request")}GET ${printable(request.path)} over ${request.https ? "https" : "http"}, the origin answers ${request.status}` +
      `${request.contentType === null ? " without a Content-Type" : ` (Content-Type: ${printable(request.contentType)})`}\n`,
  );
  io.out(`${label("Environment")}${printable(x.environment)}\n`);
  if (x.everyRequest !== null) {
    io.out(
      `${label("Response")}${style.red(style.bold(`${x.everyRequest.status} for EVERY request`))} (${printable(x.everyRequest.event)}): ` +
        `${printable(x.everyRequest.hint)}. What follows is what the Worker sends once that is set.\n`,
    );
  }
  if (x.route.refused !== null)
    io.out(
      `${label("Path")}${style.red("refused")}: the Worker answers 400 with the base policy and never asks the origin (${printable(x.route.refused)})\n`,
    );
  else if (x.route.matchedAs !== null) {
    io.out(`${label("Path")}rules match it as ${printable(x.route.matchedAs)}\n`);
    for (const reading of x.route.readings) {
      io.out(`${" ".repeat(12)}and read ${printable(reading.how)} as ${printable(reading.path)}: the same rules\n`);
    }
  }
  io.out(`${label("Layers")}${printable(x.layers.join(" < "))}${x.reportOnly ? ", then CSP_REPORT_ONLY=true" : ""}\n`);
  if (x.rules.applied.length === 0 && x.rules.skippedForContentType.length === 0) {
    io.out(`${label("Rules")}none match ${printable(request.path)}\n`);
  } else {
    io.out(`${label("Rules")}${x.rules.applied.length === 0 ? "none applied" : "applied, in order (a later one wins):"}\n`);
    for (const rule of x.rules.applied) {
      io.out(
        `${" ".repeat(14)}${printable(rule.from)}${rule.description === undefined ? "" : style.dim(`  ${printable(rule.description)}`)}\n`,
      );
    }
    if (x.rules.skippedForContentType.length > 0) {
      io.out(`${" ".repeat(12)}matched the path but skipped for this content type:\n`);
      for (const rule of x.rules.skippedForContentType) {
        io.out(`${" ".repeat(14)}${printable(rule.from)} ${style.dim(`(only for ${printable(rule.contentTypes.join(", "))})`)}\n`);
      }
    }
  }
  for (const conflict of x.rules.conflicts) {
    io.out(`${style.yellow("warning")}     ${printable(conflict.rule)} is skipped here: it cannot be combined with the rules before it\n`);
    for (const issue of conflict.issues) io.out(`${" ".repeat(14)}${renderIssue(issue, style)}\n`);
  }
  const others = x.origin.filter((h) => h.name.toLowerCase() !== "content-type");
  io.out(
    `${label("Origin")}simulated, sending ${others.length === 0 ? "no security headers" : printable(others.map((h) => h.name).join(", "))}` +
      `${request.contentType === null ? "" : " and a Content-Type"}${others.length === 0 ? ` ${style.dim('(add --origin-header "Name: value")')}` : ""}\n`,
  );

  if (x.nonce !== null) io.out(`${label("Nonce")}${printable(x.nonce)}\n`);
  for (const w of x.bundleWarnings)
    io.out(`${style.yellow("warning")}     ${printable(w.where)} "${printable(w.bundle)}": ${printable(w.message)}\n`);
  if (x.refused !== null) io.out(`${label("Refused")}${printable(`502 Bad Gateway instead of the origin's response: ${x.refused}`)}\n`);
  io.out(`\n${style.bold("Headers the Worker sends")}\n`);
  for (const op of x.sent) {
    if (op.value === null) continue;
    io.out(
      `  ${printable(op.name)}: ${printable(op.value)}\n    ${style.dim("←")} ${printable(op.from)} ${style.dim(`· ${op.outcome}`)}\n`,
    );
    const directives = x.cspDirectives[op.name.toLowerCase()];
    if (op.policyValue && directives !== undefined && directives.length > 0) {
      io.out(`    ${style.dim("directives:")} ${renderAttribution(directives, style)}\n`);
    }
    if (op.policyValue)
      for (const b of x.cspBundles[op.name.toLowerCase()] ?? []) io.out(`    ${style.dim("bundle")} ${renderBundle(b, style)}\n`);
  }
  io.out(`\n${style.bold("Removed")}\n`);
  if (x.removed.length === 0) io.out("  nothing\n");
  const width = Math.max(0, ...x.removed.map((op) => printable(op.name).length));
  for (const op of x.removed)
    io.out(`  ${printable(op.name).padEnd(width)}  ${style.dim("←")} ${printable(op.from)} ${style.dim(`· ${op.outcome}`)}\n`);
  io.out(`\n${style.bold("Passed through from the origin unchanged")}\n`);
  // Set-Cookie lines, hardened one by one, are shown under Cookies when the policy has cookie entries.
  const passed = x.cookies == null ? x.passedThrough : x.passedThrough.filter(({ name }) => name.toLowerCase() !== "set-cookie");
  if (passed.length === 0) io.out("  nothing\n");
  for (const header of passed) io.out(`  ${printable(header.name)}: ${printable(header.value)}\n`);
}
