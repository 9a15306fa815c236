// Helpers for tests inside workerd: call the Worker with chosen bindings, read the origin directly.

import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { inject } from "vitest";
import type { Env } from "../../src/env.js";
import worker from "../../src/index.js";
export { cspMap } from "../support/csp-map.js";

export const ORIGIN_URL = inject("originUrl");

/** Call the Worker's fetch handler directly with the test bindings plus `overrides`. */
export function call(url: string, init: RequestInit = {}, overrides: Partial<Record<keyof Env, unknown>> = {}): Promise<Response> {
  const bindings = { ...env, ORIGIN_URL, ...overrides } as Env;
  return worker.fetch(new Request(url, init), bindings, createExecutionContext());
}

/** The baseline headers every response carries over https with the built-in policy. */
export function expectBaseline(headers: Headers, expect: (v: unknown) => { toBe(x: unknown): void; toContain(x: unknown): void }): void {
  expect(headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
  expect(headers.get("content-security-policy")).toContain("default-src 'self'");
  expect(headers.get("x-frame-options")).toBe("DENY");
  expect(headers.get("x-content-type-options")).toBe("nosniff");
  expect(headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
  expect(headers.get("permissions-policy")).toBe("geolocation=(), camera=(), microphone=()");
}

/** A `/respond` URL whose origin answer carries exactly these header lines. */
export function respond(pairs: [string, string][], status = 200, base = "https://p.test"): string {
  const url = new URL("/respond", base);
  url.searchParams.set("status", String(status));
  for (const [k, v] of pairs) url.searchParams.append("h", `${k}:${v}`);
  return url.href;
}

let counter = 0;
/** A value unique to this test run, for cache-keyed bindings and held-response ids. */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now()}-${counter}`;
}
