// What `check` fetched, as the Observatory's retrieval: the page at the URL given, and the redirect route of
// its http:// form, followed hop by hop as the Observatory's retriever follows it.

import type { RawResponse } from "../http-get.js";
import type { Retrieval, RetrievedResponse } from "./observatory.js";

/** As the Observatory's retriever: at most this many redirects are followed. */
export const MAX_REDIRECTS = 10;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** One response on a redirect route. */
export interface Hop {
  readonly url: URL;
  readonly response: RawResponse;
}

/**
 * Fetch `start` (unless its response is given as `first`) and follow its redirects, one GET per hop, at most
 * MAX_REDIRECTS; a hop that fails ends the route.
 */
export async function followRoute(start: URL, get: (url: URL) => Promise<RawResponse>, first?: RawResponse): Promise<Hop[]> {
  const hops: Hop[] = [];
  let url: URL | undefined = start;
  while (url !== undefined && hops.length <= MAX_REDIRECTS) {
    let response: RawResponse;
    try {
      response = hops.length === 0 && first !== undefined ? first : await get(url);
    } catch {
      break;
    }
    hops.push({ url, response });
    url = REDIRECT_STATUSES.has(response.status) ? nextUrl(url, response) : undefined;
  }
  return hops;
}

function nextUrl(from: URL, response: RawResponse): URL | undefined {
  const location = response.headers.location;
  if (location === undefined) return undefined;
  try {
    return new URL(location, from);
  } catch {
    return undefined;
  }
}

function retrieved(url: URL, response: RawResponse): RetrievedResponse {
  // A response over https got here only if its certificate verified: getRaw verifies and fails otherwise.
  return { url, status: response.status, headers: response.headers, body: response.body, verified: true };
}

/**
 * The retrieval for `check <url>`: the page is the URL's own response (the Observatory grades where its
 * redirects end; check grades the URL given, so give it the final one). `httpRoute` is the route from the
 * http:// form (for an http:// URL, from the URL itself), or null when it was not fetched.
 */
export function retrievalOf(url: URL, page: RawResponse, httpRoute: readonly Hop[] | null): Retrieval {
  const graded = retrieved(url, page);
  const [first] = httpRoute ?? [];
  const http =
    first === undefined
      ? null
      : {
          response: url.protocol === "http:" && first.response === page ? graded : retrieved(first.url, first.response),
          route: (httpRoute ?? []).map((hop) => ({ url: hop.url, status: hop.response.status })),
        };
  return { hostname: url.hostname, page: graded, https: url.protocol === "https:" ? graded : null, http };
}
