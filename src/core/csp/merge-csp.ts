// Once per policy version: a layer's CSP merged onto the one below it (replace, add sources, allow bundles, remove).

import { CSP_FALLBACKS } from "./directives.js";
import { bundleTargets, pruneBundles } from "./bundles-expand.js";
import { renderReceived, type PolicyIssue } from "../shared/result.js";
import type { AppliedBundle, CspLayer, ResolvedCsp, ResolvedDirective } from "../policy/types.js";

/** A layer's `csp` or `cspReportOnly` over the one below; `false` sends none. Issues go to `issues`. */
export function mergeCspField(
  base: ResolvedCsp | null,
  layer: CspLayer | false | undefined,
  from: string,
  path: string,
  issues: PolicyIssue[],
): ResolvedCsp | null {
  if (layer === undefined) return base;
  if (layer === false) return null;
  // `replace` starts from no directives: the layer's `directives` are the whole policy.
  const directives = new Map<string, ResolvedDirective>(layer.replace === true ? [] : (base?.directives ?? []));
  for (const [name, value] of Object.entries(layer.directives ?? {})) {
    directives.set(name, { value: value === true ? true : [...value], from });
  }
  for (const [name, sources] of Object.entries(layer.add ?? {})) {
    const added = addSources(directives, name, sources);
    if (added !== undefined) directives.set(name, { value: added.value, from });
  }
  const replaced = new Set([...Object.keys(layer.directives ?? {}), ...(layer.remove ?? [])]);
  const inherited = layer.replace === true ? [] : pruneBundles(base?.bundles ?? [], replaced);
  const own = (layer.allow ?? []).map((name, index) => allowBundle(directives, name, { from, path: `${path}.allow[${index}]` }));
  for (const name of layer.remove ?? []) directives.delete(name);
  if (directives.size === 0) {
    issues.push({ path, message: `at least one directive (\`${path}: false\` sends no policy)`, received: renderReceived(layer) });
    return base;
  }
  const bundles = [...inherited, ...pruneBundles(own, new Set(layer.remove ?? []))];
  return { action: layer.action ?? base?.action ?? "default", directives, from, ...(bundles.length > 0 ? { bundles } : {}) };
}

/** Add one bundle's sources (as `add` does, directive by directive), and record what it added. */
function allowBundle(directives: Map<string, ResolvedDirective>, name: string, where: { from: string; path: string }): AppliedBundle {
  const added = new Map<string, readonly string[]>();
  for (const [directive, sources] of bundleTargets(name, directives)) {
    const result = addSources(directives, directive, sources);
    // Nothing new (zaraz's 'self' under default-src 'self'): leave the directive as it was, unwritten.
    if (result === undefined || result.added.length === 0) continue;
    directives.set(directive, { value: result.value, from: where.from });
    added.set(directive, [...(added.get(directive) ?? []), ...result.added]);
  }
  return { name, from: where.from, path: where.path, added };
}

/**
 * The directive's sources after adding some, and which were new; undefined when adding changes nothing. A directive that
 * is absent starts from the directive it falls back to, so adding to script-src keeps what default-src
 * allowed; when nothing restricts the directive at all, adding would restrict it, so nothing is done.
 */
function addSources(
  directives: ReadonlyMap<string, ResolvedDirective>,
  name: string,
  sources: readonly string[],
): { value: string[]; added: string[] } | undefined {
  let current = directives.get(name)?.value;
  for (const fallback of CSP_FALLBACKS.get(name) ?? []) {
    if (current !== undefined) break;
    current = directives.get(fallback)?.value;
  }
  if (current === undefined || current === true) return undefined;
  const kept = current.filter((s) => s.toLowerCase() !== "'none'");
  const seen = new Set(kept.map((s) => s.toLowerCase()));
  const added: string[] = [];
  for (const source of sources) {
    if (!seen.has(source.toLowerCase())) {
      kept.push(source);
      added.push(source);
    }
    seen.add(source.toLowerCase());
  }
  return { value: kept, added };
}
