// An environment's ceilings (the CEILINGS binding): limits no policy layer can exceed, so staging stays
// short-lived and Report-Only whatever its KV namespace holds. Parsed with the bindings, applied at compile.

import { parseHsts } from "../headers/known-headers.js";
import { duplicateKeyIssues } from "../shared/duplicate-keys.js";
import { joinPath, renderReceived, type PolicyIssue } from "../shared/result.js";
import type { ResolvedPolicy } from "./types.js";

/** What an environment allows at most. An absent field sets no ceiling. */
export interface Ceilings {
  /** The longest HSTS max-age, in seconds. */
  readonly hstsMaxAge?: number | undefined;
  /** false: HSTS never carries includeSubDomains. */
  readonly hstsIncludeSubDomains?: boolean | undefined;
  /** false: HSTS never carries preload. */
  readonly hstsPreload?: boolean | undefined;
  /** true: the enforced CSP always goes out as Content-Security-Policy-Report-Only. */
  readonly cspReportOnly?: boolean | undefined;
  /**
   * true: no HSTS at all, the origin's removed too. Not a CEILINGS field: the fault fallback's reading of a
   * CEILINGS that does not parse (see strictestCeilings).
   */
  readonly hstsNone?: boolean | undefined;
}

/**
 * The ceilings when CEILINGS is set but has any issue (and what the fault fallback obeys then): no HSTS sent or passed (never
 * longer than any ceiling, and unlike max-age=0 it does not make browsers forget a production HSTS),
 * and the CSP as Report-Only.
 */
export const STRICTEST_CEILINGS: Ceilings = { hstsNone: true, hstsIncludeSubDomains: false, hstsPreload: false, cspReportOnly: true };

/** What serves while CEILINGS has an issue, for the Worker's log line and the CLI (one wording). */
export const STRICTEST_CEILINGS_SERVE = "the strictest ceilings until CEILINGS is fixed: no HSTS at all, every CSP as Report-Only";

/** True when some binding issue is CEILINGS': the environment then serves STRICTEST_CEILINGS. */
export function ceilingsFailed(issues: readonly { readonly path: string }[]): boolean {
  return issues.some((issue) => issue.path === "CEILINGS" || issue.path.startsWith("CEILINGS."));
}

/** One value a ceiling lowered: the field, the value the policy asked for, the ceiling, and its layer. */
export interface Cap {
  readonly field: "hsts.maxAge" | "hsts.includeSubDomains" | "hsts.preload" | "csp";
  readonly value: number | boolean | string;
  readonly ceiling: number | boolean | string;
  /** The layer that gave the value ("defaults", "POLICY", "KV", "KV.rules[0] /admin/*"). */
  readonly from: string;
}

const FIELDS = ["hsts", "cspReportOnly"] as const;
const HSTS_FIELDS = ["maxAge", "includeSubDomains", "preload"] as const;
/** HSTS's longest useful max-age (two years, as browsers cap it); a higher ceiling is a typo. */
const MAX_AGE_LIMIT = 63072000;

const isRecord = (raw: unknown): raw is Record<string, unknown> => typeof raw === "object" && raw !== null && !Array.isArray(raw);

/**
 * Parse CEILINGS (a JSON string or, from wrangler.toml, an object). Every bad field is an issue naming it,
 * and any issue at all makes the ceilings the strictest (STRICTEST_CEILINGS): a typo, a mistyped number,
 * a key written twice or text that is not JSON never lifts a ceiling the environment asked for, since the
 * Worker cannot tell which limit was meant (`MaxAge`, `"300"`, `300.5`). validate and deploy:check fail on it.
 */
export function parseCeilings(raw: unknown, issues: PolicyIssue[]): Ceilings | undefined {
  if (raw === undefined || raw === "") return undefined;
  const before = issues.length;
  let value: unknown = raw;
  if (typeof raw === "string") {
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      issues.push({ path: "CEILINGS", message: 'a JSON object such as {"hsts":{"maxAge":300}}', received: renderReceived(raw) });
      return STRICTEST_CEILINGS;
    }
    for (const dup of duplicateKeyIssues(raw)) {
      issues.push({
        path: joinPath("CEILINGS", dup.path),
        message: "each key once (JSON keeps only the last copy)",
        received: dup.received,
      });
    }
  }
  const read = readCeilings(value, issues);
  return issues.length > before ? STRICTEST_CEILINGS : read;
}

function readCeilings(value: unknown, issues: PolicyIssue[]): Ceilings {
  if (!isRecord(value)) {
    issues.push({
      path: "CEILINGS",
      message: "an object: { hsts: { maxAge, includeSubDomains, preload }, cspReportOnly }",
      received: renderReceived(value),
    });
    return {};
  }
  unknownKeys("CEILINGS", value, FIELDS, issues);
  const report = value.cspReportOnly;
  if (report !== undefined && typeof report !== "boolean") {
    issues.push({
      path: "CEILINGS.cspReportOnly",
      message: "true (the enforced CSP is sent as Report-Only) or false",
      received: renderReceived(report),
    });
  }
  const hsts = value.hsts ?? {};
  if (!isRecord(hsts)) {
    issues.push({ path: "CEILINGS.hsts", message: "an object: { maxAge, includeSubDomains, preload }", received: renderReceived(hsts) });
    return { cspReportOnly: typeof report === "boolean" ? report : undefined };
  }
  unknownKeys("CEILINGS.hsts", hsts, HSTS_FIELDS, issues);
  const { maxAge, includeSubDomains, preload } = hsts;
  if (maxAge !== undefined && !(typeof maxAge === "number" && Number.isInteger(maxAge) && maxAge >= 0 && maxAge <= MAX_AGE_LIMIT)) {
    issues.push({
      path: "CEILINGS.hsts.maxAge",
      message: `a whole number of seconds from 0 to ${MAX_AGE_LIMIT}`,
      received: renderReceived(maxAge),
    });
  }
  for (const [name, flag] of [
    ["includeSubDomains", includeSubDomains],
    ["preload", preload],
  ] as const) {
    if (flag !== undefined && typeof flag !== "boolean") {
      issues.push({
        path: `CEILINGS.hsts.${name}`,
        message: `false (HSTS never carries ${name}) or true (allowed)`,
        received: renderReceived(flag),
      });
    }
  }
  return {
    hstsMaxAge: typeof maxAge === "number" ? maxAge : undefined,
    hstsIncludeSubDomains: typeof includeSubDomains === "boolean" ? includeSubDomains : undefined,
    hstsPreload: typeof preload === "boolean" ? preload : undefined,
    cspReportOnly: typeof report === "boolean" ? report : undefined,
  };
}

function unknownKeys(path: string, value: Record<string, unknown>, known: readonly string[], issues: PolicyIssue[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key))
      issues.push({ path: `${path}.${key}`, message: `one of ${known.join(", ")}`, received: renderReceived(value[key]) });
  }
}

/**
 * The policy with every HSTS value above a ceiling lowered to it, and each cap made. The CSP ceiling is
 * not applied here: it turns on the Report-Only rendering CSP_REPORT_ONLY does (see cspCap).
 */
export function capPolicy(policy: ResolvedPolicy, ceilings: Ceilings | undefined): { policy: ResolvedPolicy; caps: Cap[] } {
  const caps: Cap[] = [];
  const hsts = policy.hsts;
  if (ceilings === undefined || hsts === null) return { policy, caps };
  if (ceilings.hstsNone === true) return { policy: { ...policy, hsts: null }, caps };
  const from = hsts.from;
  let { maxAge, includeSubDomains, preload } = hsts;
  if (ceilings.hstsMaxAge !== undefined && maxAge > ceilings.hstsMaxAge) {
    caps.push({ field: "hsts.maxAge", value: maxAge, ceiling: ceilings.hstsMaxAge, from });
    maxAge = ceilings.hstsMaxAge;
  }
  if (ceilings.hstsIncludeSubDomains === false && includeSubDomains) {
    caps.push({ field: "hsts.includeSubDomains", value: true, ceiling: false, from });
    includeSubDomains = false;
  }
  if (ceilings.hstsPreload === false && preload) {
    caps.push({ field: "hsts.preload", value: true, ceiling: false, from });
    preload = false;
  }
  if (caps.length === 0) return { policy, caps };
  return { policy: { ...policy, hsts: { ...hsts, maxAge, includeSubDomains, preload } }, caps };
}

/** Whether the ceilings limit HSTS at all: decided once per policy load, so that without one a response does no work. */
export function limitsHsts(ceilings: Ceilings | undefined): ceilings is Ceilings {
  if (ceilings === undefined) return false;
  return (
    ceilings.hstsNone === true ||
    ceilings.hstsMaxAge !== undefined ||
    ceilings.hstsIncludeSubDomains === false ||
    ceilings.hstsPreload === false
  );
}

/**
 * An origin's Strict-Transport-Security value within the ceilings: the same string when it is within them,
 * lowered where it is above, and null when it cannot be read (a value the Worker cannot read might be
 * read by a browser as longer than the ceilings allow, so it does not pass).
 */
export function capHstsValue(value: string, ceilings: Ceilings): string | null {
  const parsed = parseHsts(value);
  if (parsed === null || ceilings.hstsNone === true) return null;
  const maxAge = ceilings.hstsMaxAge !== undefined && parsed.maxAge > ceilings.hstsMaxAge ? ceilings.hstsMaxAge : parsed.maxAge;
  const includeSubDomains = parsed.includeSubDomains && ceilings.hstsIncludeSubDomains !== false;
  const preload = parsed.preload && ceilings.hstsPreload !== false;
  if (maxAge === parsed.maxAge && includeSubDomains === parsed.includeSubDomains && preload === parsed.preload) return value;
  return `max-age=${maxAge}${includeSubDomains ? "; includeSubDomains" : ""}${preload ? "; preload" : ""}`;
}

/**
 * The cap of an enforced CSP that the ceiling sends as Report-Only, or undefined: none when there is no
 * enforced CSP, or when CSP_REPORT_ONLY already sends it so (`reportOnly`).
 */
export function cspCap(policy: ResolvedPolicy, ceilings: Ceilings | undefined, reportOnly: boolean): Cap | undefined {
  if (ceilings?.cspReportOnly !== true || reportOnly || policy.csp === null) return undefined;
  return { field: "csp", value: "enforced", ceiling: "Report-Only", from: policy.csp.from };
}

/** One line for a cap, for logs and the CLI: field, the value asked for, the ceiling. */
export function describeCap(cap: Cap): string {
  if (cap.field === "csp")
    return `csp (from ${cap.from}) is enforced; the CEILINGS allow Report-Only, so it is sent as Content-Security-Policy-Report-Only`;
  if (cap.field === "hsts.maxAge") {
    return `hsts.maxAge ${String(cap.value)} s (from ${cap.from}) is above the CEILINGS' ${String(cap.ceiling)} s: capped to ${String(cap.ceiling)} s`;
  }
  return `${cap.field} true (from ${cap.from}) is not allowed by the CEILINGS (${cap.field} = false): dropped`;
}

/** The caps without repeats (the same field, value and layer, reached by the base and by its rules). */
export function distinctCaps(caps: readonly Cap[]): Cap[] {
  const seen = new Map<string, Cap>();
  for (const cap of caps) seen.set(`${cap.field}|${String(cap.value)}|${cap.from}`, cap);
  return [...seen.values()];
}
