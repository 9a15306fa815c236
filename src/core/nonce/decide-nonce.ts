// Per response: whether our nonce goes into this response, what happens to its body (stamped, scrubbed of
// the marker, or refused), and the nonce itself.

import { parseContentCoding, type BodyCoding } from "./content-coding.js";
import { extractMimeType, isAsciiCompatible, isDeclaredHtml, isHtmlish, isParsedAsHtml, type MimeType } from "./mime-type.js";
import type { HeaderOp, HeaderPlan, MarkerScope, NoncePlan } from "../policy/types.js";

/** What the nonce decision needs to know about the response. */
export interface ResponseFacts {
  readonly method: string;
  readonly status: number;
  readonly contentType: string | null;
  /** The origin's Content-Encoding; undefined is read as none. */
  readonly contentEncoding?: string | null;
  readonly hasBody: boolean;
  /** The origin's response headers; only the CSP ones are read, and only when a CSP op defers to them. */
  readonly originHeaders: Pick<Headers, "get">;
}

/** What happens to the body. */
export type BodyPlan =
  | { readonly kind: "untouched" }
  /** Not sent: on a marked path, a body that cannot be read as the client will decode it. A 502 goes instead. */
  | { readonly kind: "refuse"; readonly why: string }
  | {
      readonly kind: "rewrite";
      /** Replace the marker (a marked path): with the nonce when `stamp`, else with filler of its length. */
      readonly scrub: boolean;
      /** Blanket mode: the nonce plan whose targets (scripts, styles) get the nonce; null for none. */
      readonly tags: NoncePlan | null;
      /** How the body must be read; "decode" ones go out without Content-Encoding. */
      readonly coding: Exclude<BodyCoding, { kind: "refuse" }>;
      /** The body keeps its length (filler replaces the marker byte for byte, nothing decoded or inserted). */
      readonly sameLength: boolean;
    };

/** The headers to apply, whether they (and the body) carry our nonce, and what happens to the body. */
export type NonceDecision =
  | { readonly stamp: true; readonly ops: readonly HeaderOp[]; readonly body: BodyPlan }
  | { readonly stamp: false; readonly ops: readonly HeaderOp[]; readonly body: BodyPlan; readonly why: string };

const UNTOUCHED: BodyPlan = { kind: "untouched" };

/** Why an XHTML page is not stamped (docs/csp.md, "What never gets a nonce"). */
export const XHTML =
  "XHTML: browsers parse it as XML, which blanket stamping does not model, so it goes out unstamped with the CSP minus the nonce (scripts and styles that only the nonce allowed are blocked)";

/**
 * Decide for one response. On a site with a marker (`scope` non-null) every body is scrubbed of it whatever
 * its path, status, type, charset or encoding, or refused when it cannot be read. On a marked path
 * (`scope.marked`) HTML-ish bodies whose CSP carries our nonce get the nonce, every other body gets filler
 * no header carries; elsewhere the markers get filler. Otherwise only blanket mode touches a body: a full,
 * text/html (not XHTML), ASCII-compatible one. A 304 gets no CSP at all, so
 * the browser keeps the policy stored with the page it cached.
 */
export function decideNonce(plan: HeaderPlan, facts: ResponseFacts, scope: MarkerScope | null = null): NonceDecision {
  // Most responses: no nonce and no marker scope, so nothing to parse (the content type's parse is per request).
  if (scope === null && plan.nonce === null) return { stamp: false, ops: plan.ops, why: "no nonce in this policy", body: UNTOUCHED };
  const mime = mimeTypeOf(facts.contentType);
  const bodyless = facts.method === "HEAD" || !facts.hasBody || facts.status === 204 || facts.status === 205 || facts.status === 304;
  if (scope === null) return decideBlanket(plan, facts, mime, bodyless);
  return scope.marked ? decideMarked(plan, facts, mime, bodyless) : decideScrubbed(plan, facts, mime, bodyless);
}

/** Content types parsed before, by value: a site serves a handful, and each is parsed once per isolate. */
const PARSED = new Map<string, MimeType | null>();
const PARSED_MAX = 256;

/**
 * extractMimeType, remembered: on a site with a marker every response's type is parsed (it decides how
 * the body is scrubbed), ~2.5% of a marked 2 KiB page's samples. MimeType is read-only, so a shared one
 * is safe; past PARSED_MAX values (an origin echoing something per request) the memory starts over.
 */
function mimeTypeOf(value: string | null): MimeType | null {
  if (value === null) return null;
  const known = PARSED.get(value);
  if (known !== undefined || PARSED.has(value)) return known ?? null;
  if (PARSED.size >= PARSED_MAX) PARSED.clear();
  const parsed = extractMimeType(value);
  PARSED.set(value, parsed);
  return parsed;
}

/**
 * A path with no marked nonce on a site that has a marker: blanket mode's decision, and every body scrubbed
 * of the markers as well (filler, never the nonce), a 206 slice included. Bodies without a marker leave
 * byte for byte as they came; a body in a coding the Worker cannot decode is refused, as it cannot be read.
 */
function decideScrubbed(plan: HeaderPlan, facts: ResponseFacts, mime: MimeType | null, bodyless: boolean): NonceDecision {
  const decided = decideBlanket(plan, facts, mime, bodyless);
  if (bodyless || facts.status === 304) return decided;
  // A slice is scrubbed of whole markers only: its edges can cut one, and slices of the origin's layout
  // (where a marker lives) would spell the secret out piece by piece, whatever type the origin labels
  // them with (a template served raw as octet-stream, a multipart/byteranges answer). Only media and
  // fonts keep their ranges (seeking), scrubbed; any other slice is refused (docs/csp.md, "Range requests").
  if (facts.status === 206 && !isSeekableMedia(mime)) {
    const type = mime === null ? "no type" : mime.essence;
    return {
      ...decided,
      body: {
        kind: "refuse",
        why: `a 206 slice of a body that is not media (${type}) on a site with a marker, which could carry part of one`,
      },
    };
  }
  const coding = parseContentCoding(facts.contentEncoding ?? null);
  if (coding.kind === "refuse") {
    const why = `Content-Encoding ${coding.coding}, which the Worker cannot decode to scrub the marker`;
    return { ...decided, body: { kind: "refuse", why } };
  }
  const body: BodyPlan =
    decided.body.kind === "rewrite"
      ? { ...decided.body, scrub: true }
      : { kind: "rewrite", scrub: true, tags: null, coding, sameLength: coding.kind === "identity" };
  return { ...decided, body };
}

function decideMarked(plan: HeaderPlan, facts: ResponseFacts, mime: MimeType | null, bodyless: boolean): NonceDecision {
  const nonce = plan.nonce;
  // The Worker never forwards Range on these paths: a 206 is the origin's own slice, whose edges may cut a
  // marker in two. Refused rather than sent.
  if (facts.status === 206)
    return {
      stamp: false,
      ops: plan.ops,
      why: "206",
      body: { kind: "refuse", why: "the origin answered 206 to a request sent without Range" },
    };
  if (facts.status === 304)
    return { stamp: false, ops: nonce?.notModifiedOps ?? plan.ops, why: "304: the cached page keeps its own policy", body: UNTOUCHED };
  if (bodyless) return { stamp: false, ops: plan.ops, why: "no body", body: UNTOUCHED };
  const coding = parseContentCoding(facts.contentEncoding ?? null);
  if (coding.kind === "refuse") {
    return {
      stamp: false,
      ops: plan.ops,
      why: "refused",
      body: { kind: "refuse", why: `Content-Encoding ${coding.coding}, which the Worker cannot decode to scrub the marker` },
    };
  }
  const ours = isHtmlish(mime) && nonce !== null && nonceGoesOut(nonce, facts.originHeaders);
  const tags = ours && nonce.mode === "blanket" && isParsedAsHtml(mime) && isAsciiCompatible(mime) ? nonce : null;
  const body: BodyPlan = { kind: "rewrite", scrub: true, tags, coding, sameLength: !ours && coding.kind === "identity" };
  if (ours) return { stamp: true, ops: nonce.ops, body };
  const why = !isHtmlish(mime)
    ? "not HTML"
    : nonce === null
      ? "no nonce on this path"
      : "the origin's own CSP stays (the policy's only defaults)";
  return { stamp: false, ops: plan.ops, why, body };
}

function decideBlanket(plan: HeaderPlan, facts: ResponseFacts, mime: MimeType | null, bodyless: boolean): NonceDecision {
  const nonce = plan.nonce;
  if (nonce === null) return { stamp: false, ops: plan.ops, why: "no nonce in this policy", body: UNTOUCHED };
  if (facts.status === 304)
    return { stamp: false, ops: nonce.notModifiedOps, why: "304: the cached page keeps its own policy", body: UNTOUCHED };
  if (bodyless || facts.status === 206) return { stamp: false, ops: plan.ops, why: "no full body to stamp", body: UNTOUCHED };
  // A marked nonce outside the marker's scope cannot happen (the scope covers every path that can yield
  // one); should it, nothing is stamped rather than something guessed.
  if (nonce.mode !== "blanket") return { stamp: false, ops: plan.ops, why: "no marker scope", body: UNTOUCHED };
  if (!isDeclaredHtml(mime)) return { stamp: false, ops: plan.ops, why: "not HTML", body: UNTOUCHED };
  if (!isParsedAsHtml(mime)) return { stamp: false, ops: plan.ops, why: XHTML, body: UNTOUCHED };
  if (!isAsciiCompatible(mime)) {
    return {
      stamp: false,
      ops: plan.ops,
      why: "a charset that is not ASCII-compatible (UTF-16/32): an ASCII nonce would corrupt it",
      body: UNTOUCHED,
    };
  }
  const coding = parseContentCoding(facts.contentEncoding ?? null);
  if (coding.kind === "refuse")
    return { stamp: false, ops: plan.ops, why: `a Content-Encoding the Worker cannot decode (${coding.coding})`, body: UNTOUCHED };
  // Stamping replaces nonces the origin wrote: only worth it, and only harmless, when our nonce is in the CSP that goes out.
  if (!nonceGoesOut(nonce, facts.originHeaders))
    return { stamp: false, ops: plan.ops, why: "the origin's own CSP stays (the policy's only defaults)", body: UNTOUCHED };
  return { stamp: true, ops: nonce.ops, body: { kind: "rewrite", scrub: false, tags: nonce, coding, sameLength: false } };
}

/**
 * True when some CSP header that leaves carries our nonce: an op that sets it, or one that defaults and
 * finds no working origin value to keep. Reads the origin's headers only for `default` ops.
 */
function nonceGoesOut(nonce: NoncePlan, origin: Pick<Headers, "get">): boolean {
  for (const op of nonce.carriers) {
    if (op.kind === "set") return true;
    if (op.kind === "default") {
      const current = origin.get(op.key);
      if (current === null || !op.isValid(current)) return true;
    }
  }
  return false;
}

/** A fresh 128-bit nonce from a CSPRNG, base64-encoded. `random` is injectable for tests. */
export function createNonce(random: (bytes: Uint8Array) => Uint8Array = (bytes) => crypto.getRandomValues(bytes)): string {
  const b = random(new Uint8Array(16));
  // Standard base64 written out (no binary string, no btoa: this runs per stamped response): five groups
  // of three bytes, then the last byte as two characters and "==".
  let out = "";
  for (let i = 0; i < 15; i += 3) {
    const n = ((b[i] ?? 0) << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    out += BASE64.charAt(n >> 18) + BASE64.charAt((n >> 12) & 63) + BASE64.charAt((n >> 6) & 63) + BASE64.charAt(n & 63);
  }
  const last = b[15] ?? 0;
  return `${out}${BASE64.charAt(last >> 2)}${BASE64.charAt((last & 3) << 4)}==`;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const FILLER_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/**
 * What replaces the marker where no header carries our nonce: fresh random characters of the marker's own
 * alphabet and length, so the body keeps its length (a download keeps its Content-Length) and the
 * bytes say nothing. 256 is a multiple of 64: taking each byte modulo 64 is unbiased.
 */
export function createFiller(length: number, random: (bytes: Uint8Array) => Uint8Array = (bytes) => crypto.getRandomValues(bytes)): string {
  let out = "";
  for (const byte of random(new Uint8Array(length))) out += FILLER_ALPHABET[byte & 63] ?? "-";
  return out;
}

/**
 * Media whose slices a site with a marker still serves (seeking, resuming): images but SVG (XML text),
 * audio, video, fonts and PDF, none of which an origin's layout is written into. An allowlist: a type we
 * do not know is refused as a slice rather than guessed.
 */
function isSeekableMedia(mime: MimeType | null): boolean {
  if (mime === null) return false;
  const [type = "", subtype = ""] = mime.essence.split("/");
  if (type === "image") return !subtype.endsWith("+xml");
  return type === "audio" || type === "video" || type === "font" || mime.essence === "application/pdf";
}
