// Convert a Cloudflare Pages or Netlify `_headers` file into a policy document: one rule per path block,
// with every line the policy format cannot express reported (by line number) and skipped. Pure.

import { parseCspString } from "../../src/core/csp/parse-csp.js";
import { type DirectiveValue } from "../../src/core/csp/directives.js";
import { DEDICATED_HEADERS, FORBIDDEN_HEADERS, isHeaderName, parseHsts } from "../../src/core/headers/known-headers.js";
import { pathPatternProblem } from "../../src/core/policy/match-path.js";
import { renderReceived } from "../../src/core/shared/result.js";

/** One line of the `_headers` file that was not converted, or converted with a problem. */
export interface ImportIssue {
  /** 1-based line number in the `_headers` file. */
  readonly line: number;
  /** What was expected, or why the line cannot be expressed. */
  readonly message: string;
  /** The offending text, cut short. */
  readonly received: string;
}

export interface ImportedCsp {
  readonly action: "set";
  readonly replace: true;
  readonly directives: Record<string, string[] | true>;
}

export interface ImportedHsts {
  readonly action: "set";
  readonly maxAge: number;
  readonly includeSubDomains: boolean;
  readonly preload: boolean;
}

export interface ImportedRule {
  path: string;
  description: string;
  csp?: ImportedCsp | false;
  cspReportOnly?: ImportedCsp | false;
  hsts?: ImportedHsts | false;
  headers?: Record<string, { value: string; action: "set" }>;
  remove?: string[];
}

/** The converted document, in the key order it is written out: `$schema` first. */
export interface ImportedDocument {
  readonly $schema: string;
  readonly rules: ImportedRule[];
}

export interface ImportResult {
  readonly document: ImportedDocument;
  readonly issues: readonly ImportIssue[];
}

/** Where editors find the schema, relative to the converted document. */
export const IMPORTED_SCHEMA_REF = "./policy.schema.json";

interface HeaderLines {
  /** The name as first written. */
  readonly name: string;
  readonly values: { readonly value: string; readonly line: number }[];
}

interface Block {
  readonly pattern: string;
  readonly line: number;
  /** By lower-case name, in first-seen order. */
  readonly set: Map<string, HeaderLines>;
  /** By lower-case name: the `! Name` lines. */
  readonly detach: Map<string, { readonly name: string; readonly line: number }>;
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** Parse a `_headers` file and convert it into a policy document, reporting what cannot be expressed. */
export function importHeadersFile(text: string): ImportResult {
  const issues: ImportIssue[] = [];
  const blocks: Block[] = [];
  // undefined before the first path; "skipped" under a path that cannot be expressed (its lines go with it).
  let current: Block | "skipped" | undefined;
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const indented = /^[ \t]/.test(raw);
    if (!indented) {
      current = startBlock(trimmed, line, issues);
      if (current !== "skipped") blocks.push(current);
      return;
    }
    if (current === "skipped") return;
    if (current === undefined) {
      issues.push({ line, message: "a path line (e.g. /*) before the header lines it applies to", received: renderReceived(trimmed) });
      return;
    }
    readHeaderLine(current, trimmed, line, issues);
  });
  const rules = blocks.map((block) => convertBlock(block, issues));
  issues.sort((a, b) => a.line - b.line);
  return { document: { $schema: IMPORTED_SCHEMA_REF, rules }, issues };
}

function startBlock(pattern: string, line: number, issues: ImportIssue[]): Block | "skipped" {
  if (SCHEME.test(pattern) || pattern.startsWith("//")) {
    issues.push({
      line,
      message: "a path starting with /: a pattern with a host cannot be expressed, because rules match the path only; the block is skipped",
      received: renderReceived(pattern),
    });
    return "skipped";
  }
  const problem = pathPatternProblem(pattern);
  if (problem !== undefined) {
    const hint = pattern.includes(":") && !pattern.startsWith("/") ? " (header lines must be indented under their path)" : "";
    issues.push({ line, message: `${problem}${hint}; the block is skipped`, received: renderReceived(pattern) });
    return "skipped";
  }
  return { pattern, line, set: new Map(), detach: new Map() };
}

function readHeaderLine(block: Block, text: string, line: number, issues: ImportIssue[]): void {
  if (text.startsWith("!")) {
    const name = text.slice(1).trim();
    if (!isHeaderName(name)) {
      issues.push({ line, message: "`! Header-Name`: a header name to remove", received: renderReceived(text) });
      return;
    }
    block.detach.set(name.toLowerCase(), { name, line });
    return;
  }
  const colon = text.indexOf(":");
  const name = colon === -1 ? "" : text.slice(0, colon).trim();
  if (colon === -1 || !isHeaderName(name)) {
    issues.push({ line, message: "`Header-Name: value` or `! Header-Name`", received: renderReceived(text) });
    return;
  }
  const value = text.slice(colon + 1).trim();
  const lower = name.toLowerCase();
  const entry = block.set.get(lower);
  if (entry === undefined) block.set.set(lower, { name, values: [{ value, line }] });
  else entry.values.push({ value, line });
}

function convertBlock(block: Block, issues: ImportIssue[]): ImportedRule {
  const rule: ImportedRule = { path: block.pattern, description: `Imported from _headers line ${block.line}.` };
  const headers: Record<string, { value: string; action: "set" }> = {};
  for (const [lower, entry] of block.set) {
    const forbidden = FORBIDDEN_HEADERS.get(lower);
    if (forbidden !== undefined) {
      for (const { line } of entry.values) {
        issues.push({
          line,
          message: `a header the policy may own: ${entry.name} cannot be, because ${forbidden}; skipped`,
          received: renderReceived(entry.name),
        });
      }
      continue;
    }
    const detached = block.detach.get(lower);
    if (detached !== undefined) {
      issues.push({
        line: detached.line,
        message: `a header either set or removed in one block, not both: \`! ${detached.name}\` is skipped`,
        received: renderReceived(detached.name),
      });
      block.detach.delete(lower);
    }
    const dedicated = DEDICATED_HEADERS.get(lower);
    if (dedicated === "csp" || dedicated === "cspReportOnly") {
      const csp = convertCsp(entry, issues);
      if (csp !== undefined) rule[dedicated] = csp;
    } else if (dedicated === "hsts") {
      const hsts = convertHsts(entry, issues);
      if (hsts !== undefined) rule.hsts = hsts;
    } else {
      // Pages sends repeated lines of one header in a block as one, joined by ", ".
      headers[entry.name] = { value: entry.values.map((v) => v.value).join(", "), action: "set" };
    }
  }
  const remove: string[] = [];
  for (const [lower, { name, line }] of block.detach) {
    const forbidden = FORBIDDEN_HEADERS.get(lower);
    const dedicated = DEDICATED_HEADERS.get(lower);
    if (forbidden !== undefined) {
      issues.push({
        line,
        message: `a header the policy may own: ${name} cannot be removed, because ${forbidden}; skipped`,
        received: renderReceived(name),
      });
    } else if (dedicated === "csp") rule.csp = false;
    else if (dedicated === "cspReportOnly") rule.cspReportOnly = false;
    else if (dedicated === "hsts") rule.hsts = false;
    else remove.push(name);
  }
  if (Object.keys(headers).length > 0) rule.headers = headers;
  if (remove.length > 0) rule.remove = remove;
  return rule;
}

/** One policy per block: the first line is converted, the others are reported (a policy format has one per layer). */
function convertCsp(entry: HeaderLines, issues: ImportIssue[]): ImportedCsp | undefined {
  for (const extra of entry.values.slice(1)) {
    issues.push({
      line: extra.line,
      message: `one ${entry.name} line per block: several would be several policies, which a rule cannot express; skipped`,
      received: renderReceived(extra.value),
    });
  }
  const first = entry.values[0];
  if (first === undefined) return undefined;
  const { directives, problems } = parseCspString(first.value);
  for (const problem of problems) {
    const where = problem.directive === "" ? entry.name : `${entry.name} ${problem.directive}`;
    issues.push({ line: first.line, message: `${problem.message} (in ${where})`, received: renderReceived(problem.received) });
  }
  if (directives.size === 0) {
    issues.push({
      line: first.line,
      message: `${entry.name} with at least one known directive; skipped`,
      received: renderReceived(first.value),
    });
    return undefined;
  }
  return { action: "set", replace: true, directives: directiveObject(directives) };
}

function directiveObject(directives: ReadonlyMap<string, DirectiveValue>): Record<string, string[] | true> {
  const out: Record<string, string[] | true> = {};
  for (const [name, value] of directives) out[name] = value === true ? true : [...value];
  return out;
}

function convertHsts(entry: HeaderLines, issues: ImportIssue[]): ImportedHsts | undefined {
  for (const extra of entry.values.slice(1)) {
    issues.push({
      line: extra.line,
      message: `one ${entry.name} line per block (browsers read only the first); skipped`,
      received: renderReceived(extra.value),
    });
  }
  const first = entry.values[0];
  if (first === undefined) return undefined;
  const hsts = parseHsts(first.value);
  if (hsts === null) {
    issues.push({
      line: first.line,
      message: `${entry.name}: max-age=<seconds> with optional includeSubDomains and preload, each once; skipped`,
      received: renderReceived(first.value),
    });
    return undefined;
  }
  return { action: "set", ...hsts };
}
