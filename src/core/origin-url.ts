// Where the origin request goes: the configured origin's scheme, host and port, with the client's path
// and query kept byte for byte. Nothing in the request can choose another host.

import type { OriginTarget } from "./parse-env.js";

/** The origin URL for a request URL, or null when no origin is configured correctly. */
export function resolveOriginUrl(requestUrl: string, target: OriginTarget): URL | null {
  if (target.kind === "invalid") return null;
  const url = new URL(requestUrl);
  url.hash = "";
  if (target.kind === "route") return url;
  // Setters, never `new URL(path, base)`: a path such as //evil.example/x must stay a path.
  url.protocol = target.protocol;
  url.hostname = target.hostname;
  url.port = target.port;
  return url;
}
