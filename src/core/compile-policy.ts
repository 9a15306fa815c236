// Once per policy version: merge layers into a resolved policy, then compile it into per-scheme header plans.

import { CSP_FALLBACKS, cspRestricts, renderCsp, type DirectiveValue } from "./csp.js";
import { defaultPolicyDocument } from "./defaults.js";
import { parseHsts, specFor, splitListValue } from "./known-headers.js";
import { compilePathIndex, patternSpecificity } from "./match-path.js";
import { compileMarkerScope, resolveSiteMarker } from "./marker-scope.js";
import { MARKER_HOWTO, redactMarkers } from "./nonce-marker.js";
import { CombinationMemo } from "./policy.js";
import type {
  CompiledPolicy,
  MemoNode,
  CompiledRule,
  HeaderPlan,
  NonceLayer,
  ResolvedNonce,
  PlanPair,
  PolicyDocument,
  RejectedCombination,
  CspLayer,
  HeaderOp,
  HstsLayer,
  PolicyLayer,
  ResolvedCsp,
  ResolvedDirective,
  ResolvedHeader,
  ResolvedHsts,
  ResolvedPolicy,
} from "./policy.js";
import { joinPath, renderReceived, type PolicyIssue, type Result } from "./result.js";

/** Nothing owned: the starting point that the built-in defaults are merged onto. */
export const EMPTY_POLICY: ResolvedPolicy = { headers: new Map(), csp: null, cspReportOnly: null, hsts: null, nonce: null };

/** HSTS preload list requirements (hstspreload.org): at least a year, and every subdomain. */
const PRELOAD_MIN_MAX_AGE = 31536000;

/** Header budget for everything the policy writes; workerd allows 32 KiB per response in all. */
export const POLICY_HEADER_BUDGET = 16384;

/**
 * Merge one layer onto the policy below it. Fields the layer leaves out are inherited; `null` / `false`
 * stop owning a header. Issues are the ones only visible in context, e.g. an action with no value anywhere,
 * or a marked nonce when the site has no marker (`markerAvailable` false).
 */
export function mergeLayer(base: ResolvedPolicy, layer: PolicyLayer, from: string, markerAvailable = false): Result<ResolvedPolicy> {
  const issues: PolicyIssue[] = [];
  const headers = new Map(base.headers);
  for (const [name, entry] of Object.entries(layer.headers ?? {})) {
    const lower = name.toLowerCase();
    const path = joinPath("headers", name);
    if (entry === null) {
      headers.delete(lower);
      continue;
    }
    const previous = headers.get(lower);
    // remove and strip-version carry no value for a later layer to inherit.
    const inherited = previous?.action === "remove" || previous?.action === "strip-version" ? undefined : previous;
    const object = typeof entry === "string" ? { value: entry, action: undefined } : entry;
    const action = object.action ?? inherited?.action ?? "default";
    const valueless = action === "remove" || action === "strip-version";
    const value = valueless ? undefined : (object.value ?? inherited?.value);
    if (!valueless && value === undefined) {
      issues.push({ path: joinPath(path, "value"), message: `a value: no lower layer gives ${name} one to ${action}`, received: "undefined" });
      continue;
    }
    headers.set(lower, { name, action, value, from });
  }
  for (const name of layer.remove ?? []) {
    headers.set(name.toLowerCase(), { name, action: "remove", value: undefined, from });
  }
  const csp = mergeCspField(base.csp, layer.csp, from, "csp", issues);
  const cspReportOnly = mergeCspField(base.cspReportOnly, layer.cspReportOnly, from, "cspReportOnly", issues);
  const hsts = mergeHstsField(base.hsts, layer.hsts, from, issues);
  const nonce = mergeNonceField(base.nonce, layer.nonce, from, markerAvailable, issues);
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, value: { headers, csp, cspReportOnly, hsts, nonce } };
}

function mergeCspField(
  base: ResolvedCsp | null,
  layer: CspLayer | false | undefined,
  from: string,
  path: string,
  issues: PolicyIssue[],
): ResolvedCsp | null {
  if (layer === undefined) return base;
  if (layer === false) return null;
  // `replace` starts from no directives: the layer's `directives` are the whole policy.
  const directives = new Map<string, ResolvedDirective>(layer.replace === true ? [] : (base?.directives ?? []));
  for (const [name, value] of Object.entries(layer.directives ?? {})) {
    directives.set(name, { value: value === true ? true : [...value], from });
  }
  for (const [name, sources] of Object.entries(layer.add ?? {})) {
    const added = addSources(directives, name, sources);
    if (added !== undefined) directives.set(name, { value: added, from });
  }
  for (const name of layer.remove ?? []) directives.delete(name);
  if (directives.size === 0) {
    issues.push({ path, message: `at least one directive (\`${path}: false\` sends no policy)`, received: renderReceived(layer) });
    return base;
  }
  return { action: layer.action ?? base?.action ?? "default", directives, from };
}

/**
 * The directive's sources after adding some, or undefined when adding changes nothing. A directive that
 * is absent starts from the directive it falls back to, so adding to script-src keeps what default-src
 * allowed; when nothing restricts the directive at all, adding would restrict it, so nothing is done.
 */
function addSources(directives: ReadonlyMap<string, ResolvedDirective>, name: string, sources: readonly string[]): DirectiveValue | undefined {
  let current = directives.get(name)?.value;
  for (const fallback of CSP_FALLBACKS.get(name) ?? []) {
    if (current !== undefined) break;
    current = directives.get(fallback)?.value;
  }
  if (current === undefined || current === true) return undefined;
  const kept = current.filter((s) => s.toLowerCase() !== "'none'");
  const seen = new Set(kept.map((s) => s.toLowerCase()));
  for (const source of sources) {
    if (!seen.has(source.toLowerCase())) kept.push(source);
    seen.add(source.toLowerCase());
  }
  return kept;
}

function mergeHstsField(base: ResolvedHsts | null, layer: HstsLayer | false | undefined, from: string, issues: PolicyIssue[]): ResolvedHsts | null {
  if (layer === undefined) return base;
  if (layer === false) return null;
  const maxAge = layer.maxAge ?? base?.maxAge;
  if (maxAge === undefined) {
    issues.push({ path: "hsts.maxAge", message: "a max-age in seconds: no lower layer gives one", received: "undefined" });
    return base;
  }
  const merged: ResolvedHsts = {
    action: layer.action ?? base?.action ?? "default",
    maxAge,
    includeSubDomains: layer.includeSubDomains ?? base?.includeSubDomains ?? false,
    preload: layer.preload ?? base?.preload ?? false,
    from,
  };
  if (merged.preload && (!merged.includeSubDomains || merged.maxAge < PRELOAD_MIN_MAX_AGE)) {
    issues.push({
      // Name a field this layer has: the conflict may come from preload set below it.
      path: firstPresent("hsts", layer, ["preload", "includeSubDomains", "maxAge"]),
      message: `preload only with includeSubDomains and maxAge ≥ ${PRELOAD_MIN_MAX_AGE} (the preload list's requirements)`,
      received: renderReceived({ maxAge: merged.maxAge, includeSubDomains: merged.includeSubDomains, preload: true }),
    });
    return base;
  }
  return merged;
}

function mergeNonceField(
  base: ResolvedNonce | null,
  layer: NonceLayer | false | undefined,
  from: string,
  markerAvailable: boolean,
  issues: PolicyIssue[],
): ResolvedNonce | null {
  if (layer === undefined) return base;
  if (layer === false) return null;
  const merged: ResolvedNonce = {
    scripts: layer.scripts ?? base?.scripts ?? true,
    styles: layer.styles ?? base?.styles ?? false,
    mode: layer.mode ?? base?.mode ?? "marked",
    strictDynamic: layer.strictDynamic ?? base?.strictDynamic ?? false,
    from,
  };
  // The layer as an issue shows it: never with its marker, which is a secret.
  const received = () => renderReceived(redactMarkers(layer, new Set(layer.marker === undefined ? [] : [layer.marker])));
  if (!merged.scripts && !merged.styles) {
    issues.push({ path: firstPresent("nonce", layer, ["scripts", "styles"]), message: "scripts, styles or both (`nonce: false` turns nonces off)", received: received() });
    return base;
  }
  if (merged.strictDynamic && !merged.scripts) {
    issues.push({
      path: firstPresent("nonce", layer, ["strictDynamic", "scripts"]),
      message: "scripts: true ('strict-dynamic' trusts scripts loaded by nonce'd scripts)",
      received: received(),
    });
    return base;
  }
  if (merged.mode === "marked" && !markerAvailable) {
    issues.push({ path: "nonce", message: MISSING_MARKER, received: received() });
    return base;
  }
  return merged;
}

/** The issue of a marked nonce with no marker: there is no default, since a public marker protects nothing. */
export const MISSING_MARKER =
  "a secret marker for marked mode: set `nonce.marker` in the policy, or the Worker's NONCE_MARKER secret " +
  `(\`wrangler secret put NONCE_MARKER\`; .dev.vars locally), ${MARKER_HOWTO.replace("e.g.", "drawn e.g. with")}`;

/** `field.key` for the first of `keys` this layer sets, else `field`: an issue names what the layer wrote. */
function firstPresent(field: string, layer: object, keys: readonly string[]): string {
  const key = keys.find((k) => k in layer);
  return key === undefined ? field : `${field}.${key}`;
}

export interface CompileOptions {
  /** CSP_REPORT_ONLY: every enforced CSP goes out as Report-Only. */
  readonly reportOnly: boolean;
  /** The report collector's path, when it is enabled: every CSP reports there. */
  readonly reportPath?: string | undefined;
  /** The NONCE_MARKER secret, validated: the marker of marked nonces when the policy names none. */
  readonly nonceMarker?: string | undefined;
  /**
   * For the CLI, which cannot read the Worker's secrets: compile as if NONCE_MARKER were set, so a policy
   * that relies on it validates (and the CLI says the Worker needs it).
   */
  readonly assumeNonceMarker?: boolean | undefined;
}

function markerAvailable(options: CompileOptions): boolean {
  return options.nonceMarker !== undefined || options.assumeNonceMarker === true;
}

/** The Reporting API endpoint name the collector is registered under. */
export const REPORT_ENDPOINT_NAME = "csp-endpoint";

/** Where the nonce goes in a rendered value; never valid in a header, so it cannot clash with content. */
const NONCE_SLOT = "\u0000";

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
  const verdicts = new Map<string, boolean>();
  return (value) => {
    let verdict = verdicts.get(value);
    if (verdict === undefined) {
      verdict = isValid(value);
      if (verdicts.size >= VALIDITY_CACHE_SIZE) verdicts.clear();
      verdicts.set(value, verdict);
    }
    return verdict;
  };
}

function wholeValueOp(name: string, action: "set" | "default", value: string, from: string, isValid: (v: string) => boolean): HeaderOp {
  const key = name.toLowerCase();
  return action === "set" ? { kind: "set", name, key, value, from } : { kind: "default", name, key, value, isValid: memoizeValidity(isValid), from };
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
      return { kind: "append", name, key, value, items: splitListValue(value), headerKind: spec.kind, isValid: memoizeValidity(spec.isValid), from };
  }
}

/** The directive map a policy is rendered from: its own, plus the nonce and the report endpoint. */
function directivesFor(csp: ResolvedCsp, nonce: ResolvedNonce | null, reportPath: string | undefined): Map<string, DirectiveValue> {
  const map = new Map<string, DirectiveValue>([...csp.directives].map(([k, d]) => [k, d.value]));
  if (nonce !== null) {
    const source = `'nonce-${NONCE_SLOT}'`;
    if (nonce.scripts) {
      stampDirective(map, "script-src", nonce.strictDynamic ? [source, "'strict-dynamic'"] : [source]);
      if (map.has("script-src-elem")) stampDirective(map, "script-src-elem", [source]);
    }
    if (nonce.styles) {
      stampDirective(map, "style-src", [source]);
      if (map.has("style-src-elem")) stampDirective(map, "style-src-elem", [source]);
    }
  }
  if (reportPath !== undefined && !map.has("report-uri") && !map.has("report-to")) {
    map.set("report-uri", [reportPath]);
    map.set("report-to", [REPORT_ENDPOINT_NAME]);
  }
  return map;
}

/**
 * Add nonce sources to a directive. An absent directive starts from its fallback (script-src from
 * default-src), so the nonce adds to what was allowed; with nothing to fall back on, the directive is
 * created, since asking for a nonce is asking for scripts (or styles) to be limited to it.
 */
function stampDirective(map: Map<string, DirectiveValue>, name: string, sources: readonly string[]): void {
  let current = map.get(name);
  for (const fallback of CSP_FALLBACKS.get(name) ?? []) {
    if (current !== undefined) break;
    current = map.get(fallback);
  }
  const kept = current === undefined || current === true ? [] : current.filter((s) => s.toLowerCase() !== "'none'");
  map.set(name, [...kept, ...sources.filter((s) => !kept.includes(s))]);
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
  return action === "set" ? { kind: "set", name, key, value, parts, from } : { kind: "default", name, key, value, parts, isValid: memoizeValidity(isValid), from };
}

function planOps(policy: ResolvedPolicy, options: CompileOptions, https: boolean, nonce: ResolvedNonce | null): HeaderOp[] {
  const ops: HeaderOp[] = [];
  if (!https) ops.push({ kind: "remove", name: "Strict-Transport-Security", key: "strict-transport-security", from: "http (HSTS is for https only)" });
  else if (policy.hsts !== null) {
    ops.push(wholeValueOp("Strict-Transport-Security", policy.hsts.action, renderHsts(policy.hsts), policy.hsts.from, isValidHsts));
  }
  ops.push(...cspOps(policy, options, https, nonce));
  for (const header of policy.headers.values()) ops.push(headerOp(header));
  return ops;
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
      carriers: stamped.filter((op) => CSP_HEADERS.has(op.key) && op.kind !== "remove" && op.kind !== "append" && op.parts !== undefined),
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
  for (const op of https.nonce?.ops ?? https.ops) if (op.kind !== "remove") bytes += op.name.length + op.value.length + 24 + 4;
  if (bytes > POLICY_HEADER_BUDGET) {
    return {
      ok: false,
      issues: [{ path: "", message: `policy headers within ${POLICY_HEADER_BUDGET} bytes, leaving room for the origin's (responses are capped at 32 KiB of headers)`, received: `${bytes} bytes` }],
    };
  }
  return { ok: true, value: { https, http } };
}

/** A layer of policy and where it came from ("defaults", "POLICY", …). */
export interface SourcedLayer {
  readonly from: string;
  readonly layer: PolicyLayer;
}

/** A layer that was not applied, and why. */
export interface RejectedLayer {
  readonly from: string;
  readonly issues: readonly PolicyIssue[];
}

/** Merge one layer and compile the result, or say why it cannot be applied. */
function mergeAndCompile(base: ResolvedPolicy, layer: PolicyLayer, from: string, options: CompileOptions): Result<{ resolved: ResolvedPolicy; plans: PlanPair }> {
  const merged = mergeLayer(base, layer, from, markerAvailable(options));
  if (!merged.ok) return merged;
  const plans = compilePlans(merged.value, options);
  if (!plans.ok) return plans;
  return { ok: true, value: { resolved: merged.value, plans: plans.value } };
}

/**
 * Merge layers in order onto `base` and compile the result. A layer that does not merge or compile is
 * skipped, so the layers below it keep serving.
 */
export function compileLayers(
  layers: readonly SourcedLayer[],
  options: CompileOptions,
  base: { resolved: ResolvedPolicy; plans: PlanPair },
): { resolved: ResolvedPolicy; plans: PlanPair; rejected: RejectedLayer[] } {
  const rejected: RejectedLayer[] = [];
  let current = base;
  for (const { from, layer } of layers) {
    const next = mergeAndCompile(current.resolved, layer, from, options);
    if (next.ok) current = next.value;
    else rejected.push({ from, issues: next.issues });
  }
  return { ...current, rejected };
}

/** A policy document and the name of the place it came from ("POLICY", "KV"). */
export interface PolicySource {
  readonly from: string;
  readonly document: PolicyDocument;
}

export interface PolicyHooks {
  /** Told when a rule combination had to skip a rule; called once per combination per version. */
  readonly onRejected?: (rejected: RejectedCombination) => void;
}

/** The built-in defaults, compiled: the base every policy starts from. Throws only on a bug in the defaults. */
export function compileDefaults(options: CompileOptions): { resolved: ResolvedPolicy; plans: PlanPair } {
  const compiled = mergeAndCompile(EMPTY_POLICY, defaultPolicyDocument(), "defaults", options);
  if (!compiled.ok) throw new Error(`the built-in defaults do not compile: ${JSON.stringify(compiled.issues)}`);
  return compiled.value;
}

function prefixIssues(prefix: string, issues: readonly PolicyIssue[]): PolicyIssue[] {
  return issues.map((issue) => ({ ...issue, path: issue.path === "" ? prefix : issue.path.startsWith("[") ? `${prefix}${issue.path}` : `${prefix}.${issue.path}` }));
}

/** The media type of a Content-Type value, lower case, without parameters. */
export function mediaType(contentType: string): string {
  const semicolon = contentType.indexOf(";");
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/**
 * Compile the built-in defaults plus each source's base and rules. A source is applied whole or not at
 * all: if its base or any one of its rules fails in context (checked against the base beneath it), the
 * source is rejected with every issue, and the sources below serve.
 */
export function compilePolicy(
  sources: readonly PolicySource[],
  options: CompileOptions,
  hooks: PolicyHooks = {},
): { policy: CompiledPolicy; rejected: RejectedLayer[] } {
  const rejected: RejectedLayer[] = [];
  // One marker per site: the first a document names, else NONCE_MARKER. Rule combinations compile with it too.
  const site = resolveSiteMarker(sources);
  const effective: CompileOptions = { ...options, nonceMarker: site.value ?? options.nonceMarker };
  let current = compileDefaults(effective);
  const rules: CompiledRule[] = [];
  let caseSensitive = false;
  sources.forEach(({ from, document }, index) => {
    const issues: PolicyIssue[] = [...(site.conflicts.get(index) ?? [])];
    const next = mergeAndCompile(current.resolved, document, from, effective);
    if (!next.ok) issues.push(...next.issues);
    const base = next.ok ? next.value : current;
    const sourceRules: CompiledRule[] = [];
    (document.rules ?? []).forEach((rule, i) => {
      const name = `${from}.rules[${i}] ${rule.path}`;
      const alone = mergeAndCompile(base.resolved, rule, name, effective);
      if (!alone.ok) issues.push(...prefixIssues(`rules[${i}]`, alone.issues));
      sourceRules.push({ from: name, pattern: rule.path, description: rule.description, contentTypes: rule.contentType, layer: rule, order: 0 });
    });
    if (issues.length > 0 || !next.ok) {
      rejected.push({ from, issues });
      return;
    }
    current = next.value;
    rules.push(...sourceRules);
    // Like a base field: the highest accepted source that says wins.
    caseSensitive = document.paths?.caseSensitive ?? caseSensitive;
  });
  // Precedence: less specific first, then document order; the last applied wins.
  const ranked = rules
    .map((rule, position) => ({ rule, position, specificity: patternSpecificity(rule.pattern) }))
    .sort((a, b) => a.specificity[0] - b.specificity[0] || a.specificity[1] - b.specificity[1] || a.position - b.position);
  const order = new Map(ranked.map(({ rule }, rank) => [rule, rank]));
  const finalRules = rules.map((rule) => ({ ...rule, order: order.get(rule) ?? 0 }));
  return {
    policy: {
      base: current.plans,
      resolved: current.resolved,
      options: effective,
      marker: compileMarkerScope(current.resolved, finalRules, {
        value: effective.nonceMarker,
        from: site.value !== undefined ? "policy" : options.nonceMarker !== undefined ? "NONCE_MARKER" : undefined,
        assumed: options.assumeNonceMarker === true,
      }),
      rules: finalRules,
      paths: compilePathIndex(finalRules.map((r) => r.pattern), { caseSensitive }),
      combos: new CombinationMemo(),
      onRejected: hooks.onRejected ?? (() => undefined),
    },
    rejected,
  };
}

/** Most combinations a policy version remembers; past this the memo starts afresh (bounded memory). */
export const MAX_COMBINATIONS = 1024;

/** True when a rule limited to some media types applies to a response of this Content-Type. */
export function ruleAppliesTo(rule: CompiledRule, contentType: string | null): boolean {
  return ruleAppliesToType(rule, contentType === null ? null : mediaType(contentType));
}

/** The same, for a media type already parsed (once per request, not once per matching rule). */
export function ruleAppliesToType(rule: CompiledRule, type: string | null): boolean {
  if (rule.contentTypes === undefined) return true;
  if (type === null) return false;
  for (const range of rule.contentTypes) {
    if (range === type || (range.endsWith("/*") && type.startsWith(range.slice(0, -1)))) return true;
  }
  return false;
}

/**
 * The plans for a combination of matching rules (indices into policy.rules), compiled on first use and
 * remembered for the policy version. Rules apply in precedence order over the base.
 */
export function compileCombination(policy: CompiledPolicy, indices: readonly number[], node: MemoNode): PlanPair {
  const layers = indices
    .map((i) => policy.rules[i])
    .filter((rule): rule is CompiledRule => rule !== undefined)
    .sort((a, b) => a.order - b.order)
    .map((rule) => ({ from: rule.from, layer: rule.layer }));
  const { plans, rejected } = compileLayers(layers, policy.options, { resolved: policy.resolved, plans: policy.base });
  if (rejected.length > 0) {
    policy.onRejected({ rules: rejected.map((r) => r.from), issues: rejected.flatMap((r) => r.issues) });
  }
  node.plans = plans;
  policy.combos.size += 1;
  return plans;
}
