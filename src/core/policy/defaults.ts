// The built-in policy: strict but safe in front of an unknown site. Written in the document format so it
// goes through the same validation and merge as every other layer.

import type { PolicyDocument } from "./types.js";
import { VERSION_HEADERS } from "../headers/strip-version.js";

/** The built-in policy document, a fresh copy on every call (callers may not share it). */
export function defaultPolicyDocument(): PolicyDocument {
  return {
    hsts: { action: "default", maxAge: 31536000, includeSubDomains: true, preload: false },
    csp: {
      action: "default",
      directives: {
        "default-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
      },
    },
    headers: {
      "X-Frame-Options": { value: "DENY", action: "default" },
      "X-Content-Type-Options": { value: "nosniff", action: "default" },
      "Referrer-Policy": { value: "strict-origin-when-cross-origin", action: "default" },
      "Permissions-Policy": { value: "geolocation=(), camera=(), microphone=()", action: "default" },
      // `Server: nginx/1.24.0 (Ubuntu)` leaves as `Server: nginx`: the product stays, its version goes.
      ...Object.fromEntries(VERSION_HEADERS.map((name) => [name, { action: "strip-version" as const }])),
    },
    remove: ["X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version"],
    // Secure over https and SameSite=Lax when the origin gave none; HttpOnly only by a rule, since a
    // page's scripts may read a cookie legitimately.
    // Secure only: an explicit SameSite=Lax would end Chrome's two-minute grace for a cookie set just
    // before a cross-site POST back (SAML's POST binding, OAuth's form_post, 3-D Secure) and break those
    // logins in every browser; the strict preset adds it (docs/policy-format.md, "cookies").
    cookies: [{ pattern: "*", secure: true }],
  };
}
