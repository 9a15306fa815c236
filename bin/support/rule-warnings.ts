// Rule patterns that look like mistakes: warnings for `validate` (the Worker applies them as written).
// Judged with the compiled policy's own path index, so they follow whatever the matcher does.

import { nearMiss } from "../../src/core/headers/near-misses.js";
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
  return [...own.flatMap((rule) => splatWithoutBase(policy, rule, own)), ...shadowed(own), ...own.flatMap(contentTypeMisses)];
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

/** A rule another one with the same pattern and content types always overrides in full: it never decides anything. */
function shadowed(own: readonly CompiledRule[]): RuleWarning[] {
  const out: RuleWarning[] = [];
  const key = (r: CompiledRule) => JSON.stringify([r.pattern.toLowerCase(), [...(r.contentTypes ?? [])].sort()]);
  own.forEach((rule, i) => {
    const mine = fieldsOf(rule.layer);
    const winner = own.slice(i + 1).find((later) => key(later) === key(rule) && [...mine].every((f) => fieldsOf(later.layer).has(f)));
    if (winner !== undefined && mine.size > 0) {
      out.push({ rule: rule.from, message: `can never win: ${winner.from} matches the same requests and sets everything it sets` });
    }
  });
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
