// What `validate` says about a pattern whose reach grew: `/x/*` also matches `/x` (as Express's app.use and
// Spring's trailing-slash match route it), so on `/x` it now stacks on the rules written for `/x`.

import type { CompiledPolicy } from "./types.js";

/**
 * One warning per `/x/*` rule that now applies to `/x` on top of a rule written for `/x` itself (an exact
 * pattern, or one with a placeholder), and wins there for the headers both set, being more specific.
 */
export function splatReachWarnings(policy: CompiledPolicy): string[] {
  const warnings: string[] = [];
  for (const rule of policy.rules) {
    if (!rule.pattern.endsWith("/*") || rule.pattern === "/*") continue;
    const bare = rule.pattern.slice(0, -2).replace(/:[A-Za-z_][A-Za-z0-9_]*/g, "1");
    const route = policy.paths.route(bare);
    if (!route.ok) continue;
    const others = route.rules
      .map((i) => policy.rules[i])
      .filter((other) => other !== undefined && other !== rule && !other.pattern.endsWith("*") && other.order < rule.order);
    if (others.length === 0) continue;
    warnings.push(
      `${rule.from} also applies to ${bare} itself (as Express's app.use and Spring's trailing-slash match route it), ` +
        `on top of ${others.map((o) => o?.from ?? "").join(", ")}, and wins there for every header both set; ` +
        `if ${bare} needs its own headers, set them in a rule as specific as ${rule.pattern}`,
    );
  }
  return warnings;
}
