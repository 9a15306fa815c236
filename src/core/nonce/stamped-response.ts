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

/**
 * Rewrite every header value that contains the marker (an origin may echo it into Link, its own CSP, a
 * debug header or a cookie): each occurrence becomes `replacement`, the same value the body got. Several
 * Set-Cookie lines stay several lines.
 */
export function scrubHeaders(headers: Headers, marker: string, replacement: string): void {
  const found: [string, string][] = [];
  for (const [name, value] of headers) if (name !== "set-cookie" && value.includes(marker)) found.push([name, value]);
  for (const [name, value] of found) headers.set(name, value.replaceAll(marker, replacement));
  const cookies = headers.getSetCookie();
  if (!cookies.some((cookie) => cookie.includes(marker))) return;
  headers.delete("Set-Cookie");
  for (const cookie of cookies) headers.append("Set-Cookie", cookie.replaceAll(marker, replacement));
}

/** Headers of a body the Worker decoded itself: it goes out as it was decoded, with no coding and no stale length. */
export function adjustForDecodedBody(headers: Headers): void {
  headers.delete("Content-Encoding");
  headers.delete("Content-Length");
}
