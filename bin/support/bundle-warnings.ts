// validate and explain: the source-bundle warnings of a compiled policy, on its base and on each rule's paths.

import { bundleWarnings, type BundleWarning } from "../../src/core/csp/bundles-warnings.js";
import type { CompiledPolicy } from "../../src/core/policy/types.js";

/**
 * The warnings of the base policy, then those a rule alone over the base adds (a rule that turns the
 * nonce off, or allows a bundle of its own), each said once.
 */
export function policyBundleWarnings(policy: CompiledPolicy): BundleWarning[] {
  const warnings = bundleWarnings(policy.resolved);
  const seen = new Set(warnings.map((w) => `${w.where}\n${w.message}`));
  policy.rules.forEach((rule, index) => {
    for (const warning of bundleWarnings(policy.combine([index]).resolved)) {
      const key = `${warning.where}\n${warning.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const on = warning.where.startsWith(rule.from) ? "" : ` (on the paths of ${rule.from})`;
      warnings.push({ ...warning, where: `${warning.where}${on}` });
    }
  });
  return warnings;
}
