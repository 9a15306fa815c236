// The summary's detailed view (`?view=violations`): every stored violation group of the window with what
// `reports --suggest` needs (first and last seen, the distinct-clients sketch, the samples), built from the
// store's rows and read back, validated and bounded, by the CLI.

import { renderReceived, type PolicyIssue, type Result } from "../shared/result.js";
import { CLIENT_BUCKETS } from "./client-key.js";
import { bound, MAX_FIELD_CHARS, MAX_SAMPLE_CHARS, type Disposition } from "./csp-report.js";
import { MAX_ROW_SAMPLES } from "./rows.js";

/** One violation over the window: the stored rows of its days folded. */
export interface ViolationGroup {
  readonly directive: string;
  readonly blocked: string;
  /** The page: origin + path. */
  readonly page: string;
  readonly disposition: Disposition;
  readonly count: number;
  /** ISO 8601 times of the first and the latest report. */
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** The distinct-clients sketch: one bit per bucket a sending client fell in (client-key.ts). */
  readonly clients: number;
  /** Distinct samples of inline code, at most MAX_ROW_SAMPLES. */
  readonly samples: readonly string[];
  /** The latest report's source file: an extension's script shows here. */
  readonly sourceFile: string;
}

/** What `GET {REPORT_PATH}/summary?view=violations` answers. */
export interface ViolationGroups {
  readonly generatedAt: string;
  readonly window: { readonly days: number; readonly from: string; readonly to: string };
  readonly groups: readonly ViolationGroup[];
  /** More groups were stored than the answer holds (the most frequent come first). */
  readonly truncated: boolean;
}

/** Groups one answer holds at most: enough for a site's violations, few enough for the 2 s a D1 read may take. */
export const MAX_GROUPS = 500;

const MAX_SKETCH = 2 ** CLIENT_BUCKETS - 1;

/** One row of the store's group query as a ViolationGroup; anything malformed reads as empty or zero. */
export function toViolationGroup(row: Readonly<Record<string, unknown>>): ViolationGroup {
  return {
    directive: text(row.directive),
    blocked: text(row.blocked),
    page: text(row.page),
    disposition: row.disposition === "report" ? "report" : "enforce",
    count: whole(row.count),
    firstSeen: new Date(whole(row.first_seen)).toISOString(),
    lastSeen: new Date(whole(row.last_seen)).toISOString(),
    clients: Math.min(whole(row.clients), MAX_SKETCH),
    samples: samplesOf(row.samples),
    sourceFile: text(row.source_file),
  };
}

/** The distinct samples in a JSON array of the days' JSON arrays (what json_group_array of the rows gives). */
function samplesOf(raw: unknown): string[] {
  let days: unknown;
  try {
    days = JSON.parse(typeof raw === "string" ? raw : "[]");
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const day of Array.isArray(days) ? (days as unknown[]) : []) {
    for (const sample of Array.isArray(day) ? (day as unknown[]) : []) {
      if (typeof sample === "string" && sample !== "" && !out.includes(sample) && out.length < MAX_ROW_SAMPLES) out.push(sample);
    }
  }
  return out;
}

/** Read an answer received over the network (the CLI's input): every string bounded and stripped again. */
export function parseViolationGroups(input: unknown): Result<ViolationGroups> {
  const fail = (path: string, message: string, received: unknown): Result<ViolationGroups> => {
    const issue: PolicyIssue = { path, message, received: renderReceived(received) };
    return { ok: false, issues: [issue] };
  };
  if (!isObject(input) || !Array.isArray(input.groups)) return fail("", "{ window, groups, truncated }", input);
  const window = input.window;
  if (!isObject(window) || !isCount(window.days) || typeof window.from !== "string" || typeof window.to !== "string")
    return fail("window", "{ days, from, to }", window);
  const groups: ViolationGroup[] = [];
  for (const [i, g] of (input.groups as unknown[]).entries()) {
    const group = parseGroup(g);
    if (group === undefined)
      return fail(`groups[${i}]`, "{ directive, blocked, page, disposition, count, firstSeen, lastSeen, clients, samples, sourceFile }", g);
    groups.push(group);
  }
  return {
    ok: true,
    value: {
      generatedAt: typeof input.generatedAt === "string" ? bound(input.generatedAt, 40) : "",
      window: { days: window.days, from: bound(window.from, 10), to: bound(window.to, 10) },
      groups,
      truncated: input.truncated === true,
    },
  };
}

function parseGroup(g: unknown): ViolationGroup | undefined {
  if (!isObject(g) || !isCount(g.count) || !isCount(g.clients) || g.clients > MAX_SKETCH || !Array.isArray(g.samples)) return undefined;
  const { directive, blocked, page, firstSeen, lastSeen, sourceFile } = g;
  if (
    typeof directive !== "string" ||
    typeof blocked !== "string" ||
    typeof page !== "string" ||
    typeof firstSeen !== "string" ||
    typeof lastSeen !== "string"
  )
    return undefined;
  if (g.disposition !== "report" && g.disposition !== "enforce") return undefined;
  const samples = (g.samples as unknown[]).filter((s): s is string => typeof s === "string").slice(0, MAX_ROW_SAMPLES);
  return {
    directive: bound(directive, MAX_FIELD_CHARS),
    blocked: bound(blocked, MAX_FIELD_CHARS),
    page: bound(page, MAX_FIELD_CHARS),
    disposition: g.disposition,
    count: g.count,
    firstSeen: bound(firstSeen, 40),
    lastSeen: bound(lastSeen, 40),
    clients: g.clients,
    samples: samples.map((s) => bound(s, MAX_SAMPLE_CHARS)),
    sourceFile: typeof sourceFile === "string" ? bound(sourceFile, MAX_FIELD_CHARS) : "",
  };
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function whole(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
