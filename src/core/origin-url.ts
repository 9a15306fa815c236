// Where the origin request goes: the configured origin's scheme, host and port, with the client's path
// and query kept byte for byte. Nothing in the request can choose another host.

import type { OriginTarget } from "./parse-env.js";

/**
 * The origin URL for a (parsed) request URL, or null when no origin is configured correctly. Built from
 * the parsed parts rather than by resolving a path against a base: `//evil.example/x` stays a path.
 * The request URL was parsed once by the caller; this allocates no second URL.
 */
export function resolveOriginUrl(requestUrl: URL, target: OriginTarget): string | null {
  if (target.kind === "invalid") return null;
  const tail = pathAndQuery(requestUrl);
  if (target.kind === "route") return `${requestUrl.protocol}//${requestUrl.host}${tail}`;
  return `${target.protocol}//${target.host}${tail}`;
}

/** The path and query exactly as parsed, a bare trailing "?" included (URL.search drops it); no fragment. */
function pathAndQuery(url: URL): string {
  if (url.username !== "" || url.password !== "") return `${url.pathname}${url.search}`;
  const rest = url.href.slice(url.origin.length);
  const hash = rest.indexOf("#");
  return hash === -1 ? rest : rest.slice(0, hash);
}
