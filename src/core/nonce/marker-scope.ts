// Per request: the marker scope of a path (looked up from the path alone, before forwarding), and the
// request headers not forwarded on a path in it. compile-marker-scope.ts builds the scope per version.

import type { PathRoute } from "../policy/match-path.js";
import type { CompiledPolicy, MarkerScope } from "../policy/types.js";

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
