// Once per policy version: where a source bundle's sources go in one CSP, and what the bundles of the
// layers below still add after a layer replaces or removes directives.

import type { AppliedBundle } from "../policy/types.js";
import { SOURCE_BUNDLES } from "./bundles.js";

/** The `-elem` directive that overrides a directive for elements, when a policy has it. */
const ELEMENT_VARIANTS: ReadonlyMap<string, string> = new Map([
  ["script-src", "script-src-elem"],
  ["style-src", "style-src-elem"],
]);

/**
 * The directives a bundle adds to in a CSP with these directives, each with its sources. A bundle's
 * script-src (style-src) sources also go to script-src-elem (style-src-elem) when the policy has it:
 * browsers then check `<script src>` against that directive alone, and the service would stay blocked.
 */
export function bundleTargets(name: string, directives: ReadonlyMap<string, unknown>): [string, readonly string[]][] {
  const bundle = SOURCE_BUNDLES.get(name);
  if (bundle === undefined) return [];
  const targets: [string, readonly string[]][] = [];
  for (const [directive, sources] of Object.entries(bundle.sources)) {
    targets.push([directive, sources]);
    const variant = ELEMENT_VARIANTS.get(directive);
    if (variant !== undefined && directives.has(variant)) targets.push([variant, sources]);
  }
  return targets;
}

/**
 * The bundles below a layer, without what the layer takes away: a directive it writes in `directives`
 * (or `remove`s) no longer holds what a lower bundle added, exactly as it no longer holds a lower `add`.
 */
export function pruneBundles(bundles: readonly AppliedBundle[], replaced: ReadonlySet<string>): AppliedBundle[] {
  if (replaced.size === 0) return [...bundles];
  return bundles.map((bundle) => ({
    ...bundle,
    added: new Map([...bundle.added].filter(([directive]) => !replaced.has(directive))),
  }));
}
