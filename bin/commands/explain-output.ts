// What `explain` says: the explanation's shape (its --json output) and how it is printed for a person.

import type { HeaderOp } from "../../src/core/policy/types.js";
import type { PolicyIssue } from "../../src/core/shared/result.js";
import { renderIssue } from "../support/documents.js";
import type { Io, Style } from "../support/io.js";
import type { BundleWarning } from "../../src/core/csp/bundles-warnings.js";
import { printable } from "../support/printable.js";
import type { CookieExplanation } from "./explain-cookies.js";

/** What happened to one owned header. */
export interface OpOutcome {
  readonly name: string;
  readonly action: HeaderOp["kind"];
  readonly from: string;
  /** The value in the response, or null when the header is absent from it. */
  readonly value: string | null;
  readonly originValue: string | null;
  /** True when the value sent is the policy's (not the origin's kept). */
  readonly policyValue: boolean;
  readonly outcome: string;
}

/** Everything explain found for one request: its --json output. */
export interface Explanation {
  /** The bindings the policy was compiled under. */
  readonly environment: string;
  /** What the Worker answers every request with these bindings, when it refuses them all (no origin); else null. */
  readonly everyRequest: { readonly status: number; readonly event: string; readonly hint: string } | null;
  readonly request: {
    readonly method: "GET";
    readonly path: string;
    readonly https: boolean;
    readonly status: number;
    readonly contentType: string | null;
  };
  /** The canonical path the rules matched (null without rules, or when refused), or why the Worker refuses it. */
  readonly route: {
    readonly matchedAs: string | null;
    /** The other ways origins read the path, each selecting the same rules (else it is refused). */
    readonly readings: readonly { readonly path: string; readonly how: string }[];
    readonly refused: string | null;
  };
  readonly layers: readonly string[];
  readonly reportOnly: boolean;
  /** The simulated origin response's headers. */
  readonly origin: readonly { readonly name: string; readonly value: string }[];
  readonly rules: {
    readonly applied: readonly { readonly from: string; readonly pattern: string; readonly description: string | undefined }[];
    readonly skippedForContentType: readonly {
      readonly from: string;
      readonly pattern: string;
      readonly contentTypes: readonly string[];
    }[];
    /** Rules the Worker skips on this path because they cannot be combined with the ones before them. */
    readonly conflicts: readonly { readonly rule: string; readonly issues: readonly PolicyIssue[] }[];
  };
  readonly sent: readonly OpOutcome[];
  readonly removed: readonly OpOutcome[];
  readonly passedThrough: readonly { readonly name: string; readonly value: string }[];
  /** The cookie entries for this path and what each origin Set-Cookie line becomes (bin/commands/explain-cookies.ts). */
  readonly cookies?: CookieExplanation | null;
  /** How the nonce plan applies to this response, when the policy asks for nonces. */
  readonly nonce: string | null;
  /** Why the Worker answers 502 instead of the origin's response (a marker could leave), or null. */
  readonly refused: string | null;
  /** Per CSP header: which layer or rule last decided each directive. */
  readonly cspDirectives: Readonly<Record<string, readonly { readonly directive: string; readonly from: string }[]>>;
  /** Per CSP header: the source bundles behind it, where each was allowed, and the sources it adds per directive. */
  readonly cspBundles: Readonly<Record<string, readonly BundleAttribution[]>>;
  /** What the bundles on this path still need from the policy (a nonce, say). */
  readonly bundleWarnings: readonly BundleWarning[];
}

/** One bundle behind a CSP header. */
export interface BundleAttribution {
  readonly bundle: string;
  readonly from: string;
  readonly path: string;
  /** Directive → the sources the bundle adds (empty: it adds nothing here). */
  readonly added: Readonly<Record<string, readonly string[]>>;
}

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
