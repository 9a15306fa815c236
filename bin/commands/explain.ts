// `explain <file> <path>`: the exact headers one environment's Worker would send for one request, and which
// layer or rule produced each, by simulating the origin's response and applying the real plan to it.

import { onlyDuplicateKeys } from "../support/duplicate-keys.js";
import { describeCap } from "../../src/core/policy/ceilings.js";
import { matchMarkerScope } from "../../src/core/nonce/marker-scope.js";
import type { Scrub } from "../../src/core/nonce/body-transformer.js";
import { decideResponse, scopeMarkers, scrubsFor } from "../../src/core/nonce/decide-response.js";
import { scrubHeaders } from "../../src/core/nonce/stamped-response.js";
import { applyHeaders } from "../../src/core/headers/apply-headers.js";
import { matchRules } from "../../src/core/policy/match-rules.js";
import { isHeaderName } from "../../src/core/headers/known-headers.js";
import { planHeaders } from "../../src/core/policy/plan-headers.js";
import { bundleWarnings } from "../../src/core/csp/bundles-warnings.js";
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
import { integerOption, parseCommandLine, takePositionals, UsageError, type Command } from "../support/command.js";
import { checkDocument, readPolicyFile, renderIssue } from "../support/documents.js";
import { describeEnvironment, ENVIRONMENT_OPTIONS, loadEnvironment, type Environment } from "../support/environment.js";
import type { GradeReport } from "../support/grade/grade.js";
import { gradeHeaders, OFFLINE_SCOPE } from "../support/grade/offline.js";
import { gradeJson, renderFindings, styleGrade } from "../support/grade/render.js";
import { EXIT, type ExitStatus, type Io } from "../support/io.js";
import { refusalForEveryRequest } from "../../src/core/origin/request-guard.js";
import { printable, printableJson } from "../support/printable.js";
import { renderExplanation, type Explanation, type OpOutcome } from "./explain-output.js";

const DEFAULT_CONTENT_TYPE = "text/html; charset=utf-8";
/** Shown where the Worker writes a fresh random nonce into each HTML response. */
const NONCE_PLACEHOLDER = "{fresh-nonce}";
/** What the placeholder becomes in headers that are graded: a nonce of the Worker's shape (128 bits, base64). */
const SAMPLE_NONCE = "c2FtcGxlLW5vbmNlLTEyOA==";

const HELP = `Usage: security-headers-worker explain <file> <path> [options]

Show the exact headers an environment's Worker would send for one request, treating <file> as its KV
policy document, and which layer or rule produced each: "defaults", "POLICY", "KV", "KV.rules[2] /embed/*".
The environment's vars come from wrangler.toml as wrangler reads them (see --env): its POLICY var,
CSP_REPORT_ONLY, and the report collector's report-uri/report-to/Reporting-Endpoints when REPORTS_ENABLED.
<path> is a path (/embed/widget) or a URL (https://example.com/embed/widget, which implies --https).
Rules match the path's canonical form ("Path" shows it); a path the Worker refuses is shown as refused.
The origin is simulated: by default it sends no security headers, only a Content-Type.

Options:
  --https                   the request came over https (default: http, where HSTS is never sent)
  --status N                the origin's status (default 200; the plan is the same for every status)
  --content-type T          the origin's Content-Type (default "${DEFAULT_CONTENT_TYPE}"; "" for none);
                            rules limited to other content types are shown as skipped
  --origin-header "N: v"    a header the origin sends (repeatable), to see default/append/remove act on it
  -e, --env NAME            a wrangler environment ("" for the top level; default: CLOUDFLARE_ENV, else
                            the top level of the nearest wrangler.toml; without one, the built-in defaults)
  -c, --config FILE         the wrangler configuration (default: wrangler.json or wrangler.toml here or above)
  --policy-var FILE         use this POLICY var instead (JSON, or a TOML table in a .toml file)
  --var NAME:VALUE          set another var (repeatable), e.g. --var REPORTS_ENABLED:true
  --report-only             as if CSP_REPORT_ONLY="true"
  --json                    print the explanation as JSON
  -h, --help                show this help

Exit status: 0 explained, 1 the document is invalid (nothing to explain), 2 usage error.
`;

function parseOriginHeader(raw: string): [string, string] {
  const colon = raw.indexOf(":");
  const name = colon === -1 ? "" : raw.slice(0, colon).trim();
  if (!isHeaderName(name)) {
    throw new UsageError(`--origin-header: expected "Name: value" with a valid header name, received ${JSON.stringify(raw)}`);
  }
  return [name, raw.slice(colon + 1).trim()];
}

function parseTarget(raw: string, httpsFlag: boolean): { path: string; https: boolean } {
  if (/^https?:\/\//i.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UsageError(`<path>: expected a path or an http(s) URL, received ${JSON.stringify(raw)}`);
    }
    return { path: url.pathname, https: httpsFlag || url.protocol === "https:" };
  }
  if (!raw.startsWith("/"))
    throw new UsageError(`<path>: expected a path starting with / or an http(s) URL, received ${JSON.stringify(raw)}`);
  // The Worker sees the pathname as the URL parser leaves it (dot segments resolved, no query). Appended to
  // an origin as a request line is, not resolved against one: //admin/x is a path, not a host named admin.
  return { path: new URL(`http://host.invalid${raw}`).pathname, https: httpsFlag };
}

function outcomeOf(op: HeaderOp, originValue: string | null): string {
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
    owned.add(op.name.toLowerCase());
    const originValue = before.get(op.name);
    const kept = op.kind === "default" && originValue !== null && op.isValid(originValue);
    const value = after.get(op.name);
    const outcome: OpOutcome = {
      name: op.name,
      action: op.kind,
      from: op.from,
      value,
      originValue,
      policyValue: op.kind !== "remove" && !kept,
      outcome: stripOutcome(op, originValue, value) ?? outcomeOf(op, originValue),
    };
    // strip-version sends what it leaves of the origin's value: that is a header sent, not removed.
    (op.kind === "remove" && value === null ? removed : sent).push(outcome);
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

/** The grade of the https response for this explanation's request (explained again on https when it was http). */
function gradeOf(policy: CompiledPolicy, x: Explanation): Promise<GradeReport> {
  const { request } = x;
  const origin = x.origin.map(({ name, value }): [string, string] => [name, value]);
  const onHttps = request.https
    ? x
    : explain(policy, { https: true, path: request.path, contentType: request.contentType }, request.status, origin, {
        environment: x.environment,
        layers: x.layers,
      });
  return gradeHeaders(explainedHeaders(onHttps), request.path, request.status);
}

async function run(args: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandLine(args, {
    https: { type: "boolean" },
    status: { type: "string" },
    "content-type": { type: "string" },
    "origin-header": { type: "string", multiple: true },
    ...ENVIRONMENT_OPTIONS,
    "report-only": { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.out(HELP);
    return EXIT.ok;
  }
  const [file = "", target = ""] = takePositionals(positionals, ["file", "path"]);
  const { path, https } = parseTarget(target, values.https === true);
  const status = integerOption("status", values.status, 100, 599, 200);
  const origin = (values["origin-header"] ?? []).map(parseOriginHeader);
  const flagType = values["content-type"];
  const originType = origin.find(([name]) => name.toLowerCase() === "content-type")?.[1];
  const contentType = flagType !== undefined ? (flagType.trim() === "" ? null : flagType.trim()) : (originType ?? DEFAULT_CONTENT_TYPE);
  const originHeaders = origin.filter(([name]) => name.toLowerCase() !== "content-type");
  if (contentType !== null) originHeaders.unshift(["Content-Type", contentType]);

  const environment = await loadEnvironment(values, io, values["report-only"] === true);
  warnAboutEnvironment(environment, io);
  const layers = ["defaults", ...(environment.config.policy === undefined ? [] : ["POLICY"]), `KV (${file})`];
  const check = checkDocument((await readPolicyFile(file)).text, environment.config);
  if (check.stage !== "rules") {
    const why = onlyDuplicateKeys(check.issues)
      ? "push would not store it, and the Worker would read only the last copy of each repeated key"
      : "so the Worker would not apply it (the layers below would serve)";
    io.out(`${io.style.red("✗")} ${printable(file)} is not valid, ${why}:\n`);
    for (const issue of check.issues) io.out(`  ${renderIssue(issue, io.style)}\n`);
    return EXIT.defect;
  }
  const explanation = explain(check.policy, { https, path, contentType }, status, originHeaders, {
    environment: describeEnvironment(environment),
    layers,
    everyRequest: everyRequestOf(environment),
  });
  const grade = await gradeOf(check.policy, explanation);
  if (values.json === true) {
    const caps = check.caps.map((cap) => ({ ...cap, message: describeCap(cap) }));
    io.out(`${printableJson({ ...explanation, caps, grade: gradeJson(grade) })}\n`);
    return EXIT.ok;
  }
  renderExplanation(explanation, io);
  // Why a value above differs from the document's: this environment's CEILINGS lowered it.
  for (const cap of check.caps) io.out(`${io.style.yellow("capped:")} ${printable(describeCap(cap))}\n`);
  io.out(`\n${io.style.bold("Grade")} ${styleGrade(grade, io.style)} ${io.style.dim(`on https: ${OFFLINE_SCOPE}`)}\n`);
  renderFindings(grade, io, "  ", true);
  return EXIT.ok;
}

/** The Worker's answer to every request under these bindings, when it refuses them all (request-guard.ts). */
function everyRequestOf(environment: Environment): Explanation["everyRequest"] {
  return refusalForEveryRequest(environment.config) ?? null;
}

/** Problems with the bindings do not stop the Worker (each falls back on its own), so they are warnings here. */
function warnAboutEnvironment(environment: Environment, io: Io): void {
  const { errStyle } = io;
  for (const warning of environment.warnings) io.err(`${errStyle.yellow("warning:")} ${printable(warning)}\n`);
  if (environment.issues.length === 0) return;
  io.err(
    `${errStyle.yellow("warning:")} the bindings have issues; the Worker logs them and uses the safe fallback for each, as shown here:\n`,
  );
  for (const issue of environment.issues) io.err(`  ${renderIssue(issue, errStyle)}\n`);
}

export const explainCommand: Command = {
  name: "explain",
  summary: "show the headers the Worker sends for a request, and why",
  help: HELP,
  run,
};
