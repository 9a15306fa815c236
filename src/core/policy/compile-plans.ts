// Once per policy version: a resolved policy compiled into the header plans requests use, one per scheme,
// each with its nonce variant, checked against the response header budget.

import { cspRestricts } from "../csp/csp-restricts.js";
import { directivesFor, NONCE_SLOT, renderCsp, REPORT_ENDPOINT_NAME } from "../csp/render-csp.js";
import { compileCookies } from "../headers/cookies.js";
import { parseHsts, specFor, splitListValue } from "../headers/known-headers.js";
import type { Result } from "../shared/result.js";
import { capHstsValue, limitsHsts, type Ceilings } from "./ceilings.js";
import type {
  CompileOptions,
  HeaderOp,
  HeaderPlan,
  PlanPair,
  ResolvedCsp,
  ResolvedHeader,
  ResolvedHsts,
  ResolvedNonce,
  ResolvedPolicy,
} from "./types.js";

/** Header budget for everything the policy writes; workerd allows 32 KiB per response in all. */
export const POLICY_HEADER_BUDGET = 16384;

/** Render an HSTS value from its resolved parts. */
export function renderHsts(hsts: ResolvedHsts): string {
  return `max-age=${hsts.maxAge}${hsts.includeSubDomains ? "; includeSubDomains" : ""}${hsts.preload ? "; preload" : ""}`;
}

const isValidHsts = (value: string): boolean => parseHsts(value) !== null;

/** Distinct origin values each op remembers a verdict for; a site sends few, an attacker many. */
const VALIDITY_CACHE_SIZE = 64;

/**
 * Remember a validator's verdict per value: an origin sends the same few header values over and over,
 * and parsing one (a structured-field dictionary, an HSTS value) costs far more than a Map lookup.
 */
export function memoizeValidity(isValid: (value: string) => boolean): (value: string) => boolean {
  return memoizeByValue(isValid);
}

/** The same bounded per-value memo for any verdict (HSTS capping returns a string, or null). */
function memoizeByValue<T>(verdictOf: (value: string) => T): (value: string) => T {
  const verdicts = new Map<string, T>();
  return (value) => {
    if (verdicts.has(value)) return verdicts.get(value) as T;
    const verdict = verdictOf(value);
    if (verdicts.size >= VALIDITY_CACHE_SIZE) verdicts.clear();
    verdicts.set(value, verdict);
    return verdict;
  };
}

const HSTS = { name: "Strict-Transport-Security", key: "strict-transport-security" } as const;

/**
 * The https HSTS op. Under CEILINGS that limit HSTS (decided here, once per policy version) an origin's own
 * value is capped too, whenever the edge does not replace it: a `default` action, or no HSTS of the policy's.
 */
function hstsOp(hsts: ResolvedHsts | null, ceilings: Ceilings | undefined): HeaderOp | undefined {
  if (ceilings?.hstsNone === true) return { kind: "remove", ...HSTS, from: "CEILINGS (unreadable: no HSTS)" };
  if (hsts?.action === "set" || !limitsHsts(ceilings)) {
    return hsts === null ? undefined : wholeValueOp(HSTS.name, hsts.action, renderHsts(hsts), hsts.from, isValidHsts);
  }
  const cap = memoizeByValue((v) => capHstsValue(v, ceilings));
  if (hsts === null) return { kind: "remove", ...HSTS, cap, from: "CEILINGS (the origin's value, capped)" };
  return { kind: "default", ...HSTS, value: renderHsts(hsts), isValid: memoizeValidity(isValidHsts), cap, from: hsts.from };
}

function wholeValueOp(name: string, action: "set" | "default", value: string, from: string, isValid: (v: string) => boolean): HeaderOp {
  const key = name.toLowerCase();
  return action === "set"
    ? { kind: "set", name, key, value, from }
    : { kind: "default", name, key, value, isValid: memoizeValidity(isValid), from };
}

function headerOp(header: ResolvedHeader): HeaderOp {
  const key = header.name.toLowerCase();
  const spec = specFor(key);
  const { name, from } = header;
  const value = header.value ?? "";
  switch (header.action) {
    case "remove":
      return { kind: "remove", name, key, from };
    case "strip-version":
      return { kind: "remove", name, key, from, versionsOnly: true };
    case "set":
      return { kind: "set", name, key, value, from };
    case "default":
      return { kind: "default", name, key, value, isValid: memoizeValidity(spec.isValid), from };
    case "append":
      return {
        kind: "append",
        name,
        key,
        value,
        items: splitListValue(value),
        headerKind: spec.kind,
        isValid: memoizeValidity(spec.isValid),
        from,
      };
  }
}

interface CspRendering {
  readonly enforced: ResolvedCsp | null;
  readonly reported: readonly ResolvedCsp[];
}

function cspRendering(policy: ResolvedPolicy, reportOnly: boolean): CspRendering {
  return {
    enforced: reportOnly ? null : policy.csp,
    reported: [reportOnly ? policy.csp : null, policy.cspReportOnly].filter((c): c is ResolvedCsp => c !== null),
  };
}

function cspOps(policy: ResolvedPolicy, options: CompileOptions, https: boolean, nonce: ResolvedNonce | null): HeaderOp[] {
  const render = (csp: ResolvedCsp) => renderCsp(directivesFor(csp, nonce, options.reportPath), https);
  const { enforced, reported } = cspRendering(policy, options.reportOnly);
  const ops: HeaderOp[] = [];
  if (enforced !== null) {
    // Under `default` the origin's CSP wins only if it restricts something (a lone report-uri does not).
    ops.push(templatedOp("Content-Security-Policy", enforced.action, render(enforced), enforced.from, cspRestricts));
  }
  const [first] = reported;
  if (first !== undefined) {
    const from = reported.map((c) => (c === policy.csp ? `${c.from} (CSP_REPORT_ONLY)` : c.from)).join(", ");
    // Several policies in one header are comma-separated (CSP3 §3.1): one header, every policy reported.
    ops.push(templatedOp("Content-Security-Policy-Report-Only", first.action, reported.map(render).join(", "), from, cspRestricts));
  }
  if (options.reportPath !== undefined && ops.length > 0) {
    const spec = specFor("reporting-endpoints");
    const item = `${REPORT_ENDPOINT_NAME}="${options.reportPath}"`;
    ops.push({
      kind: "append",
      name: "Reporting-Endpoints",
      key: "reporting-endpoints",
      value: item,
      items: [item],
      headerKind: spec.kind,
      isValid: memoizeValidity(spec.isValid),
      from: "REPORTS_ENABLED",
    });
  }
  return ops;
}

/** A set/default op; a value with a nonce slot also carries the parts the nonce is joined with. */
function templatedOp(name: string, action: "set" | "default", value: string, from: string, isValid: (v: string) => boolean): HeaderOp {
  if (!value.includes(NONCE_SLOT)) return wholeValueOp(name, action, value, from, isValid);
  const parts = value.split(NONCE_SLOT);
  // The nonce-free rendering never reaches a response through this op: `value` is the template's text.
  const key = name.toLowerCase();
  return action === "set"
    ? { kind: "set", name, key, value, parts, from }
    : { kind: "default", name, key, value, parts, isValid: memoizeValidity(isValid), from };
}

function planOps(policy: ResolvedPolicy, options: CompileOptions, https: boolean, nonce: ResolvedNonce | null): HeaderOp[] {
  const ops: HeaderOp[] = [];
  if (!https)
    ops.push({
      kind: "remove",
      name: "Strict-Transport-Security",
      key: "strict-transport-security",
      from: "http (HSTS is for https only)",
    });
  else {
    const hsts = hstsOp(policy.hsts, options.ceilings);
    if (hsts !== undefined) ops.push(hsts);
  }
  ops.push(...cspOps(policy, options, https, nonce));
  for (const header of policy.headers.values()) ops.push(headerOp(header));
  const cookies = compileCookies(policy.cookies);
  if (cookies !== null) ops.push({ kind: "cookies", name: "Set-Cookie", key: "set-cookie", cookies, https, from: cookiesFrom(policy) });
  return ops;
}

/** The layers whose cookie entries make up the op, for explain: "defaults, KV". */
function cookiesFrom(policy: ResolvedPolicy): string {
  return [...new Set(policy.cookies.map(({ from }) => from.replace(/ cookies\[\d+\]$/, "")))].join(", ");
}

const CSP_HEADERS = new Set(["content-security-policy", "content-security-policy-report-only"]);

function headerPlan(policy: ResolvedPolicy, options: CompileOptions, https: boolean): HeaderPlan {
  const ops = planOps(policy, options, https, null);
  const nonce = policy.nonce;
  const { enforced, reported } = cspRendering(policy, options.reportOnly);
  if (nonce === null || (enforced === null && reported.length === 0)) return { ops, nonce: null };
  const stamped = planOps(policy, options, https, nonce);
  return {
    ops,
    nonce: {
      ops: stamped,
      carriers: stamped.filter((op) => CSP_HEADERS.has(op.key) && (op.kind === "set" || op.kind === "default") && op.parts !== undefined),
      notModifiedOps: stamped
        .filter((op) => !CSP_HEADERS.has(op.key))
        .concat(
          ["Content-Security-Policy", "Content-Security-Policy-Report-Only"].map((name) => ({
            kind: "remove" as const,
            name,
            key: name.toLowerCase(),
            from: "304 (keeps the policy cached with the page)",
          })),
        ),
      mode: nonce.mode,
      scripts: nonce.scripts,
      styles: nonce.styles,
    },
  };
}

/** Compile a resolved policy into the plans requests use, checking the result fits in a response. */
export function compilePlans(policy: ResolvedPolicy, options: CompileOptions): Result<PlanPair> {
  const https = headerPlan(policy, options, true);
  const http = headerPlan(policy, options, false);
  let bytes = 0;
  for (const op of https.nonce?.ops ?? https.ops)
    if (op.kind !== "remove" && op.kind !== "cookies") bytes += op.name.length + op.value.length + 24 + 4;
  if (bytes > POLICY_HEADER_BUDGET) {
    return {
      ok: false,
      issues: [
        {
          path: "",
          message: `policy headers within ${POLICY_HEADER_BUDGET} bytes, leaving room for the origin's (responses are capped at 32 KiB of headers)`,
          received: `${bytes} bytes`,
        },
      ],
    };
  }
  return { ok: true, value: { https, http } };
}
