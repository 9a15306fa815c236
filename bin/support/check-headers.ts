// Judge a live response's raw header lines (present, valid, duplicated, leaking) for the `check` command;
// pure, so its verdicts are unit tested without a network.

import { isEffectiveCsp } from "../../src/core/csp/csp-restricts.js";
import { parseCspString } from "../../src/core/csp/parse-csp.js";
import { parseHsts, specFor } from "../../src/core/headers/known-headers.js";
import { cut } from "../../src/core/shared/text.js";
import { isVersionFree, VERSION_HEADERS } from "../../src/core/headers/strip-version.js";

/** A defect fails the check (exit 1); a note is worth reading but fails nothing. */
export type Severity = "defect" | "note";

export interface Finding {
  readonly severity: Severity;
  readonly message: string;
}

/** What became of one header in the response. */
export type HeaderState = "present" | "missing" | "not-applicable";

export interface HeaderReport {
  /** The canonical name. */
  readonly name: string;
  /** Each line's value, in the order received; empty when the header is missing. */
  readonly lines: readonly string[];
  readonly state: HeaderState;
  /** For a present header, whether a browser would act on its value; undefined otherwise. */
  readonly valid: boolean | undefined;
  readonly findings: readonly Finding[];
}

export interface HeaderCheck {
  /** Every checked security header, in CHECKED_HEADERS order, present or not. */
  readonly headers: readonly HeaderReport[];
  /** Leak headers that were present (absent ones are not listed). */
  readonly leaks: readonly HeaderReport[];
  /** Findings about the response as a whole (status, redirects). */
  readonly general: readonly Finding[];
  readonly defects: number;
}

/** What a missing header means: a defect, a note recommending it, or nothing (it is optional). */
type WhenMissing = "defect" | "note" | "fine";

/** The security headers `check` reports on. Missing ones in `defect` are the ones the built-in defaults send. */
export const CHECKED_HEADERS: readonly { readonly name: string; readonly whenMissing: WhenMissing }[] = [
  { name: "Strict-Transport-Security", whenMissing: "defect" },
  { name: "Content-Security-Policy", whenMissing: "defect" },
  { name: "Content-Security-Policy-Report-Only", whenMissing: "fine" },
  { name: "X-Frame-Options", whenMissing: "defect" },
  { name: "X-Content-Type-Options", whenMissing: "defect" },
  { name: "Referrer-Policy", whenMissing: "defect" },
  { name: "Permissions-Policy", whenMissing: "defect" },
  { name: "Cross-Origin-Opener-Policy", whenMissing: "note" },
  { name: "Cross-Origin-Resource-Policy", whenMissing: "note" },
];

/** What a missing required header leaves open, for the report. */
const MISSING_MEANS: ReadonlyMap<string, string> = new Map([
  ["content-security-policy", "nothing limits where scripts, styles and frames come from"],
  ["x-frame-options", "any site may frame this page (clickjacking)"],
  ["x-content-type-options", "browsers may sniff the body as another content type"],
  ["referrer-policy", "how much of the URL leaks to other sites is left to each browser"],
  ["permissions-policy", "embedded content may ask for powerful features (camera, geolocation, …)"],
]);

/** Headers whose mere presence tells an attacker which software (and often which version) to target. */
export const LEAK_HEADERS: readonly string[] = ["X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version"];

/** One year: what the HSTS preload list and most scanners ask for. */
const HSTS_RECOMMENDED_MAX_AGE = 31536000;

export interface CheckOptions {
  /** Whether the response came over https (HSTS only counts there). */
  readonly https: boolean;
  /** The response status: a redirect is not rendered, so page headers are optional on it. */
  readonly status: number;
}

interface Lines {
  readonly name: string;
  readonly values: string[];
}

/** Group Node's `rawHeaders` ([name, value, name, value, …]) by lower-case name, keeping every line. */
function groupLines(rawHeaders: readonly string[]): Map<string, Lines> {
  const byName = new Map<string, Lines>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? "";
    const value = (rawHeaders[i + 1] ?? "").trim();
    const lower = name.toLowerCase();
    const entry = byName.get(lower);
    if (entry === undefined) byName.set(lower, { name, values: [value] });
    else entry.values.push(value);
  }
  return byName;
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400 && status !== 304;
}

/** Judge one response's raw header lines (as `res.rawHeaders` gives them, duplicates kept). */
export function checkHeaders(rawHeaders: readonly string[], options: CheckOptions): HeaderCheck {
  const lines = groupLines(rawHeaders);
  const valuesOf = (name: string): readonly string[] => lines.get(name.toLowerCase())?.values ?? [];
  const redirect = isRedirect(options.status);
  const general: Finding[] = [];
  if (redirect) {
    general.push({
      severity: "note",
      message:
        "a redirect: it is not rendered, so missing page headers are not defects here (HSTS on https still is); check the page it leads to as well",
    });
  }
  const frameAncestors = valuesOf("Content-Security-Policy").some(hasFrameAncestors);
  const hasReportOnly = valuesOf("Content-Security-Policy-Report-Only").length > 0;
  const headers = CHECKED_HEADERS.map(({ name, whenMissing }) =>
    reportHeader(name, valuesOf(name), { ...options, redirect, whenMissing, frameAncestors, hasReportOnly }),
  );
  const leaks: HeaderReport[] = [];
  for (const name of LEAK_HEADERS) {
    const values = valuesOf(name);
    if (values.length === 0) continue;
    leaks.push({
      name,
      lines: values,
      state: "present",
      valid: undefined,
      findings: [{ severity: "defect", message: "reveals the software stack to attackers; remove it (the built-in defaults do)" }],
    });
  }
  // A Server (Via, X-Generator, …) naming a version ("nginx/1.25.3"), not just a product ("cloudflare"):
  // the same judgement as the Worker's strip-version action, which the built-in defaults apply.
  for (const name of VERSION_HEADERS) {
    const values = valuesOf(name);
    if (values.every((value) => isVersionFree(name, value))) continue;
    leaks.push({
      name,
      lines: values,
      state: "present",
      valid: undefined,
      findings: [
        {
          severity: "defect",
          message:
            "names a version, telling attackers which known vulnerabilities to try; send a bare product name or nothing (the built-in defaults strip it)",
        },
      ],
    });
  }
  const all = [...headers, ...leaks].flatMap((h) => h.findings).concat(general);
  return { headers, leaks, general, defects: all.filter((f) => f.severity === "defect").length };
}

interface HeaderContext extends CheckOptions {
  readonly redirect: boolean;
  readonly whenMissing: WhenMissing;
  readonly frameAncestors: boolean;
  readonly hasReportOnly: boolean;
}

function reportHeader(name: string, values: readonly string[], context: HeaderContext): HeaderReport {
  const lower = name.toLowerCase();
  if (values.length === 0) return missingHeader(name, lower, context);
  const findings: Finding[] = [];
  if (values.length > 1) {
    findings.push({
      severity: "defect",
      message:
        lower === "content-security-policy" || lower === "content-security-policy-report-only"
          ? `${values.length} lines: browsers apply every one, so the strictest wins, usually because two layers each add a policy; send one`
          : `${values.length} lines: browsers combine or pick them inconsistently; send it once`,
    });
  }
  let valid: boolean;
  switch (lower) {
    case "strict-transport-security":
      valid = judgeHsts(values, context.https, findings);
      break;
    case "content-security-policy":
    case "content-security-policy-report-only":
      valid = judgeCsp(values, findings);
      break;
    default: {
      const spec = specFor(lower);
      // Repeated lines reach the browser joined by ", ": judge what it sees ("DENY, SAMEORIGIN" is invalid).
      valid = spec.isValid(values.join(", "));
      if (!valid) findings.push({ severity: "defect", message: `invalid, so browsers ignore it: expected ${spec.expected}` });
    }
  }
  return { name, lines: values, state: "present", valid, findings };
}

function missingHeader(name: string, lower: string, context: HeaderContext): HeaderReport {
  const absent = (state: HeaderState, findings: Finding[]): HeaderReport => ({ name, lines: [], state, valid: undefined, findings });
  if (lower === "strict-transport-security") {
    if (!context.https) {
      return absent("not-applicable", [
        {
          severity: "note",
          message:
            "HSTS cannot be sent over http (browsers ignore it there), so its absence is not a defect of this response. " +
            "Check the https:// URL; if the site has no https at all, this check cannot tell from here, and nothing protects visitors from downgrade",
        },
      ]);
    }
    return absent("missing", [{ severity: "defect", message: "missing: browsers may be downgraded to http on the next visit" }]);
  }
  if (context.redirect || context.whenMissing === "fine") return absent("missing", []);
  if (lower === "x-frame-options" && context.frameAncestors) {
    return absent("missing", [{ severity: "note", message: "missing, but CSP frame-ancestors covers framing in current browsers" }]);
  }
  if (context.whenMissing === "note") return absent("missing", [{ severity: "note", message: "missing (recommended, not required)" }]);
  const reportOnly = lower === "content-security-policy" && context.hasReportOnly ? " (the Report-Only policy enforces nothing)" : "";
  const means = MISSING_MEANS.get(lower);
  return absent("missing", [{ severity: "defect", message: `missing${means === undefined ? "" : `: ${means}`}${reportOnly}` }]);
}

function judgeHsts(values: readonly string[], https: boolean, findings: Finding[]): boolean {
  if (!https) {
    findings.push({
      severity: "defect",
      message: "sent over plain http: browsers must ignore it there (RFC 6797 §8.1) and it misleads; send it on https only",
    });
  }
  // RFC 6797 §8.1: a browser processes only the first HSTS line.
  const parsed = parseHsts(values[0] ?? "");
  if (parsed === null) {
    findings.push({
      severity: "defect",
      message: "invalid, so browsers ignore it: expected max-age=<seconds> with optional includeSubDomains and preload, each once",
    });
    return false;
  }
  if (https && parsed.maxAge === 0) {
    findings.push({ severity: "note", message: "max-age=0 tells browsers to forget HSTS for this host" });
  } else if (https && parsed.maxAge < HSTS_RECOMMENDED_MAX_AGE) {
    findings.push({
      severity: "note",
      message: `max-age under one year (${HSTS_RECOMMENDED_MAX_AGE}), which the preload list and most scanners ask for`,
    });
  }
  return true;
}

/** True when a problem only concerns a nonce: fixed nonces are refused in a policy file, but a live response's are fresh. */
function isNonceProblem(received: string): boolean {
  return /^'nonce-/i.test(received);
}

function judgeCsp(values: readonly string[], findings: Finding[]): boolean {
  let valid = true;
  for (const line of values) {
    if (!isEffectiveCsp(line)) {
      findings.push({ severity: "defect", message: `no directive a browser acts on: ${JSON.stringify(cut(line, 80))}` });
      valid = false;
      continue;
    }
    // One header may carry several policies separated by commas; each is a policy of its own.
    for (const policy of line.split(",")) {
      for (const problem of parseCspString(policy).problems) {
        if (isNonceProblem(problem.received)) continue;
        const where = problem.directive === "" ? "" : `${problem.directive}: `;
        findings.push({
          severity: "defect",
          message: `${where}expected ${problem.message}, received ${JSON.stringify(cut(problem.received, 80))}`,
        });
        valid = false;
      }
    }
  }
  return valid;
}

function hasFrameAncestors(csp: string): boolean {
  return csp.split(/[;,]/).some((directive) => directive.trim().toLowerCase().split(/\s+/, 1)[0] === "frame-ancestors");
}

/** What the http:// form of an https URL answered, judged: it should redirect to https at once. */
export function checkHttpForm(status: number, location: string | null, httpUrl: string): Finding[] {
  if (isRedirect(status)) {
    let target: URL | undefined;
    try {
      target = location === null ? undefined : new URL(location, httpUrl);
    } catch {
      target = undefined;
    }
    if (target === undefined)
      return [{ severity: "defect", message: `a ${status} redirect without a usable Location (${JSON.stringify(location)})` }];
    if (target.protocol === "https:") return [{ severity: "note", message: `redirects to https (${target.href}), as it should` }];
    return [{ severity: "note", message: `redirects to ${target.href}, not to https: the first hop should go to https` }];
  }
  if (status >= 200 && status < 300) {
    return [{ severity: "defect", message: `serves a ${status} page over plain http instead of redirecting to https` }];
  }
  return [{ severity: "note", message: `answers ${status} over plain http, without redirecting to https` }];
}
