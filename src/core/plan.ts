// Per request: find the plan for this path and response. A path match and, on the first request of a
// rule combination, one merge; everything else was done when the policy loaded.

import { compileCombination, ruleAppliesTo } from "./compile-policy.js";
import { rulePath } from "./match-path.js";
import type { CompiledPolicy, HeaderPlan, PlanPair, RequestFacts } from "./policy.js";

/** The header plan for one response. */
export function planHeaders(policy: CompiledPolicy, facts: RequestFacts): HeaderPlan {
  const plans = policy.rules.length === 0 ? policy.base : plansFor(policy, facts);
  return facts.https ? plans.https : plans.http;
}

function plansFor(policy: CompiledPolicy, facts: RequestFacts): PlanPair {
  const matched = policy.paths.match(rulePath(facts.path));
  let key = "";
  const applicable: number[] = [];
  for (const index of matched) {
    const rule = policy.rules[index];
    if (rule === undefined || !ruleAppliesTo(rule, facts.contentType)) continue;
    applicable.push(index);
    key = key === "" ? String(index) : `${key},${index}`;
  }
  if (applicable.length === 0) return policy.base;
  return policy.combos.get(key) ?? compileCombination(policy, applicable, key);
}
