// Once per policy version: the site's one nonce marker (which one, and a conflict for any other), and the
// scope it is scrubbed in (which rules can yield a marked nonce). marker-scope.ts reads it per request.

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

/** Where the marker is scrubbed, for a compiled base and its rules; null when no path can have a marked nonce. */
export function compileMarkerScope(
  base: ResolvedPolicy,
  rules: readonly CompiledRule[],
  marker: { readonly value: string | undefined; readonly from: "policy" | "NONCE_MARKER" | undefined; readonly assumed: boolean },
): MarkerScope | null {
  const everywhere = base.nonce?.mode === "marked";
  const perRule = rules.map((rule) => mayMark(rule.layer));
  const anyRule = perRule.includes(true);
  if (!everywhere && !anyRule) return null;
  if (marker.value !== undefined)
    return { value: compileMarker(marker.value), from: marker.from ?? "policy", everywhere, rules: perRule, anyRule };
  // No marker anywhere: every marked nonce was refused at load, so nothing is stamped and nothing to scrub,
  // unless the CLI is compiling on the assumption that the Worker has NONCE_MARKER.
  return marker.assumed ? { value: null, from: "NONCE_MARKER", everywhere, rules: perRule, anyRule } : null;
}
