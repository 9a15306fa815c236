// Per request: the marker scope of a path (looked up from the path alone, before forwarding), and the
// request headers not forwarded on a marked path. compile-marker-scope.ts builds the scope per version.

import type { PathRoute } from "../policy/match-path.js";
import type { CompiledPolicy, MarkerScope } from "../policy/types.js";

/**
 * The marker scope of a request path: the marked scope on a path with a marked nonce, its `unmarked` twin
 * on every other path (the markers are scrubbed site-wide), null when the site has no marker. A path
 * match only, and only when some rule needs one. The rules match the canonical path, as for the headers,
 * so every spelling an origin serves as the page (`//app/x`, `/APP/x`) is marked. `route` is the
 * handler's, when it already routed the path.
 */
export function matchMarkerScope(policy: CompiledPolicy, path: string, route?: PathRoute): MarkerScope | null {
  const scope = policy.marker;
  if (scope === null || scope.everywhere) return scope;
  const unmarked = scope.unmarked ?? scope;
  if (!scope.anyRule) return unmarked;
  const routed = route?.index === policy.paths ? route : policy.paths.route(path);
  if (!routed.ok) return unmarked;
  for (const index of routed.rules) if (scope.rules[index] === true) return scope;
  return unmarked;
}

/**
 * Request headers not forwarded on a path in the marker's scope: a range of the page could cut a marker in
 * two (several small ranges would spell it out), so the origin sends the whole body, which is scrubbed
 * and answered 200. Media on such a path loses range requests: scope marked nonces to page paths.
 * `Request-Range` is the pre-standard spelling some servers (Apache) still honour.
 */
export const RANGE_HEADERS: readonly string[] = ["Range", "If-Range", "Request-Range"];

/** Off the marked paths: only the old spelling goes, a single range is forwarded (media can seek). */
const OLD_RANGE_HEADER: readonly string[] = ["Request-Range"];

/** One byte range (`bytes=a-b`, `bytes=a-`, `bytes=-n`): the only Range forwarded off the marked paths. */
const SINGLE_RANGE = /^bytes=(?:\d+-\d*|-\d+)$/i;

/**
 * The request headers to drop before forwarding, on a site with a marker: every range header on a marked
 * path; elsewhere `Request-Range` always, and a `Range` that asks for more than one range (or that we
 * cannot read as one): the parts of a multipart/byteranges answer could each hold a piece of a marker,
 * which the scrubber, seeing no whole one, would let through. The origin then answers the whole body.
 */
export function forwardedHeadersToDrop(scope: MarkerScope | null, range: string | null): readonly string[] {
  if (scope === null) return [];
  if (scope.marked) return RANGE_HEADERS;
  return range === null || SINGLE_RANGE.test(range.trim()) ? OLD_RANGE_HEADER : RANGE_HEADERS;
}
