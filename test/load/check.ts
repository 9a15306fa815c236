// The integrity checks on one response through the Worker, against the origin's own answer to the same request.

import { createHash } from "node:crypto";
import { parseCspString } from "../../src/core/csp/parse-csp.js";
import type { Observed } from "./client.js";
import type { LoadRequest } from "./mix.js";
import { expectedCsp, FORBIDDEN_HEADERS, NONCE_MARKER, ownedHeaders } from "./policy.js";
import type { Reference } from "./reference.js";

/** What went wrong with one response. */
export type ViolationKind =
  | "status"
  | "body"
  | "duplicate-header"
  | "missing-header"
  | "header-value"
  | "forbidden-header"
  | "passthrough"
  | "unexpected-header"
  | "nonce";

export interface Violation {
  readonly kind: ViolationKind;
  readonly detail: string;
}

/** Lines that describe the connection or the moment, not the resource: never compared with the origin's. */
const HOP_HEADERS = new Set(["date", "connection", "keep-alive", "transfer-encoding"]);
/** Headers a stamped HTML body changes on purpose (docs/csp.md "What a stamped response looks like"). */
const STAMPED_HEADERS = new Set(["content-length", "etag", "cache-control"]);
/** 16 random bytes in base64: 22 characters and "==". */
const NONCE_SOURCE = /'nonce-([A-Za-z0-9+/]{22}==)'/;

/** Every value of header `name` (lower-case) in raw header lines, in order. */
export function headerLines(raw: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === name) values.push(raw[i + 1] ?? "");
  }
  return values;
}

function headerNames(raw: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] ?? "").toLowerCase();
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

function sameDirectives(a: ReadonlyMap<string, readonly string[] | true>, b: ReadonlyMap<string, readonly string[] | true>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, value] of a) {
    const other = b.get(name);
    if (other === undefined) return false;
    if (value === true || other === true) {
      if (value !== other) return false;
      continue;
    }
    if (value.length !== other.length || value.some((source, i) => source !== other[i])) return false;
  }
  return true;
}

function countOf(haystack: string, needle: string): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}

/** The result of checking one response: its violations, and the nonce it carried (for the uniqueness check). */
export interface CheckResult {
  readonly violations: Violation[];
  readonly nonce: string | undefined;
}

/**
 * Check one response: status; every header line once (Set-Cookie aside); each owned header once with the
 * policy's value; no HSTS over http; the CSP's directives; the origin's other headers passed through
 * unchanged and nothing else added; the body's hash equal to the origin's (for a stamped page, after
 * putting the marker back where the nonce went, with every marker replaced).
 */
export function checkResponse(request: LoadRequest, reference: Reference, observed: Observed): CheckResult {
  const violations: Violation[] = [];
  const add = (kind: ViolationKind, detail: string): void => {
    violations.push({ kind, detail: `${request.route} ${request.path}: ${detail}` });
  };
  const raw = observed.rawHeaders;
  const stamped = request.route === "nonce-page" && reference.status === 200;

  if (observed.status !== reference.status) add("status", `status ${observed.status}, the origin's ${reference.status}`);

  const counts = headerNames(raw);
  for (const [name, count] of counts) {
    if (count > 1 && name !== "set-cookie")
      add("duplicate-header", `${name} appears ${count} times: ${JSON.stringify(headerLines(raw, name))}`);
  }
  for (const name of FORBIDDEN_HEADERS) {
    if (counts.has(name)) add("forbidden-header", `${name}: ${JSON.stringify(headerLines(raw, name))}`);
  }

  const owned = ownedHeaders(request.route);
  for (const [name, value] of owned) {
    const lines = headerLines(raw, name);
    if (lines.length === 0) add("missing-header", name);
    else if (lines.length === 1 && lines[0] !== value)
      add("header-value", `${name}: ${JSON.stringify(lines[0])}, expected ${JSON.stringify(value)}`);
  }

  const cspLines = headerLines(raw, "content-security-policy");
  let nonce: string | undefined;
  if (cspLines.length === 0) add("missing-header", "content-security-policy");
  const [csp] = cspLines;
  if (csp !== undefined && cspLines.length === 1) {
    if (stamped) {
      nonce = NONCE_SOURCE.exec(csp)?.[1];
      if (nonce === undefined) add("nonce", `no 'nonce-<24 base64 chars>' source in the CSP: ${csp}`);
    }
    const parsed = parseCspString(csp);
    const expected = expectedCsp(request.route, nonce);
    // The parser refuses a nonce written into a policy document; in a response header it is the point.
    const problems = parsed.problems.filter((p) => nonce === undefined || p.received !== `'nonce-${nonce}'`);
    if (problems.length > 0 || !sameDirectives(parsed.directives, expected)) {
      add("header-value", `content-security-policy: ${JSON.stringify(csp)}`);
    }
  }

  // Everything the origin sent that the policy does not own reaches the client as sent, and nothing else appears.
  const originNames = headerNames(reference.rawHeaders);
  for (const name of originNames.keys()) {
    if (HOP_HEADERS.has(name) || owned.has(name) || name === "content-security-policy") continue;
    if (stamped && STAMPED_HEADERS.has(name)) continue;
    // The load policy has a marker, so every body is scrubbed (docs/csp.md): a gzip body is decoded and
    // encoded again by the runtime, and its Content-Length, which no longer holds, is dropped.
    if (name === "content-length" && request.route === "gzip") continue;
    const want = headerLines(reference.rawHeaders, name);
    const got = headerLines(raw, name);
    if (want.length !== got.length || want.some((v, i) => v !== got[i])) {
      add("passthrough", `${name}: ${JSON.stringify(got)}, the origin sent ${JSON.stringify(want)}`);
    }
  }
  for (const name of counts.keys()) {
    if (HOP_HEADERS.has(name) || owned.has(name) || originNames.has(name) || name === "content-security-policy") continue;
    if (stamped && STAMPED_HEADERS.has(name)) continue;
    add("unexpected-header", `${name}: ${JSON.stringify(headerLines(raw, name))}`);
  }

  if (stamped) {
    checkStamped(reference, observed, nonce, add);
  } else if (observed.sha256 !== reference.sha256 || observed.length !== reference.length) {
    add(
      "body",
      `${observed.length} bytes sha256 ${observed.sha256.slice(0, 16)}…, the origin's ${reference.length} bytes ${reference.sha256.slice(0, 16)}…`,
    );
  }
  return { violations, nonce };
}

function checkStamped(
  reference: Reference,
  observed: Observed,
  nonce: string | undefined,
  add: (kind: ViolationKind, detail: string) => void,
): void {
  const raw = observed.rawHeaders;
  // A stamped body's length differs from the origin's: either none (streamed, chunked) or the new one
  // (a small page read whole, whose length the runtime computes). Never the origin's stale value.
  const lengths = headerLines(raw, "content-length");
  if (lengths.length > 1 || (lengths.length === 1 && Number(lengths[0]) !== observed.length)) {
    add("header-value", `content-length ${JSON.stringify(lengths)} on a stamped body of ${observed.length} bytes`);
  }
  const originEtag = headerLines(reference.rawHeaders, "etag")[0];
  const etag = headerLines(raw, "etag");
  if (originEtag !== undefined && (etag.length !== 1 || etag[0] !== `W/${originEtag}`))
    add("header-value", `etag ${JSON.stringify(etag)}, expected W/${originEtag}`);
  const cacheControl = headerLines(raw, "cache-control");
  if (cacheControl.length !== 1 || !/\bprivate\b/.test(cacheControl[0] ?? ""))
    add("header-value", `cache-control ${JSON.stringify(cacheControl)}, expected private`);

  const body = observed.body?.toString("latin1") ?? "";
  const original = reference.body?.toString("latin1") ?? "";
  if (body.includes(NONCE_MARKER)) add("nonce", `the marker ${NONCE_MARKER} reached the client`);
  if (nonce === undefined) return;
  const markers = countOf(original, NONCE_MARKER);
  const stamps = countOf(body, nonce);
  if (stamps !== markers) add("nonce", `the nonce appears ${stamps} times in the body, the origin wrote ${markers} markers`);
  const restored = Buffer.from(body.replaceAll(nonce, NONCE_MARKER), "latin1");
  const sha256 = createHash("sha256").update(restored).digest("hex");
  if (sha256 !== reference.sha256 || restored.length !== reference.length) {
    add(
      "body",
      `with the nonce put back to the marker: ${restored.length} bytes sha256 ${sha256.slice(0, 16)}…, the origin's ${reference.length} bytes ${reference.sha256.slice(0, 16)}…`,
    );
  }
}

/**
 * Status and body only, for the bare pass-through baseline: it adds no headers and stamps nothing, so its
 * /nonce-page body is the origin's, marker and all.
 */
export function checkBody(request: LoadRequest, reference: Reference, observed: Observed): CheckResult {
  const violations: Violation[] = [];
  if (observed.status !== reference.status)
    violations.push({
      kind: "status",
      detail: `${request.route} ${request.path}: status ${observed.status}, the origin's ${reference.status}`,
    });
  if (observed.sha256 !== reference.sha256 || observed.length !== reference.length) {
    violations.push({
      kind: "body",
      detail: `${request.route} ${request.path}: ${observed.length} bytes, the origin's ${reference.length}, hashes differ`,
    });
  }
  return { violations, nonce: undefined };
}
