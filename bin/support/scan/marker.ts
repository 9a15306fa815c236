// Does the origin already mark its elements for marked nonces? A marker is a nonce attribute value that stays
// the same from load to load; a per-response nonce of the origin's own changes every time.

import { markerProblem } from "../../../src/core/nonce/nonce-marker.js";
import type { LoadFacts } from "./load-facts.js";

/** What the scan learnt about the nonce attributes the origin writes. The marker's value is never shown. */
export interface MarkerFinding {
  /** The site's marker: a valid one, the same on every load that carries it. */
  readonly marker: string | undefined;
  /** What to tell the site owner: fixed values that cannot be markers, nonces that change per response. */
  readonly notes: readonly string[];
}

/** Look at every nonce attribute of every page load for the site's marker. */
export function findMarker(loads: readonly LoadFacts[]): MarkerFinding {
  const counts = new Map<string, number>();
  for (const load of loads) for (const value of new Set(load.nonces.map((n) => n.value))) counts.set(value, (counts.get(value) ?? 0) + 1);
  const fixed = [...counts].filter(([, n]) => n > 1).sort((a, b) => b[1] - a[1]);
  const valid = fixed.filter(([value]) => markerProblem(value) === undefined);
  const notes: string[] = [];
  const invalid = fixed.filter(([value]) => markerProblem(value) !== undefined);
  if (invalid.length > 0) {
    const problem = markerProblem(invalid[0]?.[0] ?? "") ?? "";
    notes.push(
      `the origin writes ${invalid.length === 1 ? "a fixed nonce" : `${invalid.length} fixed nonces`} that cannot be the site's marker: expected ${problem}`,
    );
  }
  if (valid.length > 1)
    notes.push(
      `the origin writes ${valid.length} different fixed nonces; a site has one marker, so only the most frequent is taken for it`,
    );
  const changing = [...counts].filter(([, n]) => n === 1).length;
  if (changing > 0 && fixed.length === 0) {
    notes.push(
      "the origin writes nonces that change per response: it runs a nonce-based CSP of its own, which the scan removed; under the Worker its nonces no longer match any policy, so mark the elements with the marker instead",
    );
  }
  return { marker: valid[0]?.[0], notes };
}
