// What the built-in policy puts on a plain-HTTP response, derived from the defaults document itself.

import type { IncomingHttpHeaders } from "node:http";
import { expect } from "vitest";
import { parseCspString } from "../../../src/core/csp/parse-csp.js";
import { defaultPolicyDocument } from "../../../src/core/policy/defaults.js";
import { header } from "./raw-http.js";

/** Header name → value the defaults add when the origin sends none of them. */
export function defaultHeaderValues(): Map<string, string> {
  const values = new Map<string, string>();
  for (const [name, entry] of Object.entries(defaultPolicyDocument().headers ?? {})) {
    if (typeof entry === "string") values.set(name, entry);
    else if (entry !== null && entry.value !== undefined && entry.action !== "remove") values.set(name, entry.value);
  }
  return values;
}

/** The built-in CSP as a directive map, the form the header is compared in. */
export function defaultCspDirectives(): Map<string, readonly string[] | true> {
  const csp = defaultPolicyDocument().csp;
  if (csp === undefined || csp === false) throw new Error("the built-in policy has no CSP");
  return new Map(Object.entries(csp.directives ?? {}));
}

/** Assert the built-in policy's headers are on a response served over plain HTTP. */
export function expectDefaultPolicy(headers: IncomingHttpHeaders): void {
  for (const [name, value] of defaultHeaderValues()) expect(header(headers, name), name).toBe(value);
  const csp = header(headers, "content-security-policy");
  expect(csp, "content-security-policy").toBeDefined();
  const parsed = parseCspString(csp ?? "");
  expect(parsed.problems).toEqual([]);
  expect(parsed.directives).toEqual(defaultCspDirectives());
  // HSTS is only for HTTPS; Miniflare serves plain HTTP.
  expect(header(headers, "strict-transport-security")).toBeUndefined();
}
