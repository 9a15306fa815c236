// The site's one nonce marker and where it is scrubbed: resolved once per policy version (which marker, which
// rules can yield a marked nonce), then looked up per request from the path alone, before forwarding.

import { compileMarker } from "./marker-stream.js";
import type { PathRoute } from "../policy/match-path.js";
import { redactedMarker } from "./nonce-marker.js";
import type { CompiledPolicy, CompiledRule, MarkerScope, PolicyDocument, PolicyLayer, ResolvedPolicy } from "../policy/types.js";
import type { PolicyIssue } from "../shared/result.js";

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
  if (marker.value !== undefined) return { value: compileMarker(marker.value), from: marker.from ?? "policy", everywhere, rules: perRule, anyRule };
  // No marker anywhere: every marked nonce was refused at load, so nothing is stamped and nothing to scrub,
  // unless the CLI is compiling on the assumption that the Worker has NONCE_MARKER.
  return marker.assumed ? { value: null, from: "NONCE_MARKER", everywhere, rules: perRule, anyRule } : null;
}

/**
 * The marker scope of a request path, or null: a path match only, and only when some rule needs one. The
 * rules match the canonical path, as for the headers, so every spelling an origin serves as the page
 * (`//app/x`, `/APP/x`) is in scope. `route` is the handler's, when it already routed the path; a path
 * the router refuses never reaches the origin, so it has nothing to scrub.
 */
export function matchMarkerScope(policy: CompiledPolicy, path: string, route?: PathRoute): MarkerScope | null {
  const scope = policy.marker;
  if (scope === null || scope.everywhere) return scope;
  if (!scope.anyRule) return null;
  const routed = route?.index === policy.paths ? route : policy.paths.route(path);
  if (!routed.ok) return null;
  for (const index of routed.rules) if (scope.rules[index] === true) return scope;
  return null;
}

/**
 * Request headers not forwarded on a path in the marker's scope: a range of the page could cut a marker in
 * two (several small ranges would spell it out), so the origin sends the whole body, which is scrubbed
 * and answered 200. Media on such a path loses range requests: scope marked nonces to page paths.
 */
export const RANGE_HEADERS: readonly string[] = ["Range", "If-Range"];

/** The request headers to drop before forwarding, for this path's marker scope. */
export function forwardedHeadersToDrop(scope: MarkerScope | null): readonly string[] {
  return scope === null ? [] : RANGE_HEADERS;
}
