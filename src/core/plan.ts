// Per request: pick the compiled plan for this request. Cheap by design: everything else was done at load.

import type { CompiledPolicy, HeaderPlan, RequestFacts } from "./policy.js";

/** The header plan for one response. */
export function planHeaders(policy: CompiledPolicy, facts: RequestFacts): HeaderPlan {
  return facts.https ? policy.https : policy.http;
}
