// Headers of a response whose body gets a nonce: the bytes now differ per response, so what described
// the origin's bytes (length, strong validator) must change, and shared caches must not keep it.

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
