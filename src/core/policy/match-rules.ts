// Per request: which of the policy's rules apply to one response. The path's route (its canonical form and
// the patterns it matches), then each rule's content-type limit. The Worker plans with it and `explain`
// shows it, so the two cannot disagree.

import type { PathRoute } from "./match-path.js";
import type { CompiledPolicy, CompiledRule, RequestFacts } from "./types.js";

/** The rules for one response. */
export interface RuleMatch {
  /** Where the path landed; a refused path (`ok: false`) has no rules. */
  readonly route: PathRoute;
  /** Indices into policy.rules, ascending: the rules matching the path whose content-type limit admits the response. */
  readonly applied: readonly number[];
  /** Indices of the rules that match the path but are limited to other content types. */
  readonly skipped: readonly number[];
}

const NONE: readonly number[] = [];

/**
 * Match the rules for this path and content type. The handler routes the path before forwarding, and
 * passes its route in `facts`; a route from another policy's index is not reused. The response's media
 * type is parsed only when a matching rule has a content-type limit, and arrays are copied only then.
 */
export function matchRules(policy: CompiledPolicy, facts: RequestFacts): RuleMatch {
  const route = facts.route?.index === policy.paths ? facts.route : policy.paths.route(facts.path);
  if (!route.ok || route.rules.length === 0) return { route, applied: NONE, skipped: NONE };
  const matched = route.rules;
  let type: string | null | undefined;
  let applied: number[] | undefined;
  let skipped: number[] | undefined;
  matched.forEach((index, i) => {
    const rule = policy.rules[index];
    const fits = rule !== undefined && (rule.contentTypes === undefined || ruleAppliesToType(rule, (type ??= mediaTypeOf(facts))));
    if (fits) {
      applied?.push(index);
      return;
    }
    applied ??= matched.slice(0, i);
    if (rule !== undefined) (skipped ??= []).push(index);
  });
  return { route, applied: applied ?? matched, skipped: skipped ?? NONE };
}

function mediaTypeOf(facts: RequestFacts): string | null {
  return facts.contentType === null ? null : mediaType(facts.contentType);
}

/** The media type of a Content-Type value, lower case, without parameters. */
export function mediaType(contentType: string): string {
  const semicolon = contentType.indexOf(";");
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/** True when a rule limited to some media types applies to a response of this media type (already parsed). */
export function ruleAppliesToType(rule: CompiledRule, type: string | null): boolean {
  if (rule.contentTypes === undefined) return true;
  if (type === null) return false;
  for (const range of rule.contentTypes) {
    if (range === type || (range.endsWith("/*") && type.startsWith(range.slice(0, -1)))) return true;
  }
  return false;
}
