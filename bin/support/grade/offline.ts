// The grade of headers the policy computes (explain's output), with no network: the response a visitor
// would get on https, as the Observatory's scan would have retrieved it.

import { gradeRetrieval, type GradeReport } from "./grade.js";
import type { ResponseHeaders, RetrievedResponse } from "./observatory.js";

/**
 * The host offline grades pretend to fetch. It is in no HSTS preload list, so a policy's grade never
 * depends on which host it is deployed to.
 */
export const OFFLINE_HOST = "policy.example";

/** What the policy grade leaves to the site, for output next to it. */
export const OFFLINE_SCOPE = "the Observatory's score of these headers; redirection, cookies and SRI are the site's and score 0 here";

/** A Headers object as Node's `res.headers` would give it: lower-case names, Set-Cookie as a list. */
export function nodeHeaders(headers: Headers): ResponseHeaders {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of headers) if (name !== "set-cookie") out[name] = value;
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) out["set-cookie"] = cookies;
  return out;
}

/**
 * Grade the headers of one https response for `path`: the page the Observatory grades, with no body (so no
 * inline meta tags or scripts), no http:// form (redirecting is the zone's job, not the policy's).
 */
export function gradeHeaders(headers: Headers, path: string, status = 200): Promise<GradeReport> {
  const page: RetrievedResponse = {
    url: new URL(path, `https://${OFFLINE_HOST}/`),
    status,
    headers: nodeHeaders(headers),
    body: "",
    verified: true,
  };
  return gradeRetrieval({ hostname: OFFLINE_HOST, page, https: page, http: null });
}
