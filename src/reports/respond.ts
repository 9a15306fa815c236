// The collector's responses: the site's own policy never applies to them, so each carries fixed hardening.

/** Hardening of every collector response that has no page to style. */
const COLLECTOR_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** A response with the collector's fixed hardening headers (and `csp`, the summary page's own policy). */
export function hardenedResponse(body: string | null, status: number, headers: Record<string, string>, csp = COLLECTOR_CSP): Response {
  return new Response(body, {
    status,
    headers: {
      ...headers,
      "Cache-Control": "no-store",
      "Content-Security-Policy": csp,
      "Cross-Origin-Resource-Policy": "same-origin",
      "Referrer-Policy": "no-referrer",
      "X-Content-Type-Options": "nosniff",
      "X-Frame-Options": "DENY",
    },
  });
}

/** A short plain-text (or empty, for `null`) hardened response. */
export function textResponse(status: number, text: string | null, headers: Record<string, string> = {}): Response {
  if (text === null) return hardenedResponse(null, status, headers);
  return hardenedResponse(`${text}\n`, status, { "Content-Type": "text/plain; charset=utf-8", ...headers });
}
