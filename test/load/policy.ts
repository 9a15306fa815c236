// The policy document seeded into POLICY_KV for the load, and the headers it puts on each route over plain http.

import { createMarker } from "../../src/core/nonce/nonce-marker.js";
import { defaultCspDirectives, defaultHeaderValues } from "../integration/support/policy-headers.js";
import type { RouteName } from "./mix.js";

/** The nonce marker the origin writes into /nonce-page: drawn per run, since a written one would be public. */
export const NONCE_MARKER = createMarker();

/** What the /json rule sets, by lower-case name: a header the origin never sends, one per kind of value. */
export const JSON_RULE_HEADERS: ReadonlyMap<string, string> = new Map([
  ["cache-control", "no-store"],
  ["cross-origin-resource-policy", "same-origin"],
  ["x-robots-tag", "noindex"],
]);

/** The KV document: marked nonces on /nonce-page, and a rule with its own headers on /json. */
export const LOAD_POLICY = {
  rules: [
    { path: "/nonce-page", description: "load test: marked nonces", nonce: { mode: "marked", marker: NONCE_MARKER } },
    {
      path: "/json",
      description: "load test: a header set of its own",
      headers: {
        "Cache-Control": { value: "no-store", action: "set" },
        "Cross-Origin-Resource-Policy": { value: "same-origin", action: "set" },
        "X-Robots-Tag": { value: "noindex", action: "set" },
      },
    },
  ],
};

/** Headers the Worker must never send on these plain-http responses (HSTS is for https only; leak headers are removed). */
export const FORBIDDEN_HEADERS: readonly string[] = [
  "strict-transport-security",
  "x-powered-by",
  "x-aspnet-version",
  "x-aspnetmvc-version",
];

/** Owned headers other than CSP (lower-case name → exact value) a response on this route must carry exactly once. */
export function ownedHeaders(route: RouteName): Map<string, string> {
  const owned = new Map<string, string>();
  for (const [name, value] of defaultHeaderValues()) owned.set(name.toLowerCase(), value);
  if (route === "json") for (const [name, value] of JSON_RULE_HEADERS) owned.set(name, value);
  // A path with a marked nonce answers no ranges (the marker could be cut in two): docs/csp.md.
  if (route === "nonce-page") owned.set("accept-ranges", "none");
  return owned;
}

/** The CSP a route carries as a directive map; for /nonce-page, `nonce` joins script-src (falling back from default-src). */
export function expectedCsp(route: RouteName, nonce: string | undefined): Map<string, readonly string[] | true> {
  const directives = defaultCspDirectives();
  if (route === "nonce-page") {
    const base = directives.get("script-src") ?? directives.get("default-src");
    const sources = Array.isArray(base) ? base : [];
    directives.set("script-src", [...sources, `'nonce-${nonce ?? "?"}'`]);
  }
  return directives;
}
