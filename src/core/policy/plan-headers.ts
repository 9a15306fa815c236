// Per request: find the plan for this path and response. A path match and, on the first request of a
// rule combination, one merge; everything else was done when the policy loaded.

import { compileCombination, MAX_COMBINATIONS, mediaType, ruleAppliesToType } from "./compile-policy.js";
import type { CompiledPolicy, HeaderPlan, PlanPair, RequestFacts } from "./types.js";

/** The header plan for one response. */
export function planHeaders(policy: CompiledPolicy, facts: RequestFacts): HeaderPlan {
  const plans = policy.rules.length === 0 ? policy.base : plansFor(policy, facts);
  return facts.https ? plans.https : plans.http;
}

function plansFor(policy: CompiledPolicy, facts: RequestFacts): PlanPair {
  // The handler routes the path before forwarding; a route from another policy's index is not reused.
  const route = facts.route?.index === policy.paths ? facts.route : policy.paths.route(facts.path);
  // A refused path never reaches the origin: the Worker's own 400 carries the base plan.
  if (!route.ok) return policy.base;
  const matched = route.rules;
  if (matched.length === 0) return policy.base;
  const memo = policy.combos;
  if (memo.size >= MAX_COMBINATIONS) memo.clear();
  let type: string | null | undefined;
  let node = memo.root;
  let applicable = 0;
  for (const index of matched) {
    const rule = policy.rules[index];
    if (rule === undefined) continue;
    if (rule.contentTypes !== undefined) {
      // Parsed once per request, and only when a matching rule is limited to some media types.
      type ??= facts.contentType === null ? null : mediaType(facts.contentType);
      if (!ruleAppliesToType(rule, type)) continue;
    }
    let next = node.children.get(index);
    if (next === undefined) {
      next = { plans: undefined, children: new Map() };
      node.children.set(index, next);
    }
    node = next;
    applicable++;
  }
  if (applicable === 0) return policy.base;
  return node.plans ?? compileCombination(policy, applicableRules(policy, matched, type, facts), node);
}

/** The indices of the matched rules that apply to this response (only on a combination's first request). */
function applicableRules(policy: CompiledPolicy, matched: readonly number[], type: string | null | undefined, facts: RequestFacts): number[] {
  const mediaTypeOf = type !== undefined ? type : facts.contentType === null ? null : mediaType(facts.contentType);
  return matched.filter((index) => {
    const rule = policy.rules[index];
    return rule !== undefined && ruleAppliesToType(rule, mediaTypeOf);
  });
}
