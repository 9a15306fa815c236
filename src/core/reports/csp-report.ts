// CSP violation reports (report-uri and Reporting API bodies) → bounded, validated violation records.

import { CSP_DIRECTIVES } from "../csp/directives.js";
import { isObject, renderReceived, type PolicyIssue, type Result } from "../shared/result.js";

/** Whether the violated policy was enforced or only reported. */
export type Disposition = "enforce" | "report";

/** One violation, normalised from either report format; every string is bounded and free of control characters. */
export interface ViolationRecord {
  /** The page: origin + path, never a query string or fragment. */
  readonly documentUrl: string;
  /** What was blocked: origin + path of a URL, a scheme ("data:"), a keyword ("inline", "eval"), or "other". */
  readonly blockedUrl: string;
  /** A known directive name in its spec spelling, or "other". */
  readonly effectiveDirective: string;
  readonly disposition: Disposition;
  /** The HTTP status of the page, 0 when unknown. */
  readonly statusCode: number;
  /** The script or style that caused it: origin + path, or "" when absent. */
  readonly sourceFile: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
  /** The first characters of the blocked inline code, when the policy asks for 'report-sample'. */
  readonly sample: string;
}

/** Which body shape a request carried. */
export type ReportFormat = "report-uri" | "reports-api";

/** The records of one request body, and how many entries were dropped and why. */
export interface ParsedReports {
  readonly format: ReportFormat;
  /** Entries in the body (1 for report-uri). */
  readonly received: number;
  readonly records: readonly ViolationRecord[];
  readonly dropped: DropCounts;
}

/** Entries dropped while parsing, by reason. */
export interface DropCounts {
  /** The page is not on the collector's host: spam, or a report meant for someone else. */
  readonly offHost: number;
  /** Not an object, or no usable http(s) page URL. */
  readonly invalid: number;
  /** Another Reporting API type in the batch (deprecation, intervention, …). */
  readonly otherType: number;
  /** Past MAX_BATCH_REPORTS. */
  readonly overflow: number;
}

/** Bytes a collector reads from one request body. */
export const MAX_REPORT_BODY_BYTES = 64 * 1024;
/** Entries read from one Reporting API batch; browsers send a handful, a flood is not a browser. */
export const MAX_BATCH_REPORTS = 100;
/** Longest string kept from a report (URLs included). */
export const MAX_FIELD_CHARS = 512;
/** Longest sample kept: browsers send at most 40 characters. */
export const MAX_SAMPLE_CHARS = 40;
const MAX_POSITION = 10_000_000;

/** The media types a collector accepts, mapped from the lower-cased essence of Content-Type. */
const REPORT_MEDIA_TYPES = new Set(["application/csp-report", "application/json", "application/reports+json"]);

/** True when a Content-Type header names one of the report media types (parameters ignored). */
export function isReportMediaType(contentType: string | null): boolean {
  if (contentType === null) return false;
  const essence = contentType.split(";", 1)[0]?.trim().toLowerCase() ?? "";
  return REPORT_MEDIA_TYPES.has(essence);
}

// Directives a browser may name that the policy catalogue does not list: older or proposed ones.
const EXTRA_DIRECTIVES = ["navigate-to", "prefetch-src", "plugin-types", "require-sri-for"];
const KNOWN_DIRECTIVES = new Set([...CSP_DIRECTIVES.keys(), ...EXTRA_DIRECTIVES]);

// What browsers put in blocked-uri instead of a URL. Chromium and Firefox send a bare scheme for
// data:, blob: and the like; "self" is what old Firefox versions sent for inline code.
const BLOCKED_KEYWORDS = new Set([
  "inline",
  "eval",
  "wasm-eval",
  "trusted-types-policy",
  "trusted-types-sink",
  "self",
  "data",
  "blob",
  "filesystem",
  "about",
  "mediastream",
]);

/**
 * Parse a report body into violation records. `host` is the collector's own host (`URL.host`): a report
 * whose page is on another host is dropped and counted as offHost, since a browser only sends reports for
 * the page it is showing, and this collector only serves pages of its own host. Never throws.
 */
export function parseCspReports(body: string, host: string): Result<ParsedReports> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return failure("", "a JSON body", body);
  }
  const expectedHost = host.toLowerCase();
  const counts = { offHost: 0, invalid: 0, otherType: 0, overflow: 0 };
  const records: ViolationRecord[] = [];
  const accept = (record: ViolationRecord | "invalid" | "offHost"): void => {
    if (record === "invalid") counts.invalid++;
    else if (record === "offHost") counts.offHost++;
    else records.push(record);
  };

  if (Array.isArray(json)) {
    const entries: unknown[] = json;
    counts.overflow = Math.max(0, entries.length - MAX_BATCH_REPORTS);
    for (const entry of entries.slice(0, MAX_BATCH_REPORTS)) {
      if (!isObject(entry)) {
        counts.invalid++;
        continue;
      }
      if (entry.type !== "csp-violation") {
        counts.otherType++;
        continue;
      }
      if (!isObject(entry.body)) {
        counts.invalid++;
        continue;
      }
      accept(normalise(entry.body, API_FIELDS, entry.url, expectedHost));
    }
    return { ok: true, value: { format: "reports-api", received: entries.length, records, dropped: counts } };
  }
  if (isObject(json)) {
    const report = json["csp-report"];
    if (!isObject(report)) return failure("csp-report", 'an object: {"csp-report": {…}} or a Reporting API array', json);
    accept(normalise(report, URI_FIELDS, undefined, expectedHost));
    return { ok: true, value: { format: "report-uri", received: 1, records, dropped: counts } };
  }
  return failure("", 'a report: {"csp-report": {…}} or a Reporting API array', json);
}

/** The names of one format's fields. */
interface FieldNames {
  readonly documentUrl: string;
  readonly blockedUrl: string;
  readonly effectiveDirective: string;
  readonly violatedDirective: string;
  readonly disposition: string;
  readonly statusCode: string;
  readonly sourceFile: string;
  readonly lineNumber: string;
  readonly columnNumber: string;
  readonly sample: string;
}

const URI_FIELDS: FieldNames = {
  documentUrl: "document-uri",
  blockedUrl: "blocked-uri",
  effectiveDirective: "effective-directive",
  violatedDirective: "violated-directive",
  disposition: "disposition",
  statusCode: "status-code",
  sourceFile: "source-file",
  lineNumber: "line-number",
  columnNumber: "column-number",
  sample: "script-sample",
};

const API_FIELDS: FieldNames = {
  documentUrl: "documentURL",
  blockedUrl: "blockedURL",
  effectiveDirective: "effectiveDirective",
  violatedDirective: "violatedDirective",
  disposition: "disposition",
  statusCode: "statusCode",
  sourceFile: "sourceFile",
  lineNumber: "lineNumber",
  columnNumber: "columnNumber",
  sample: "sample",
};

function normalise(
  body: Record<string, unknown>,
  fields: FieldNames,
  fallbackUrl: unknown,
  expectedHost: string,
): ViolationRecord | "invalid" | "offHost" {
  const page = parseHttpUrl(body[fields.documentUrl]) ?? parseHttpUrl(fallbackUrl);
  if (page === undefined) return "invalid";
  if (page.host !== expectedHost) return "offHost";
  const sample = body[fields.sample];
  return {
    documentUrl: bound(page.origin + page.pathname, MAX_FIELD_CHARS),
    blockedUrl: normaliseBlocked(body[fields.blockedUrl]),
    effectiveDirective: normaliseDirective(body[fields.effectiveDirective], body[fields.violatedDirective]),
    disposition: body[fields.disposition] === "report" ? "report" : "enforce",
    statusCode: wholeNumber(body[fields.statusCode], 999),
    sourceFile: normaliseSource(body[fields.sourceFile]),
    lineNumber: wholeNumber(body[fields.lineNumber], MAX_POSITION),
    columnNumber: wholeNumber(body[fields.columnNumber], MAX_POSITION),
    sample: typeof sample === "string" ? bound(sample, MAX_SAMPLE_CHARS) : "",
  };
}

function parseHttpUrl(raw: unknown): URL | undefined {
  if (typeof raw !== "string" || raw.length > 8192) return undefined;
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A URL becomes origin + path: queries and fragments can carry session tokens and personal data, and they
 * would make every report its own row. Other schemes keep only the scheme (an extension id or a data: payload
 * is noise, not a policy decision).
 */
function normaliseUrlish(raw: string): string | undefined {
  if (raw.length > 8192) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol === "http:" || url.protocol === "https:" || url.protocol === "ws:" || url.protocol === "wss:") {
    return bound(url.origin + url.pathname, MAX_FIELD_CHARS);
  }
  return bound(url.protocol, MAX_FIELD_CHARS);
}

function normaliseBlocked(raw: unknown): string {
  if (typeof raw !== "string") return "other";
  const trimmed = raw.trim();
  const lower = trimmed.toLowerCase();
  if (lower === "") return "inline";
  if (BLOCKED_KEYWORDS.has(lower)) return lower;
  return normaliseUrlish(trimmed) ?? "other";
}

function normaliseSource(raw: unknown): string {
  if (typeof raw !== "string" || raw.trim() === "") return "";
  const lower = raw.trim().toLowerCase();
  if (BLOCKED_KEYWORDS.has(lower)) return lower;
  return normaliseUrlish(raw.trim()) ?? "";
}

function normaliseDirective(effective: unknown, violated: unknown): string {
  // Old browsers send only violated-directive, and with its sources ("script-src 'self'").
  const raw = typeof effective === "string" && effective.trim() !== "" ? effective : violated;
  if (typeof raw !== "string") return "other";
  const name = raw.trim().split(/\s+/, 1)[0]?.toLowerCase() ?? "";
  return KNOWN_DIRECTIVES.has(name) ? name : "other";
}

function wholeNumber(raw: unknown, max: number): number {
  const n = typeof raw === "number" ? raw : typeof raw === "string" && /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  return Number.isInteger(n) && n >= 0 && n <= max ? n : 0;
}

// C0 and C1 controls, DEL, and the bidirectional overrides that can make a stored string display as another.
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Strip control and bidi characters, repair lone surrogates, and cut to `max` characters. */
export function bound(text: string, max: number): string {
  const clean = text
    .slice(0, max * 2)
    .replace(UNSAFE_CHARS, "")
    .replace(LONE_SURROGATE, "\ufffd");
  if (clean.length <= max) return clean;
  // Never end on half a surrogate pair.
  const cut = clean.slice(0, max);
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}

function failure(path: string, message: string, received: unknown): Result<ParsedReports> {
  const issue: PolicyIssue = { path, message, received: renderReceived(received) };
  return { ok: false, issues: [issue] };
}
