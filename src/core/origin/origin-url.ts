// Where the origin request goes: the configured origin's scheme, host and port, with the client's path
// and query kept byte for byte. Nothing in the request can choose another host.

import type { OriginTarget } from "../policy/parse-env.js";

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

/**
 * The path and query exactly as parsed, a bare trailing "?" included (URL.search drops it); no fragment.
 * For http(s) the path is what follows the authority in href: the first "/" after "scheme://" (userinfo
 * and host are percent-encoded there, so they hold no "/").
 */
function pathAndQuery(url: URL): string {
  const href = url.href;
  const start = href.indexOf("/", url.protocol.length + 2);
  const rest = start === -1 ? "/" : href.slice(start);
  const hash = rest.indexOf("#");
  return hash === -1 ? rest : rest.slice(0, hash);
}
