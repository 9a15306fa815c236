// The Worker's environment bindings → its configuration, with an issue for each bad binding. Each bad
// binding falls back on its own, to the safe choice, so one typo never takes the others down.

import { parseAllowedHosts, type AllowedHosts } from "../origin/allowed-hosts.js";
import { markerProblem, redactedMarker, splitMarkerList } from "../nonce/nonce-marker.js";
import { parseCeilings, type Ceilings } from "./ceilings.js";
import { parsePolicy, parsePolicyJson } from "./parse-policy.js";
import type { PolicyDocument } from "./types.js";
import { didYouMean, prefixIssues, renderReceived, suggest, type PolicyIssue } from "../shared/result.js";

/** Where requests go: the route's own URL (the zone's origin), a fixed origin, or nowhere (misconfigured). */
export type OriginTarget =
  | { readonly kind: "route" }
  | {
      readonly kind: "url";
      readonly protocol: string;
      readonly hostname: string;
      readonly port: string;
      /** hostname[:port] as it goes into the URL (brackets around IPv6 included). */
      readonly host: string;
    }
  | { readonly kind: "invalid" };

export interface EnvConfig {
  readonly origin: OriginTarget;
  readonly originTimeoutMs: number;
  readonly reportOnly: boolean;
  /** The POLICY binding, validated; undefined when unset or invalid. */
  readonly policy: PolicyDocument | undefined;
  /** CEILINGS: what no policy layer can exceed; undefined when unset or invalid. */
  readonly ceilings: Ceilings | undefined;
  /** The KV key holding the policy document. */
  readonly kvKey: string;
  /** How long a loaded KV document serves before it is refreshed in the background. */
  readonly cacheSeconds: number;
  readonly reports: ReportConfig;
  /** ALLOWED_HOSTS: the hosts served; undefined when unset (then route mode serves none, ORIGIN_URL mode any). */
  readonly allowedHosts: AllowedHosts | undefined;
  /** NONCE_MARKER (a secret), validated: the marker of marked nonces when the policy names none. */
  readonly nonceMarker: string | undefined;
  /**
   * Every marker NONCE_MARKER holds (several during a rotation, the new one first), valid or not: each is
   * scrubbed from every response; `nonceMarker` and the other valid ones are stamped.
   */
  readonly nonceMarkers: readonly NamedMarker[];
}

/** A marker NONCE_MARKER holds, and whether it is good enough to be stamped (only valid ones are). */
export interface NamedMarker {
  readonly marker: string;
  readonly valid: boolean;
}

export const DEFAULT_ORIGIN_TIMEOUT_MS = 30000;
const MAX_ORIGIN_TIMEOUT_MS = 600000;
export const DEFAULT_KV_KEY = "policy";
export const DEFAULT_CACHE_SECONDS = 30;
const MAX_CACHE_SECONDS = 86400;

/** Every binding this Worker reads, for "did you mean" on near-miss names. */
export const KNOWN_BINDINGS = [
  "ORIGIN_URL",
  "ORIGIN_TIMEOUT_MS",
  "POLICY",
  "CEILINGS",
  "CSP_REPORT_ONLY",
  "POLICY_KV",
  "POLICY_KV_KEY",
  "POLICY_CACHE_SECONDS",
  "REPORTS_ENABLED",
  "REPORT_PATH",
  "REPORT_SAMPLE_RATE",
  "REPORTS_TOKEN",
  "REPORTS_DB",
  "REPORT_LIMITER",
  "ALLOWED_HOSTS",
  "NONCE_MARKER",
] as const;

/** Bindings that hold secrets (`wrangler secret put`): no issue ever shows their value. */
const SECRET_BINDINGS: ReadonlySet<string> = new Set(["NONCE_MARKER", "REPORTS_TOKEN"]);

/** The built-in CSP report collector's settings. */
export interface ReportConfig {
  /** REPORTS_ENABLED: serve the collector and point every CSP at it. */
  readonly enabled: boolean;
  /** REPORT_PATH: where the collector listens; never forwarded to the origin when enabled. */
  readonly path: string;
  /** REPORT_SAMPLE_RATE: the share of accepted reports that are stored, 0 to 1. */
  readonly sampleRate: number;
  /** REPORTS_TOKEN (a secret): the bearer token for the summary; undefined turns the summary off. */
  readonly token: string | undefined;
}

export const DEFAULT_REPORT_PATH = "/__csp-report";

/** Parse the bindings. Never throws; every problem is an issue whose path is the binding's name. */
export function parseEnv(env: Readonly<Record<string, unknown>>): { config: EnvConfig; issues: PolicyIssue[] } {
  const issues: PolicyIssue[] = [];
  const config: EnvConfig = {
    origin: parseOrigin(env.ORIGIN_URL, issues),
    originTimeoutMs: parseTimeout(env.ORIGIN_TIMEOUT_MS, issues),
    reportOnly: parseBoolean("CSP_REPORT_ONLY", env.CSP_REPORT_ONLY, issues),
    policy: parsePolicyBinding(env.POLICY, issues),
    ceilings: parseCeilings(env.CEILINGS, issues),
    kvKey: parseKvKey(env.POLICY_KV_KEY, issues),
    cacheSeconds: parseWholeNumber("POLICY_CACHE_SECONDS", env.POLICY_CACHE_SECONDS, 1, MAX_CACHE_SECONDS, DEFAULT_CACHE_SECONDS, issues),
    reports: {
      enabled: parseBoolean("REPORTS_ENABLED", env.REPORTS_ENABLED, issues, "the collector stays off"),
      path: parseReportPath(env.REPORT_PATH, issues),
      sampleRate: parseRate(env.REPORT_SAMPLE_RATE, issues),
      token: parseToken(env.REPORTS_TOKEN, issues),
    },
    allowedHosts: parseAllowedHosts(env.ALLOWED_HOSTS, issues),
    ...parseNonceMarkers(env.NONCE_MARKER, issues),
  };
  for (const [name, value] of Object.entries(env)) {
    if (typeof value !== "string" || (KNOWN_BINDINGS as readonly string[]).includes(name)) continue;
    const hit = suggest(name, KNOWN_BINDINGS);
    if (hit !== undefined && hit !== name) {
      // A misspelt secret is still a secret: its issue names the length, not the value.
      const received = SECRET_BINDINGS.has(hit) ? redactedMarker(value) : renderReceived(value);
      issues.push({ path: name, message: `a binding this Worker reads${didYouMean(name, KNOWN_BINDINGS)}; ${name} is ignored`, received });
    }
  }
  return { config, issues };
}

function parseOrigin(raw: unknown, issues: PolicyIssue[]): OriginTarget {
  if (raw === undefined || raw === "") return { kind: "route" };
  const expected = "an origin such as https://origin.example.com (http or https, no path, query or credentials)";
  if (typeof raw !== "string") {
    issues.push({ path: "ORIGIN_URL", message: expected, received: renderReceived(raw) });
    return { kind: "invalid" };
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    issues.push({ path: "ORIGIN_URL", message: expected, received: renderReceived(raw) });
    return { kind: "invalid" };
  }
  const problem =
    url.protocol !== "http:" && url.protocol !== "https:"
      ? "an http: or https: URL"
      : url.username !== "" || url.password !== ""
        ? "an origin without credentials (send them from the origin side)"
        : url.pathname !== "/" || url.search !== "" || url.hash !== ""
          ? "an origin without a path, query or fragment: the request's own path and query are kept exactly"
          : undefined;
  if (problem !== undefined) {
    issues.push({ path: "ORIGIN_URL", message: problem, received: renderReceived(raw) });
    return { kind: "invalid" };
  }
  return { kind: "url", protocol: url.protocol, hostname: url.hostname, port: url.port, host: url.host };
}

function parseTimeout(raw: unknown, issues: PolicyIssue[]): number {
  return parseWholeNumber("ORIGIN_TIMEOUT_MS", raw, 1, MAX_ORIGIN_TIMEOUT_MS, DEFAULT_ORIGIN_TIMEOUT_MS, issues);
}

function parseWholeNumber(name: string, raw: unknown, min: number, max: number, fallback: number, issues: PolicyIssue[]): number {
  if (raw === undefined || raw === "") return fallback;
  const text = typeof raw === "number" ? String(raw) : typeof raw === "string" ? raw.trim() : "";
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isInteger(n) && n >= min && n <= max) return n;
  issues.push({
    path: name,
    message: `a whole number from ${min} to ${max}; ${fallback} serves instead`,
    received: renderReceived(raw),
  });
  return fallback;
}

/** KV's longest key, in bytes of UTF-8 (not UTF-16 units: "é" counts 2, an emoji 4). */
export const MAX_KV_KEY_BYTES = 512;

/**
 * Why `key` cannot be a KV key, or undefined when it can: 1 to 512 bytes of UTF-8, not "." or "..".
 * The Worker (POLICY_KV_KEY) and the CLI (--key) both ask this, so they accept exactly the same keys.
 */
export function kvKeyProblem(key: string): string | undefined {
  const expected = `a KV key of 1 to ${MAX_KV_KEY_BYTES} bytes of UTF-8, not "." or ".."`;
  if (key === "" || key === "." || key === "..") return expected;
  const bytes = new TextEncoder().encode(key).length;
  return bytes > MAX_KV_KEY_BYTES ? `${expected} (this one is ${bytes} bytes)` : undefined;
}

function parseKvKey(raw: unknown, issues: PolicyIssue[]): string {
  if (raw === undefined || raw === "") return DEFAULT_KV_KEY;
  const problem = typeof raw === "string" ? kvKeyProblem(raw) : "a KV key (a string)";
  if (problem === undefined && typeof raw === "string") return raw;
  issues.push({ path: "POLICY_KV_KEY", message: `${problem ?? ""}; "${DEFAULT_KV_KEY}" serves instead`, received: renderReceived(raw) });
  return DEFAULT_KV_KEY;
}

function parseBoolean(name: string, raw: unknown, issues: PolicyIssue[], consequence = "the policy stays enforced"): boolean {
  if (raw === undefined || raw === "" || raw === false || raw === "false") return false;
  if (raw === true || raw === "true") return true;
  issues.push({
    path: name,
    message: `"true" or "false"; "false" serves instead, so ${consequence}`,
    received: renderReceived(raw),
  });
  return false;
}

function parseReportPath(raw: unknown, issues: PolicyIssue[]): string {
  if (raw === undefined || raw === "") return DEFAULT_REPORT_PATH;
  // The path goes into every CSP (report-uri) and into Reporting-Endpoints: `;` and `,` would end the
  // directive or start a new policy, quotes and backslashes would break the structured field.
  if (typeof raw === "string" && /^\/[A-Za-z0-9._~!$&()*+=:@/-]+$/.test(raw) && !raw.endsWith("/")) return raw;
  issues.push({
    path: "REPORT_PATH",
    message: `a path such as ${DEFAULT_REPORT_PATH} (starts with /, no query, no trailing /); ${DEFAULT_REPORT_PATH} serves instead`,
    received: renderReceived(raw),
  });
  return DEFAULT_REPORT_PATH;
}

function parseRate(raw: unknown, issues: PolicyIssue[]): number {
  if (raw === undefined || raw === "") return 1;
  const n = typeof raw === "number" ? raw : typeof raw === "string" && /^\s*(0|1|0?\.\d+|1\.0*)\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (n >= 0 && n <= 1) return n;
  issues.push({
    path: "REPORT_SAMPLE_RATE",
    message: "a number from 0 to 1 (the share of reports stored); 1 serves instead",
    received: renderReceived(raw),
  });
  return 1;
}

function parseToken(raw: unknown, issues: PolicyIssue[]): string | undefined {
  if (raw === undefined || raw === "") return undefined;
  // A guessable token would open the summary to anyone: demand real entropy.
  if (typeof raw === "string" && raw.length >= 24 && !/\s/.test(raw)) return raw;
  issues.push({
    path: "REPORTS_TOKEN",
    message: "a secret of at least 24 characters without whitespace (e.g. `openssl rand -base64 32`); the summary stays off",
    received: typeof raw === "string" ? `${raw.length} characters` : renderReceived(raw),
  });
  return undefined;
}

/** NONCE_MARKER: one marker, or several separated by spaces or commas while the site rotates it (new first). */
function parseNonceMarkers(raw: unknown, issues: PolicyIssue[]): Pick<EnvConfig, "nonceMarker" | "nonceMarkers"> {
  if (raw === undefined || raw === "") return { nonceMarker: undefined, nonceMarkers: [] };
  if (typeof raw !== "string") {
    issues.push({ path: "NONCE_MARKER", message: "a string", received: redactedMarker(raw) });
    return { nonceMarker: undefined, nonceMarkers: [] };
  }
  const nonceMarkers = splitMarkerList(raw).map((marker, i, all) => {
    const problem = markerProblem(marker);
    // A secret: the issue names its length, never its characters.
    if (problem !== undefined) {
      const which = all.length === 1 ? "" : ` (marker ${i + 1} of ${all.length})`;
      issues.push({
        path: "NONCE_MARKER",
        message: `${problem}${which}; it is scrubbed from every response but never stamped, and a policy with a marked nonce and no nonce.marker is not applied without a valid one`,
        received: redactedMarker(marker),
      });
    }
    return { marker, valid: problem === undefined };
  });
  return { nonceMarker: nonceMarkers.find((m) => m.valid)?.marker, nonceMarkers };
}

function parsePolicyBinding(raw: unknown, issues: PolicyIssue[]): PolicyDocument | undefined {
  if (raw === undefined || raw === "") return undefined;
  const result = typeof raw === "string" ? parsePolicyJson(raw) : parsePolicy(raw);
  if (result.ok) return result.value;
  issues.push(...prefixIssues("POLICY", result.issues));
  return undefined;
}
