// Once per policy version: the built-in defaults, then each source's base and rules, merged and compiled
// into the CompiledPolicy that requests read. The one merge a request may need later (a combination of
// rules it is the first to meet) is compiled into the policy as a function: see README.md.

import { capPolicy, distinctCaps, type Cap } from "./ceilings.js";
import { compileMarkerScope, resolveSiteMarker, type SiteMarkers } from "../nonce/compile-marker-scope.js";
import { isScrubbable, markedIn, markersIn } from "../nonce/nonce-marker.js";
import { prefixIssues, type PolicyIssue, type Result } from "../shared/result.js";
import { CombinationMemo } from "./combinations.js";
import { compilePlans } from "./compile-plans.js";
import { defaultPolicyDocument } from "./defaults.js";
import { presetLayer, type PresetName } from "./presets.js";
import { compilePathIndex, patternSpecificity } from "./match-path.js";
import { EMPTY_POLICY, mergeLayer } from "./merge-layer.js";
import type {
  Combination,
  CompiledPolicy,
  CompiledRule,
  CompileOptions,
  PlanPair,
  PolicyDocument,
  PolicyLayer,
  RejectedCombination,
  RejectedLayer,
  ResolvedPolicy,
} from "./types.js";

/** A layer of policy and where it came from ("defaults", "POLICY", …). */
export interface SourcedLayer {
  readonly from: string;
  readonly layer: PolicyLayer;
}

/** A policy document and the name of the place it came from ("POLICY", "KV"). */
export interface PolicySource {
  readonly from: string;
  readonly document: PolicyDocument;
}

export interface PolicyHooks {
  /** Told when a rule combination had to skip a rule; called once per combination per version. */
  readonly onRejected?: (rejected: RejectedCombination) => void;
}

/**
 * A resolved policy and its plans: what each layer merged so far compiles to. `resolved` and the plans are
 * under the environment's ceilings; the next layer merges onto `uncapped`, so a ceiling never makes a
 * layer fail (e.g. preload checked against a max-age the ceiling lowered).
 */
interface Compiled {
  readonly resolved: ResolvedPolicy;
  readonly uncapped: ResolvedPolicy;
  readonly plans: PlanPair;
  /** The values the ceilings lowered in `resolved`. */
  readonly caps: readonly Cap[];
}

function markerAvailable(options: CompileOptions): boolean {
  return options.nonceMarker !== undefined || options.assumeNonceMarker === true;
}

/** Merge one layer and compile the result, or say why it cannot be applied. */
function mergeAndCompile(base: ResolvedPolicy, layer: PolicyLayer, from: string, options: CompileOptions): Result<Compiled> {
  const merged = mergeLayer(base, layer, from, markerAvailable(options));
  if (!merged.ok) return merged;
  const capped = capPolicy(merged.value, options.ceilings);
  const plans = compilePlans(capped.policy, options);
  if (!plans.ok) return plans;
  return { ok: true, value: { resolved: capped.policy, uncapped: merged.value, plans: plans.value, caps: capped.caps } };
}

/**
 * Merge layers in order onto `base` and compile the result. A layer that does not merge or compile is
 * skipped, so the layers below it keep serving.
 */
export function compileLayers(
  layers: readonly SourcedLayer[],
  options: CompileOptions,
  base: Compiled,
): Compiled & { rejected: RejectedLayer[] } {
  const rejected: RejectedLayer[] = [];
  let current = base;
  for (const { from, layer } of layers) {
    const next = mergeAndCompile(current.uncapped, layer, from, options);
    if (next.ok) current = next.value;
    else rejected.push({ from, issues: next.issues });
  }
  return { ...current, rejected };
}

/** The built-in defaults, compiled: the base every policy starts from. Throws only on a bug in the defaults. */
export function compileDefaults(options: CompileOptions): Compiled {
  const compiled = mergeAndCompile(EMPTY_POLICY, defaultPolicyDocument(), "defaults", options);
  if (!compiled.ok) throw new Error(`the built-in defaults do not compile: ${JSON.stringify(compiled.issues)}`);
  return compiled.value;
}

/** The built-in defaults with a preset over them. Throws only on a bug in the preset. */
function compilePreset(name: PresetName, options: CompileOptions): Compiled {
  const compiled = mergeAndCompile(compileDefaults(options).uncapped, presetLayer(name), `preset ${name}`, options);
  if (!compiled.ok) throw new Error(`the ${name} preset does not compile: ${JSON.stringify(compiled.issues)}`);
  return compiled.value;
}

/** The preset in force: the highest of `sources` that names one (like a base field), or none. */
export function presetOf(sources: readonly PolicySource[]): PresetName | undefined {
  let preset: PresetName | undefined;
  for (const { document } of sources) preset = document.preset ?? preset;
  return preset;
}

/**
 * Merge the sources over the preset they name. A preset named by a source that is then rejected does not
 * serve: the merge runs again under the preset of the accepted sources (at most once more).
 */
function mergeWithPreset(
  sources: readonly PolicySource[],
  options: CompileOptions,
  conflicts: ReadonlyMap<number, readonly PolicyIssue[]>,
): MergedSources & { preset: PresetName | undefined } {
  const asked = presetOf(sources);
  const first = mergeSources(sources, options, conflicts, asked);
  const refused = new Set(first.rejected.map((r) => r.from));
  const applied = presetOf(sources.filter(({ from }) => !refused.has(from)));
  if (applied === asked) return { ...first, preset: asked };
  return { ...mergeSources(sources, options, conflicts, applied), preset: applied };
}

/** The sources merged over the defaults: the accepted bases and their rules (unranked), and the rejected sources. */
interface MergedSources {
  readonly current: Compiled;
  readonly rules: readonly CompiledRule[];
  readonly caseSensitive: boolean;
  readonly rejected: RejectedLayer[];
  /** What the ceilings lowered in the final base, and in each accepted rule that sets the value itself. */
  readonly caps: Cap[];
}

/**
 * Merge each source's base, and check each of its rules alone over that base. A source is applied whole
 * or not at all: if its base or any one of its rules fails in context, the source is rejected with every
 * issue, and the sources below serve.
 */
function mergeSources(
  sources: readonly PolicySource[],
  options: CompileOptions,
  conflicts: ReadonlyMap<number, readonly PolicyIssue[]>,
  preset: PresetName | undefined,
): MergedSources {
  const rejected: RejectedLayer[] = [];
  let current = preset === undefined ? compileDefaults(options) : compilePreset(preset, options);
  const rules: CompiledRule[] = [];
  let caseSensitive = false;
  const ruleCaps: Cap[] = [];
  sources.forEach(({ from, document }, index) => {
    const issues: PolicyIssue[] = [...(conflicts.get(index) ?? [])];
    const next = mergeAndCompile(current.uncapped, document, from, options);
    if (!next.ok) issues.push(...next.issues);
    const base = next.ok ? next.value : current;
    const sourceRules: CompiledRule[] = [];
    const sourceCaps: Cap[] = [];
    (document.rules ?? []).forEach((rule, i) => {
      const name = `${from}.rules[${i}] ${rule.path}`;
      const alone = mergeAndCompile(base.uncapped, rule, name, options);
      if (!alone.ok) issues.push(...prefixIssues(`rules[${i}]`, alone.issues));
      // A value the rule inherits is its base's cap, reported once with the final base.
      else sourceCaps.push(...alone.value.caps.filter((cap) => cap.from === name));
      sourceRules.push({
        from: name,
        pattern: rule.path,
        description: rule.description,
        contentTypes: rule.contentType,
        layer: rule,
        order: 0,
      });
    });
    if (issues.length > 0 || !next.ok) {
      rejected.push({ from, issues });
      return;
    }
    current = next.value;
    rules.push(...sourceRules);
    ruleCaps.push(...sourceCaps);
    // Like a base field: the highest accepted source that says wins.
    caseSensitive = document.paths?.caseSensitive ?? caseSensitive;
  });
  return { current, rules, caseSensitive, rejected, caps: distinctCaps([...current.caps, ...ruleCaps]) };
}

/**
 * Every marker the site has, for scrubbing whatever layer serves: the one stamped (the policy's, else
 * NONCE_MARKER's), NONCE_MARKER's others, and those of documents that were not applied; and the sources
 * not applied that ask for a marked nonce.
 */
function siteMarkers(
  sources: readonly PolicySource[],
  rejected: readonly RejectedLayer[],
  own: string | undefined,
  options: CompileOptions,
): SiteMarkers {
  const refused = new Set(rejected.map((r) => r.from));
  const notApplied = sources.filter(({ from }) => refused.has(from));
  return {
    value: own ?? options.nonceMarker,
    from: own !== undefined ? "policy" : options.nonceMarker !== undefined ? "NONCE_MARKER" : undefined,
    assumed: options.assumeNonceMarker === true,
    alternates: options.alternateMarkers ?? [],
    neutralised: [
      ...(options.scrubbedMarkers ?? []),
      ...notApplied.flatMap(({ document }) => [...markersIn(document)].filter(isScrubbable)),
      // A site's marker that names the policy's own but lost to the first one (a conflict) is a marker too.
      ...sources.flatMap(({ document }) => [...markersIn(document)].filter(isScrubbable)),
    ],
    markedElsewhere: [...(options.markedSources ?? []), ...notApplied.filter(({ document }) => markedIn(document)).map(({ from }) => from)],
  };
}

/** The rules with their precedence: less specific first, then document order; the last applied wins. */
function rankRules(rules: readonly CompiledRule[]): CompiledRule[] {
  const ranked = rules
    .map((rule, position) => ({ rule, position, specificity: patternSpecificity(rule.pattern) }))
    .sort((a, b) => a.specificity[0] - b.specificity[0] || a.specificity[1] - b.specificity[1] || a.position - b.position);
  const order = new Map(ranked.map(({ rule }, rank) => [rule, rank]));
  return rules.map((rule) => ({ ...rule, order: order.get(rule) ?? 0 }));
}

/**
 * The merge a combination of matching rules needs: the rules (indices into `rules`) in precedence order
 * over the base. Load-time code, run by a request the first time it meets the combination.
 */
function combiner(base: Compiled, rules: readonly CompiledRule[], options: CompileOptions): (indices: readonly number[]) => Combination {
  return (indices) => {
    const layers = indices
      .map((i) => rules[i])
      .filter((rule): rule is CompiledRule => rule !== undefined)
      .sort((a, b) => a.order - b.order)
      .map((rule) => ({ from: rule.from, layer: rule.layer }));
    return compileLayers(layers, options, base);
  };
}

/**
 * Compile the built-in defaults plus each source's base and rules (see mergeSources for what is rejected).
 * `hooks.onRejected` hears of each rule combination, met later by requests, that had to skip a rule.
 */
export function compilePolicy(
  sources: readonly PolicySource[],
  options: CompileOptions,
  hooks: PolicyHooks = {},
): { policy: CompiledPolicy; rejected: RejectedLayer[]; caps: Cap[] } {
  // One marker per site: the first a document names, else NONCE_MARKER. Rule combinations compile with it too.
  const site = resolveSiteMarker(sources);
  const effective: CompileOptions = { ...options, nonceMarker: site.value ?? options.nonceMarker };
  const merged = mergeWithPreset(sources, effective, site.conflicts);
  const rules = rankRules(merged.rules);
  const combine = combiner(merged.current, rules, effective);
  const onRejected = hooks.onRejected;
  const combos = new CombinationMemo((indices) => {
    const combination = combine(indices);
    if (combination.rejected.length > 0) {
      onRejected?.({ rules: combination.rejected.map((r) => r.from), issues: combination.rejected.flatMap((r) => r.issues) });
    }
    return combination.plans;
  });
  const marker = compileMarkerScope(merged.current.resolved, rules, siteMarkers(sources, merged.rejected, site.value, options));
  const paths = compilePathIndex(
    rules.map((r) => r.pattern),
    { caseSensitive: merged.caseSensitive },
  );
  return {
    policy: {
      base: merged.current.plans,
      resolved: merged.current.resolved,
      options: effective,
      marker,
      rules,
      paths,
      combine,
      combos,
      preset: merged.preset,
    },
    rejected: merged.rejected,
    caps: merged.caps,
  };
}
