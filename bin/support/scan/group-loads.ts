// From a scan's visits to the loads of each path: every page (and same-origin frame) and every worker script
// grouped by the path its rule would match, with the requests no violation accounts for given to the page.

import { canonicalPath } from "../../../src/core/policy/canonical-path.js";
import { readLoad, type LoadFacts } from "./load-facts.js";
import type { DocumentLoad, ObservedRequest, SiteScan, Visit } from "./observations.js";

/** The loads of one path, in scan order. */
export interface PathLoads {
  /** The path a rule for it matches: canonical (decoded, case-folded), or the URL's own when it has none. */
  readonly path: string;
  readonly kind: "page" | "worker";
  readonly urls: string[];
  readonly loads: LoadFacts[];
}

/** Group every document load of the scan by kind and path. */
export function groupLoads(scan: SiteScan): PathLoads[] {
  const groups = new Map<string, PathLoads>();
  const put = (kind: "page" | "worker", load: DocumentLoad, requests: readonly ObservedRequest[]): void => {
    const path = pathKey(load.url);
    const key = `${kind} ${path}`;
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { path, kind, urls: [], loads: [] }));
    if (!group.urls.includes(load.url)) group.urls.push(load.url);
    group.loads.push(readLoad(load, scan.origin, requests));
  };
  for (const pass of scan.passes) {
    for (const visit of pass) {
      const requests = unexplained(visit, scan.origin);
      visit.pages.forEach((page, i) => put("page", page, i === 0 ? requests : []));
      for (const worker of visit.workers) put("worker", worker, []);
    }
  }
  return [...groups.values()];
}

/** The canonical path rules match a URL's path as; the raw path when the Worker would refuse it. */
export function pathKey(url: string): string {
  const pathname = new URL(url).pathname;
  const canonical = canonicalPath(pathname, true);
  return canonical.ok ? canonical.path : pathname;
}

/**
 * The visit's requests that no violation of its documents accounts for: a beacon sent as the page closed, a
 * request from a worker the scanner could not instrument. A violation names the URL, or only the origin (a
 * frame on another origin). The site's own documents are the pages themselves.
 */
export function unexplained(visit: Visit, site: string): ObservedRequest[] {
  const blocked = new Set<string>();
  for (const load of [...visit.pages, ...visit.workers]) for (const v of load.violations) blocked.add(withoutFragment(v.blocked));
  return visit.requests.filter((r) => {
    const url = withoutFragment(r.url);
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      return false;
    }
    if (r.type === "document" && origin === site) return false;
    return !blocked.has(url) && !blocked.has(origin) && !blocked.has(`${origin}/`);
  });
}

function withoutFragment(url: string): string {
  const hash = url.indexOf("#");
  return hash === -1 ? url : url.slice(0, hash);
}
