// The response explain simulates for one request: the Worker's own match, merge, plan and decision applied
// to a simulated origin's headers, and what each op did. explain prints it; the grade adapter scores it.

import type { Scrub } from "../../src/core/nonce/body-transformer.js";
import { decideResponse, scopeMarkers, scrubsFor } from "../../src/core/nonce/decide-response.js";
import { matchMarkerScope } from "../../src/core/nonce/marker-scope.js";
import { scrubHeaders } from "../../src/core/nonce/stamped-response.js";
import { applyHeaders } from "../../src/core/headers/apply-headers.js";
import { bundleWarnings } from "../../src/core/csp/bundles-warnings.js";
import type { BundleWarning } from "../../src/core/csp/bundles-warnings.js";
import { explainCookies, type CookieExplanation } from "./explain-cookies.js";
import { matchRules } from "../../src/core/policy/match-rules.js";
import { planHeaders } from "../../src/core/policy/plan-headers.js";
import type {
  CompiledPolicy,
  CompiledRule,
  HeaderOp,
  HeaderPlan,
  MarkerScope,
  RequestFacts,
  ResolvedCsp,
  ResolvedPolicy,
} from "../../src/core/policy/types.js";
import type { PolicyIssue } from "../../src/core/shared/result.js";

/** Shown where the Worker writes a fresh random nonce into each HTML response. */
const NONCE_PLACEHOLDER = "{fresh-nonce}";
/** What the placeholder becomes in headers that are graded: a nonce of the Worker's shape (128 bits, base64). */
const SAMPLE_NONCE = "c2FtcGxlLW5vbmNlLTEyOA==";

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
  /** The cookie entries for this path and what each origin Set-Cookie line becomes (bin/support/explain-cookies.ts). */
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

/** What a CEILINGS cap does to the origin's HSTS value; undefined when it does not apply (no value, or one it cannot read). */
function capOutcome(op: HeaderOp, originValue: string | null): string | undefined {
  const capped =
    (op.kind === "default" || op.kind === "remove") && op.cap !== undefined && originValue !== null ? op.cap(originValue) : null;
  if (capped === null) return undefined;
  return capped === originValue
    ? "the origin's value is kept (within the CEILINGS)"
    : "the origin's value is kept, lowered to the CEILINGS";
}

function outcomeOf(op: HeaderOp, originValue: string | null): string {
  const capped = capOutcome(op, originValue);
  if (capped !== undefined) return `${op.kind === "default" ? "default" : "capped"}: ${capped}`;
  if (op.kind === "remove" && op.cap !== undefined) {
    return originValue === null
      ? "capped to the CEILINGS if the origin sends it (it sent none here)"
      : "removed: the origin's value cannot be read, so it could exceed the CEILINGS";
  }
  switch (op.kind) {
    case "set":
      return originValue === null
        ? "set"
        : originValue === op.value
          ? "set (the origin sent the same value)"
          : "set, replacing the origin's value";
    case "default":
      if (originValue === null) return "default: the origin sent none, so the policy's value";
      return op.isValid(originValue)
        ? "default: the origin's valid value is kept"
        : "default: the origin's value is invalid, so the policy's replaces it";
    case "append":
      if (originValue === null) return "append: the origin sent none, so the policy's value";
      return op.isValid(originValue)
        ? "append: the origin's items, then the policy's it lacked"
        : "append: the origin's value is invalid, so the policy's replaces it";
    case "remove":
      if (op.versionsOnly === true) {
        return originValue === null
          ? "strip-version: versions dropped if the origin sends it (it sent none here)"
          : "strip-version: the origin's product names kept, versions dropped";
      }
      return originValue === null ? "removed if the origin sends it (it sent none here)" : "removed: the origin sent it";
    case "cookies":
      return originValue === null
        ? "cookies: each Set-Cookie line the origin sends gets the attributes the policy requires (it sent none here)"
        : "cookies: each Set-Cookie line, with the attributes the policy requires appended";
  }
}

/** What strip-version made of the origin's value, or undefined for any other op (or no origin value). */
function stripOutcome(op: HeaderOp, originValue: string | null, value: string | null): string | undefined {
  if (op.kind !== "remove" || op.versionsOnly !== true || originValue === null) return undefined;
  if (value === null) return "strip-version: the origin's value named nothing but versions, so it is dropped";
  return value === originValue
    ? "strip-version: the origin's value names no version, sent as it is"
    : `strip-version: the origin's ${JSON.stringify(originValue)} without its versions`;
}

/** The resolved CSPs behind each CSP header, so each directive can be attributed. */
function cspAttribution(
  resolved: ResolvedPolicy,
  reportOnly: boolean,
  https: boolean,
  stamped: boolean,
): Record<string, { directive: string; from: string }[]> {
  const { nonce } = resolved;
  const nonceEntries =
    stamped && nonce !== null
      ? [...(nonce.scripts ? ["script-src"] : []), ...(nonce.styles ? ["style-src"] : [])].map((d) => ({
          directive: `the nonce in ${d}`,
          from: nonce.from,
        }))
      : [];
  const list = (csps: readonly (ResolvedCsp | null)[]) => {
    const present = csps.filter((csp): csp is ResolvedCsp => csp !== null);
    const entries = present
      .flatMap((csp) => [...csp.directives])
      .filter(([name]) => https || (name !== "upgrade-insecure-requests" && name !== "block-all-mixed-content"))
      .map(([directive, { from }]) => ({ directive, from }));
    return present.length === 0 ? entries : [...entries, ...nonceEntries];
  };
  return {
    "content-security-policy": reportOnly ? [] : list([resolved.csp]),
    "content-security-policy-report-only": list([reportOnly ? resolved.csp : null, resolved.cspReportOnly]),
  };
}

/** Per CSP header: what each source bundle (`allow`) behind it adds, per directive. */
function bundleAttribution(resolved: ResolvedPolicy, reportOnly: boolean): Explanation["cspBundles"] {
  const list = (csps: readonly (ResolvedCsp | null)[]) =>
    csps.flatMap((csp) =>
      (csp?.bundles ?? []).map((b) => ({ bundle: b.name, from: b.from, path: b.path, added: Object.fromEntries(b.added) })),
    );
  return {
    "content-security-policy": reportOnly ? [] : list([resolved.csp]),
    "content-security-policy-report-only": list([reportOnly ? resolved.csp : null, resolved.cspReportOnly]),
  };
}

/** Shown where the Worker writes random filler in place of a marker (no header carries it). */
const FILLER_PLACEHOLDER = "{random-filler}";

/** What the Worker does with this response: its own decision (core/nonce/decide-response.ts), refusal and scrubbing included. */
function selectOps(
  plan: HeaderPlan,
  contentType: string | null,
  status: number,
  origin: Headers,
  scope: MarkerScope | null,
): { ops: readonly HeaderOp[]; nonce: string | undefined; note: string | null; refused: string | null; scrubs: readonly Scrub[] } {
  const { decision, refusal } = decideResponse(
    plan,
    {
      method: "GET",
      status,
      contentType,
      contentEncoding: origin.get("content-encoding"),
      hasBody: status !== 204 && status !== 205 && status !== 304,
      originHeaders: origin,
      headerNames: origin.keys(),
    },
    scope,
  );
  // The Worker's 502 carries the plan's ops without a nonce, and nothing of the origin's response.
  if (refusal !== undefined) return { ops: plan.ops, nonce: undefined, note: null, refused: refusal, scrubs: [] };
  const nonce = decision.stamp ? NONCE_PLACEHOLDER : undefined;
  const scrubs = scope === null ? [] : scrubsFor(scope, nonce, () => FILLER_PLACEHOLDER);
  // On a site with a marker every body is scrubbed of it, whatever the response (docs/csp.md).
  const secret =
    scope?.from === "NONCE_MARKER"
      ? " (the marker is the NONCE_MARKER secret: the Worker needs it set, `npx wrangler secret put NONCE_MARKER`)"
      : "";
  const scrubbed =
    scope === null
      ? ""
      : scope.marked
        ? `; the marker is scrubbed from every body on this path, and Range is not forwarded${secret}`
        : "; the site's marker is scrubbed from this body (filler in its place), as on every path";
  const base = { ops: decision.ops, refused: null, scrubs };
  if (!decision.stamp) {
    const quiet = plan.nonce === null && decision.why === "no nonce in this policy" && scope === null;
    return { ...base, nonce: undefined, note: quiet ? null : `no nonce: ${decision.why}${scrubbed}` };
  }
  const mode =
    plan.nonce?.mode === "blanket" ? "every script/style element" : "the elements the origin marked with the site's secret marker";
  return { ...base, nonce, note: `a fresh nonce per response (${NONCE_PLACEHOLDER} here), stamped on ${mode}${scrubbed}` };
}

/** The origin's headers with the ops applied, as the Worker applies them: what each op did, and what passed through untouched. */
function headerOutcomes(
  ops: readonly HeaderOp[],
  nonce: string | undefined,
  before: Headers,
  names: ReadonlyMap<string, string>,
  scrubs: readonly Scrub[],
): Pick<Explanation, "sent" | "removed" | "passedThrough"> {
  const after = new Headers(before);
  applyHeaders(after, ops, nonce);
  // As the Worker does after writing them: no header value carries a marker (nor does this output).
  for (const { marker, replacement } of scrubs) scrubHeaders(after, marker.marker, replacement);
  const sent: OpOutcome[] = [];
  const removed: OpOutcome[] = [];
  const owned = new Set<string>();
  for (const op of ops) {
    // Set-Cookie lines stay the origin's, each hardened apart: they show as passed through (and in cookies).
    if (op.kind === "cookies") continue;
    owned.add(op.name.toLowerCase());
    const originValue = before.get(op.name);
    const kept = (op.kind === "default" && originValue !== null && op.isValid(originValue)) || capOutcome(op, originValue) !== undefined;
    const outcome: OpOutcome = {
      name: op.name,
      action: op.kind,
      from: op.from,
      value: after.get(op.name),
      originValue,
      policyValue: op.kind !== "remove" && !kept,
      outcome: stripOutcome(op, originValue, after.get(op.name)) ?? outcomeOf(op, originValue),
    };
    // strip-version (and a capped origin HSTS) send what is left of the origin's value: a header sent, not removed.
    (op.kind === "remove" && outcome.value === null ? removed : sent).push(outcome);
  }
  const passedThrough = [...after]
    .filter(([lower]) => !owned.has(lower))
    .map(([lower, value]) => ({ name: names.get(lower) ?? lower, value }));
  return { sent, removed, passedThrough };
}

/** The headers the Worker sends for one request to this policy, and why: the Worker's own match, merge, plan and decision. */
export function explain(
  policy: CompiledPolicy,
  facts: RequestFacts,
  status: number,
  origin: readonly [string, string][],
  context: { readonly environment: string; readonly layers: readonly string[]; readonly everyRequest?: Explanation["everyRequest"] },
): Explanation {
  // The Worker's own match and merge for this response: the rules it applies and skips, the layer behind
  // each CSP directive (which the plan does not carry), and the rules it cannot combine.
  const match = matchRules(policy, facts);
  const rulesAt = (indices: readonly number[]): CompiledRule[] =>
    indices.flatMap((i) => {
      const rule = policy.rules[i];
      return rule === undefined ? [] : [rule];
    });
  const { route } = match;
  const applied = rulesAt(match.applied).sort((a, b) => a.order - b.order);
  const skipped = rulesAt(match.skipped);
  const combined = policy.combine(match.applied);
  const before = new Headers();
  const names = new Map<string, string>();
  for (const [name, value] of origin) {
    before.append(name, value);
    names.set(name.toLowerCase(), name);
  }
  const selected = selectOps(planHeaders(policy, facts), facts.contentType, status, before, matchMarkerScope(policy, facts.path));
  // A refused response is the Worker's own 502: none of the origin's headers go out.
  const sentBefore = selected.refused === null ? before : new Headers();
  const { sent, removed, passedThrough } = headerOutcomes(selected.ops, selected.nonce, sentBefore, names, selected.scrubs);
  return {
    environment: context.environment,
    everyRequest: context.everyRequest ?? null,
    request: { method: "GET", path: facts.path, https: facts.https, status, contentType: facts.contentType },
    route: {
      matchedAs: route.ok && policy.rules.length > 0 ? route.path : null,
      readings: route.ok ? route.readings.map(({ path, how }) => ({ path, how })) : [],
      refused: route.ok ? null : route.reason,
    },
    layers: context.layers,
    reportOnly: policy.options.reportOnly,
    // The origin's headers as given, but never a marker: no CLI output carries one.
    origin: origin.map(([name, value]) => ({ name: hideMarkers(name, policy), value: hideMarkers(value, policy) })),
    rules: {
      applied: applied.map((rule) => ({ from: rule.from, pattern: rule.pattern, description: rule.description })),
      skippedForContentType: skipped.map((rule) => ({ from: rule.from, pattern: rule.pattern, contentTypes: rule.contentTypes ?? [] })),
      conflicts: combined.rejected.map((layer) => ({ rule: layer.from, issues: layer.issues })),
    },
    sent,
    removed,
    passedThrough,
    nonce: selected.note,
    refused: selected.refused,
    cspDirectives: cspAttribution(combined.resolved, policy.options.reportOnly, facts.https, selected.nonce !== undefined),
    cspBundles: bundleAttribution(combined.resolved, policy.options.reportOnly),
    bundleWarnings: bundleWarnings(combined.resolved),
    cookies: explainCookies(
      selected.ops,
      sentBefore.getSetCookie(),
      passedThrough.filter(({ name }) => name.toLowerCase() === "set-cookie").map(({ value }) => value),
    ),
  };
}

/** `text` with each of the site's markers (in any case) shown as MARKER-REDACTED. */
function hideMarkers(text: string, policy: CompiledPolicy): string {
  const scope = policy.marker;
  if (scope === null) return text;
  let out = text;
  for (const { marker } of scopeMarkers(scope)) out = out.replace(new RegExp(marker.replace(/[-]/g, "\\-"), "gi"), "MARKER-REDACTED");
  return out;
}

/** The response headers an explanation ends with: those the Worker sends (a sample nonce in place of the placeholder), and the origin's passed through. */
export function explainedHeaders(explanation: Explanation): Headers {
  const headers = new Headers();
  for (const op of explanation.sent) if (op.value !== null) headers.set(op.name, op.value.replaceAll(NONCE_PLACEHOLDER, SAMPLE_NONCE));
  for (const { name, value } of explanation.passedThrough) headers.append(name, value);
  return headers;
}
