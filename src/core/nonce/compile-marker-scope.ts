// Once per policy version: the site's one nonce marker (which one, and a conflict for any other), every
// other marker it must neutralise, and which paths are marked. marker-scope.ts reads it per request.

import type { CompiledRule, MarkerScope, PolicyDocument, PolicyLayer, ResolvedPolicy } from "../policy/types.js";
import type { PolicyIssue } from "../shared/result.js";
import { compileMarker } from "./marker-stream.js";
import { redactedMarker } from "./nonce-marker.js";

/** A policy document and where it came from, as compilePolicy takes them. */
interface Source {
  readonly from: string;
  readonly document: PolicyDocument;
}

/** The marker the sources name, and an issue for each source that names a different one. */
export interface SiteMarker {
  readonly value: string | undefined;
  /** Issues by source index: a second marker makes its source invalid (one secret per site). */
  readonly conflicts: ReadonlyMap<number, readonly PolicyIssue[]>;
}

/**
 * The one marker the policy's documents name (`nonce.marker`, on a base or a rule), the first one met in
 * source order. A policy has one secret marker, so that every path with a marked nonce scrubs the same
 * bytes; a source that names another is refused with an issue at that field.
 */
export function resolveSiteMarker(sources: readonly Source[]): SiteMarker {
  let value: string | undefined;
  let firstAt = "";
  const conflicts = new Map<number, PolicyIssue[]>();
  sources.forEach(({ from, document }, index) => {
    for (const { path, marker } of namedMarkers(document)) {
      if (value === undefined) {
        value = marker;
        firstAt = `${from} ${path}`;
      } else if (marker !== value) {
        const issues = conflicts.get(index) ?? [];
        issues.push({
          path,
          message: `the same marker as ${firstAt}: a policy has one secret marker, which every path with a marked nonce scrubs`,
          received: redactedMarker(marker),
        });
        conflicts.set(index, issues);
      }
    }
  });
  return { value, conflicts };
}

function namedMarkers(document: PolicyDocument): { path: string; marker: string }[] {
  const found: { path: string; marker: string }[] = [];
  if (document.nonce !== undefined && document.nonce !== false && document.nonce.marker !== undefined) {
    found.push({ path: "nonce.marker", marker: document.nonce.marker });
  }
  (document.rules ?? []).forEach((rule, i) => {
    if (rule.nonce !== undefined && rule.nonce !== false && rule.nonce.marker !== undefined) {
      found.push({ path: `rules[${i}].nonce.marker`, marker: rule.nonce.marker });
    }
  });
  return found;
}

/**
 * True when a layer can turn on a marked nonce: a nonce object in marked mode, or with no mode (it then
 * keeps what lies below it, or starts marked). Content-type limits are ignored on purpose: the content
 * type is the origin's choice and browsers sniff, so the scope follows the path alone.
 */
function mayMark(layer: PolicyLayer): boolean {
  const nonce = layer.nonce;
  return nonce !== undefined && nonce !== false && nonce.mode !== "blanket";
}

/** What compilePolicy knows about the site's markers, for compileMarkerScope. */
export interface SiteMarkers {
  /** The marker stamped: the policy's own, else NONCE_MARKER's. */
  readonly value: string | undefined;
  readonly from: "policy" | "NONCE_MARKER" | undefined;
  /** The CLI compiles as if the Worker had NONCE_MARKER. */
  readonly assumed: boolean;
  /** Other valid markers stamped too (a rotation). */
  readonly alternates: readonly string[];
  /** Markers only neutralised. */
  readonly neutralised: readonly string[];
  /** Sources that ask for a marked nonce and are not applied. */
  readonly markedElsewhere: readonly string[];
}

/**
 * Where the markers are scrubbed and stamped, for a compiled base and its rules; null when no source names a
 * marker or asks for a marked nonce. A source that asks for one but is not applied marks every path (its
 * pages carry the marker whatever layer serves them); if no marker is known at all, every response is refused.
 */
export function compileMarkerScope(base: ResolvedPolicy, rules: readonly CompiledRule[], site: SiteMarkers): MarkerScope | null {
  const perRule = rules.map((rule) => mayMark(rule.layer));
  const anyRule = perRule.includes(true);
  const everywhere = base.nonce?.mode === "marked" || site.markedElsewhere.length > 0;
  const stamped = unique([site.value, ...site.alternates]);
  const neutralised = unique(site.neutralised).filter((m) => !stamped.includes(m));
  if (!everywhere && !anyRule && stamped.length === 0 && neutralised.length === 0) return null;
  const [first, ...alternates] = stamped;
  const known = first !== undefined || neutralised.length > 0;
  // No marker anywhere while a source asks for marked nonces: refused, unless the CLI is assuming NONCE_MARKER.
  const unresolved = known || site.assumed ? null : unresolvedWhy(site.markedElsewhere);
  const fields = {
    value: first === undefined ? null : compileMarker(first),
    from: site.from ?? "NONCE_MARKER",
    alternates: alternates.map(compileMarker),
    neutralised: neutralised.map(compileMarker),
    everywhere,
    rules: perRule,
    anyRule,
    unresolved,
  } as const;
  return { ...fields, marked: true, unmarked: { ...fields, marked: false, unmarked: null } };
}

function unique(markers: readonly (string | undefined)[]): string[] {
  return [...new Set(markers.filter((m): m is string => m !== undefined))];
}

function unresolvedWhy(sources: readonly string[]): string {
  const named = sources.length === 0 ? "the policy" : sources.join(" and ");
  return `${named} asks for a marked nonce, but no marker is known: set the NONCE_MARKER secret (\`npx wrangler secret put NONCE_MARKER\`, value from \`npx security-headers-worker marker\`) or nonce.marker; until then every response is refused, as the origin's pages carry a marker the Worker cannot scrub`;
}
