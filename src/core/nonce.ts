// Per response: whether and how a nonce goes into this response, and the nonce itself.

import type { HeaderOp, HeaderPlan } from "./policy.js";

/** What the nonce decision needs to know about the response. */
export interface ResponseFacts {
  readonly method: string;
  readonly status: number;
  readonly contentType: string | null;
  readonly hasBody: boolean;
  /** The origin's response headers; only the CSP ones are read, and only when the plan could replace them. */
  readonly originHeaders: Pick<Headers, "get">;
}

/** The headers to apply, and whether the body gets a nonce stamped into it. */
export type NonceDecision =
  | { readonly stamp: true; readonly ops: readonly HeaderOp[] }
  | { readonly stamp: false; readonly ops: readonly HeaderOp[]; readonly why: string };

const HTML = /^\s*(text\/html|application\/xhtml\+xml)\s*(;|$)/i;
const ORIGIN_NONCE = /'nonce-/i;
const WIDE_CHARSET = /;\s*charset\s*=\s*"?\s*(utf-?16|utf-?32|ucs-?2|ucs-?4|unicode)/i;

/**
 * Decide for one response. An origin's own nonce-based CSP is never replaced (its scripts carry its
 * nonces, not ours); a 304 gets no CSP at all, so the browser keeps the policy stored with the page it
 * cached; only a full HTML body is stamped. The content type decides, never the bytes.
 */
export function decideNonce(plan: HeaderPlan, facts: ResponseFacts): NonceDecision {
  if (plan.readsOriginCsp && originUsesNonces(facts.originHeaders)) {
    return { stamp: false, ops: plan.withoutCsp, why: "the origin runs its own nonce-based CSP" };
  }
  const nonce = plan.nonce;
  if (nonce === null) return { stamp: false, ops: plan.ops, why: "no nonce in this policy" };
  if (facts.status === 304) return { stamp: false, ops: nonce.notModifiedOps, why: "304: the cached page keeps its own policy" };
  if (facts.method === "HEAD" || !facts.hasBody || facts.status === 204 || facts.status === 205 || facts.status === 206) {
    return { stamp: false, ops: plan.ops, why: "no full body to stamp" };
  }
  if (!HTML.test(facts.contentType ?? "")) return { stamp: false, ops: plan.ops, why: "not HTML" };
  if (WIDE_CHARSET.test(facts.contentType ?? "")) {
    return { stamp: false, ops: plan.ops, why: "a charset that is not ASCII-compatible (UTF-16/32): an ASCII nonce would corrupt it" };
  }
  return { stamp: true, ops: nonce.ops };
}

function originUsesNonces(headers: Pick<Headers, "get">): boolean {
  return ORIGIN_NONCE.test(headers.get("Content-Security-Policy") ?? "") || ORIGIN_NONCE.test(headers.get("Content-Security-Policy-Report-Only") ?? "");
}

/** A fresh 128-bit nonce from a CSPRNG, base64-encoded. `random` is injectable for tests. */
export function createNonce(random: (bytes: Uint8Array) => Uint8Array = (bytes) => crypto.getRandomValues(bytes)): string {
  const bytes = random(new Uint8Array(16));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
