// Per request: the header plan for this path and response. A rule match and, on the first request of a
// rule combination, one merge (through the policy's memo); everything else was done when the policy loaded.

import { matchRules } from "./match-rules.js";
import type { CompiledPolicy, HeaderPlan, PlanPair, RequestFacts } from "./types.js";

/** The header plan for one response. */
export function planHeaders(policy: CompiledPolicy, facts: RequestFacts): HeaderPlan {
  const plans = policy.rules.length === 0 ? policy.base : plansFor(policy, facts);
  return facts.https ? plans.https : plans.http;
}

function plansFor(policy: CompiledPolicy, facts: RequestFacts): PlanPair {
  // A refused path never reaches the origin: the Worker's own 400 carries the base plan.
  const { applied } = matchRules(policy, facts);
  return applied.length === 0 ? policy.base : policy.combos.plansFor(applied);
}
