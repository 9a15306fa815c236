// Headers of a response whose body the Worker rewrote: with a nonce the bytes differ per response, so what
// described the origin's bytes (length, strong validator) must change, and shared caches must not keep it;
// on a marked path no header value may carry the marker either.

/**
 * Adjust headers for a stamped body. Content-Length goes (the runtime streams it chunked); a strong
 * ETag becomes weak (the body is no longer byte-identical, but equivalent); and the response becomes
 * private, because a shared cache serving one nonce to many visitors would make it public knowledge.
 */
export function adjustForStampedBody(headers: Headers): void {
  headers.delete("Content-Length");
  const etag = headers.get("ETag");
  if (etag !== null && etag.startsWith('"')) headers.set("ETag", `W/${etag}`);
  const cacheControl = headers.get("Cache-Control");
  if (cacheControl === null) {
    headers.set("Cache-Control", "private");
    return;
  }
  const directives = cacheControl
    .split(",")
    .map((d) => d.trim())
    .filter((d) => d !== "" && !/^(public|s-maxage\s*=.*|proxy-revalidate)$/i.test(d));
  if (!directives.some((d) => /^(private|no-store)$/i.test(d))) directives.unshift("private");
  headers.set("Cache-Control", directives.join(", "));
}

/** One marker to take out of header values, and what takes its place. */
export interface HeaderScrub {
  readonly marker: string;
  readonly replacement: string;
}

/**
 * Rewrite every header value that contains the marker (an origin may echo it into Link, its own CSP, a
 * debug header or a cookie): each occurrence becomes `replacement`, the same value the body got. Several
 * Set-Cookie lines stay several lines.
 */
export function scrubHeaders(headers: Headers, marker: string, replacement: string): void {
  scrubHeaderValues(headers, [{ marker, replacement }]);
}

/**
 * scrubHeaders for every marker at once, in one pass over the headers (each pass crosses into the runtime
 * per header): false, with nothing rewritten, when a header name carries a marker in any case (a name
 * cannot be rewritten without changing what the header means: the caller refuses the response).
 */
export function scrubHeaderValues(headers: Headers, scrubs: readonly HeaderScrub[]): boolean {
  const lower = scrubs.map((s) => s.marker.toLowerCase());
  const found: [string, string][] = [];
  let cookies = false;
  for (const [name, value] of headers) {
    const lowerName = name.toLowerCase();
    if (lower.some((m) => lowerName.includes(m))) return false;
    if (!scrubs.some((s) => value.includes(s.marker))) continue;
    if (name === "set-cookie") cookies = true;
    else found.push([name, value]);
  }
  for (const [name, value] of found) headers.set(name, replaceMarkers(value, scrubs));
  if (!cookies) return true;
  const lines = headers.getSetCookie();
  headers.delete("Set-Cookie");
  for (const cookie of lines) headers.append("Set-Cookie", replaceMarkers(cookie, scrubs));
  return true;
}

function replaceMarkers(value: string, scrubs: readonly HeaderScrub[]): string {
  let out = value;
  for (const { marker, replacement } of scrubs) out = out.replaceAll(marker, replacement);
  return out;
}

/** Headers of a body the Worker decoded itself: it goes out as it was decoded, with no coding and no stale length. */
export function adjustForDecodedBody(headers: Headers): void {
  headers.delete("Content-Encoding");
  headers.delete("Content-Length");
}
