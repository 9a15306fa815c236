// Rule patterns that look like mistakes: warnings for `validate` (the Worker applies them as written).
// Judged with the compiled policy's own path index, so they follow whatever the matcher does.

import { nearMiss } from "../../src/core/headers/near-misses.js";
import { matchRules } from "../../src/core/policy/match-rules.js";
import type { CompiledPolicy, CompiledRule, PolicyLayer } from "../../src/core/policy/types.js";

/** One rule pattern that probably does not do what its author meant. */
export interface RuleWarning {
  readonly rule: string;
  readonly message: string;
}

/** Media types responses commonly carry: a contentType one edit from one of these is a typo. */
// prettier-ignore -- a word list, wrapped by hand
const COMMON_TYPES: ReadonlySet<string> = new Set([
  "text/html",
  "text/css",
  "text/plain",
  "text/xml",
  "text/csv",
  "text/javascript",
  "text/markdown",
  "text/event-stream",
  "application/json",
  "application/javascript",
  "application/xml",
  "application/xhtml+xml",
  "application/pdf",
  "application/ld+json",
  "application/manifest+json",
  "application/wasm",
  "application/octet-stream",
  "image/svg+xml",
]);

const LAYER_FIELDS = ["headers", "remove", "csp", "cspReportOnly", "hsts", "nonce"] as const;

/** Every warning for the document's rules (those whose `from` starts with `from.`). */
export function ruleWarnings(policy: CompiledPolicy, from: string): RuleWarning[] {
  const own = policy.rules.filter((rule) => rule.from.startsWith(`${from}.`));
  return [
    ...own.flatMap((rule) => splatWithoutBase(policy, rule, own)),
    ...own.flatMap((rule) => neverDecides(policy, rule)),
    ...own.flatMap(contentTypeMisses),
  ];
}

/** Indices (into policy.rules) of the rules whose pattern matches `path`. */
function matching(policy: CompiledPolicy, path: string): readonly number[] {
  const route = policy.paths.route(path);
  return route.ok ? route.rules : [];
}

/** `/admin/*` when `/admin` itself matches no rule of its own: the landing page gets the base policy. */
function splatWithoutBase(policy: CompiledPolicy, rule: CompiledRule, own: readonly CompiledRule[]): RuleWarning[] {
  if (!rule.pattern.endsWith("/*") || rule.pattern === "/*") return [];
  const base = rule.pattern.slice(0, -2);
  const matched = matching(policy, base).flatMap((i) => {
    const r = policy.rules[i];
    return r === undefined || !own.includes(r) ? [] : [r];
  });
  // Covered when the matcher lets the splat match its base, or a rule without a splat matches it.
  if (matched.includes(rule) || matched.some((r) => !r.pattern.includes("*"))) return [];
  return [
    {
      rule: rule.from,
      message: `${base} itself matches no rule of its own, so it gets the policy around it, not this rule's; add a rule for ${base} if it should`,
    },
  ];
}

/** The fields (and header names) a rule sets, as "headers:x-frame-options", "csp", … */
function fieldsOf(layer: PolicyLayer): Set<string> {
  const out = new Set<string>();
  for (const field of LAYER_FIELDS) {
    if (layer[field] === undefined) continue;
    if (field === "headers") for (const name of Object.keys(layer.headers ?? {})) out.add(`headers:${name.toLowerCase()}`);
    else if (field === "remove") for (const name of layer.remove ?? []) out.add(`headers:${name.toLowerCase()}`);
    else out.add(field);
  }
  return out;
}

/** A content-type limit that matches nothing it can act on: a misspelled type, or nonces limited away from HTML. */
function contentTypeMisses(rule: CompiledRule): RuleWarning[] {
  const types = rule.contentTypes;
  if (types === undefined) return [];
  const out: RuleWarning[] = [];
  for (const type of types) {
    const hit = nearMiss(type, COMMON_TYPES);
    if (hit !== undefined)
      out.push({ rule: rule.from, message: `contentType ${type} matches no response a server sends (did you mean ${hit}?)` });
  }
  const onlyNonce = [...fieldsOf(rule.layer)].every((f) => f === "nonce");
  const html = types.some((t) => t === "text/html" || t === "text/*" || t === "application/xhtml+xml");
  if (rule.layer.nonce !== undefined && onlyNonce && !html) {
    out.push({
      rule: rule.from,
      message: `sets only nonces, which apply to HTML, but its contentType (${types.join(", ")}) excludes HTML: it matches nothing`,
    });
  }
  return out;
}

/**
 * Paths a pattern matches, for judging it by outcome: the pattern with each `:name` as "1", its `*` as
 * nothing and as two segments, and the pattern's page with more path and with an extension (which the
 * matcher gives the same rules). Samples the pattern does not match are skipped by the caller.
 */
function samplePaths(pattern: string): string[] {
  const filled = pattern.replace(/:[A-Za-z_][A-Za-z0-9_]*/g, "1");
  const bases = filled.includes("*") ? [filled.replaceAll("*", ""), filled.replaceAll("*", "a/b")] : [filled];
  const trimmed = bases.map((b) => (b.length > 1 && b.endsWith("/") ? b.slice(0, -1) : b));
  return [...new Set([...trimmed, ...trimmed.flatMap((b) => (b === "/" ? ["/a"] : [`${b}/a`, `${b}.json`]))])];
}

/** The media types worth trying for one rule: its own limit, or HTML and every type another rule is limited to. */
function sampleTypes(policy: CompiledPolicy, rule: CompiledRule): (string | null)[] {
  if (rule.contentTypes !== undefined) return rule.contentTypes.map((t) => (t.endsWith("/*") ? `${t.slice(0, -1)}x` : t));
  const others = policy.rules.flatMap((r) => r.contentTypes ?? []).map((t) => (t.endsWith("/*") ? `${t.slice(0, -1)}x` : t));
  return [...new Set(["text/html", "application/octet-stream", ...others]), null];
}

/** A policy as comparable text: Maps as their entries, functions left out. */
function fingerprint(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v instanceof Map ? [...(v as Map<unknown, unknown>).entries()] : v));
}

/**
 * A rule whose removal changes nothing on any path it matches, for any response, although it changes what
 * the rules before it send: the rules after it (more specific or later) decide everything it sets. (A rule
 * that only repeats what is sent anyway is left alone: pinning a value is a choice.) Judged by outcome, with the Worker's own matcher and merge,
 * so `csp.add`, `replace` and content-type limits count as they do at request time. Sampled paths: a
 * warning, never an error.
 */
function neverDecides(policy: CompiledPolicy, rule: CompiledRule): RuleWarning[] {
  const index = policy.rules.indexOf(rule);
  if (index === -1) return [];
  let reached = false;
  const deciders = new Set<number>();
  for (const path of samplePaths(rule.pattern)) {
    for (const contentType of sampleTypes(policy, rule)) {
      const { applied } = matchRules(policy, { https: true, path, contentType });
      if (!applied.includes(index)) continue;
      const without = applied.filter((i) => i !== index);
      if (fingerprint(policy.combine(applied).resolved) !== fingerprint(policy.combine(without).resolved)) return [];
      // Overridden, not merely repeating what the rules before it send: at its own place it changes something.
      const upTo = applied.filter((i) => i <= index);
      const upToWithout = upTo.filter((i) => i !== index);
      if (fingerprint(policy.combine(upTo).resolved) !== fingerprint(policy.combine(upToWithout).resolved)) reached = true;
      for (const i of without) if (i > index) deciders.add(i);
    }
  }
  if (!reached || deciders.size === 0) return [];
  const key = (r: CompiledRule | undefined) => JSON.stringify([r?.pattern.toLowerCase(), [...(r?.contentTypes ?? [])].sort()]);
  const names = [...deciders].map((i) => policy.rules[i]?.from ?? String(i));
  const only = deciders.size === 1 ? policy.rules[[...deciders][0] ?? -1] : undefined;
  const message =
    only !== undefined && key(only) === key(rule)
      ? `can never win: ${only.from} matches the same requests and sets everything it sets`
      : `can never win: on every path it matches, ${names.join(", ")} decide${names.length === 1 ? "s" : ""} everything it sets`;
  return [{ rule: rule.from, message }];
}
