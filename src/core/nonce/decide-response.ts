// Per response, the one decision the Worker (secure.ts) and the CLI's explain share: the nonce decision,
// whether the response is refused instead (a 502), and what replaces each of the site's markers.

import { createFiller, decideNonce, type NonceDecision, type ResponseFacts } from "./decide-nonce.js";
import type { Scrub } from "./body-transformer.js";
import type { HeaderPlan, MarkerScope } from "../policy/types.js";

/** What happens to one response: the nonce decision, and why it is refused instead (undefined when it is not). */
export interface ResponseDecision {
  readonly decision: NonceDecision;
  readonly refusal: string | undefined;
}

/**
 * Decide for one response (see decideNonce), and refuse it when a marker could leave: a body that cannot be
 * scrubbed, a site whose marker is unknown (`scope.unresolved`), or a header name that carries a marker
 * (a name cannot be rewritten without changing what the header means).
 */
export function decideResponse(
  plan: HeaderPlan,
  facts: ResponseFacts & { readonly headerNames: Iterable<string> },
  scope: MarkerScope | null,
): ResponseDecision {
  const decision = decideNonce(plan, facts, scope);
  if (scope === null) return { decision, refusal: decision.body.kind === "refuse" ? decision.body.why : undefined };
  if (scope.unresolved !== null) return { decision, refusal: scope.unresolved };
  if (decision.body.kind === "refuse") return { decision, refusal: decision.body.why };
  return { decision, refusal: headerNameWithMarker(facts.headerNames, scope) };
}

/** Every marker of the scope, stamped ones first. */
export function scopeMarkers(scope: MarkerScope): readonly Scrub["marker"][] {
  return [...(scope.value === null ? [] : [scope.value]), ...scope.alternates, ...scope.neutralised];
}

/** Why a response is refused for a header name that carries a marker (in any case: names are compared lowercased), or undefined. */
export function headerNameWithMarker(names: Iterable<string>, scope: MarkerScope): string | undefined {
  const markers = scopeMarkers(scope).map((m) => m.marker.toLowerCase());
  for (const name of names) {
    const lower = name.toLowerCase();
    if (markers.some((m) => lower.includes(m))) return "a header name carries the marker";
  }
  return undefined;
}

/**
 * What replaces each marker in body and headers: on a marked path with a nonce, the stamped markers get the
 * nonce; every other marker, and every marker elsewhere, gets fresh filler of its own length.
 */
export function scrubsFor(scope: MarkerScope, nonce: string | undefined, filler: (length: number) => string = createFiller): Scrub[] {
  const stamped = scope.marked && nonce !== undefined ? [...(scope.value === null ? [] : [scope.value]), ...scope.alternates] : [];
  return scopeMarkers(scope).map((marker) => ({
    marker,
    replacement: stamped.includes(marker) && nonce !== undefined ? nonce : filler(marker.marker.length),
  }));
}
