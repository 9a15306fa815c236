// Put the policy on one response: plan its headers, decide what happens to its body (core/nonce/
// decide-nonce.ts), rewrite the body as decided, then write the headers. Each step that can fail is run
// by `attempt`, and every failure ends in `failSafe`: no response leaves bare, and on a path with a marked
// nonce no body or header leaves with the marker in it.

import { applyHeaders } from "./core/headers/apply-headers.js";
import { bodyTransformer, type Scrub } from "./core/nonce/body-transformer.js";
import { createNonce, type NonceDecision } from "./core/nonce/decide-nonce.js";
import { decideResponse, scrubsFor } from "./core/nonce/decide-response.js";
import { adjustForStampedBody } from "./core/nonce/stamped-response.js";
import { planHeaders } from "./core/policy/plan-headers.js";
import type { CompiledPolicy, HeaderOp, HeaderPlan, MarkerScope, RequestFacts } from "./core/policy/types.js";
import { log, logFault } from "./log.js";
import { warnCookieOnce } from "./cookie-log.js";
import { rewriteBody, withoutMarker } from "./nonce/rewrite-body.js";
import { plainResponse } from "./origin/answer.js";

/** The steps tests replace to inject faults. */
export interface SecureDeps {
  readonly planHeaders: typeof planHeaders;
  readonly rewriteBody: typeof rewriteBody;
}

/** One response to secure, and what it is secured with. */
export interface Target {
  readonly request: Request;
  readonly facts: RequestFacts;
  readonly policy: CompiledPolicy;
  /** The built-in defaults (Report-Only under CSP_REPORT_ONLY): what goes on when the policy cannot. */
  readonly fallback: CompiledPolicy;
  /** The path's marker scope: non-null when the marker must be scrubbed from whatever the origin sent. */
  readonly scope: MarkerScope | null;
  readonly deps: SecureDeps;
  readonly ctx: Pick<ExecutionContext, "waitUntil">;
}

/** What one response gets, decided before its body is touched. */
interface Treatment {
  readonly plan: HeaderPlan;
  readonly decision: NonceDecision;
  /** Why the response is refused instead (a marked body that cannot be scrubbed); undefined when it is not. */
  readonly refusal: string | undefined;
  /** This response's nonce, when its CSP and body carry one. */
  readonly nonce: string | undefined;
  /** On a site with a marker: each marker, and what takes its place in body and headers. */
  readonly scrub: readonly Scrub[] | null;
}

/** Apply the policy to the response and rewrite its body as decided; see the file's first lines. */
export function secure(response: Response, t: Target): Response | Promise<Response> {
  const treated = attempt(t, "headers", () => treat(response, t));
  if (!treated.ok) return failSafe(response, () => defaultOps(t), "the policy could not be applied", t);
  const treatment = treated.value;
  if (treatment.refusal !== undefined) return refuse(response, () => treatment.plan.ops, treatment.refusal, t);
  const rewritten = attempt(t, "nonce", () => rewrite(response, treatment, t));
  // The body goes out untouched, under a CSP that does not depend on a nonce (on a marked path, not at all).
  if (!rewritten.ok) return failSafe(response, () => treatment.plan.ops, "the body could not be scrubbed", t);
  const finish = (res: Response): Response => writeHeaders(res, treatment, t);
  if (!(rewritten.value instanceof Promise)) return finish(rewritten.value);
  // rewriteBody does not reject (a body that fails midway ends in an error, as the origin's would); were it
  // to, the body is gone, so the Worker's own 502 goes instead.
  return rewritten.value.then(finish, (error: unknown) => {
    logFault("nonce", t.request, error);
    return failSafe(plainResponse(502, "Bad Gateway", t.request), () => treatment.plan.ops, "the body could not be rewritten", t);
  });
}

/** Plan, decide (core/nonce/decide-response.ts, which explain shares), and draw the nonce and the markers' replacements. */
function treat(response: Response, t: Target): Treatment {
  const plan = t.deps.planHeaders(t.policy, t.facts);
  const facts = {
    method: t.request.method,
    status: response.status,
    // Read once, in handleRequest; the coding only matters when the body may be rewritten.
    contentType: t.facts.contentType,
    contentEncoding: t.scope === null && plan.nonce === null ? null : response.headers.get("content-encoding"),
    hasBody: response.body !== null,
    originHeaders: response.headers,
    // Only a site with a marker checks header names; workerd's keys() copies every header to iterate them.
    headerNames: t.scope === null ? [] : response.headers.keys(),
  };
  const { decision, refusal } = decideResponse(plan, facts, t.scope);
  if (refusal !== undefined) return { plan, decision, refusal, nonce: undefined, scrub: null };
  const nonce = decision.stamp ? createNonce() : undefined;
  // On a site with a marker, what takes each marker's place in body and headers: our nonce on a marked
  // path whose CSP carries it, else filler of the marker's length that no header carries.
  const scrub = t.scope === null ? null : scrubsFor(t.scope, nonce);
  if (scrub?.length === 0) return { plan, decision, refusal: "no marker to scrub", nonce: undefined, scrub: null };
  return { plan, decision, refusal, nonce, scrub };
}

/** The response with its body rewritten as decided (scrubbed, stamped), or as it came. */
function rewrite(response: Response, treatment: Treatment, t: Target): Response | Promise<Response> {
  const body = treatment.decision.body;
  if (body.kind !== "rewrite") return response;
  const { nonce } = treatment;
  const tags = body.tags === null || nonce === undefined ? null : { plan: body.tags, nonce };
  const transformer = bodyTransformer(body.scrub ? treatment.scrub : null, tags, (reason, at) => {
    // The rest of the page passes through unstamped (its scripts are blocked); say so once.
    log({ level: "warn", event: "blanket.gave_up", method: t.request.method, path: t.facts.path, reason, at });
  });
  return t.deps.rewriteBody(response, { transformer, coding: body.coding, sameLength: body.sameLength }, t.ctx);
}

/** The decided headers (the nonce in the CSP), or the defaults if they fail; then, on a marked path, the marker scrubbed from them. */
function writeHeaders(res: Response, treatment: Treatment, t: Target): Response {
  const { decision, nonce, scrub } = treatment;
  const written = attempt(t, "headers", () => {
    applyHeaders(res.headers, decision.ops, nonce, warnCookieOnce);
    if (decision.stamp && decision.body.kind === "rewrite") adjustForStampedBody(res.headers);
  });
  if (!written.ok) applySafely(res.headers, () => defaultOps(t), t);
  if (scrub === null) return res;
  // One pass over the headers checks their names for a marker (scrub holds every marker of the scope) and scrubs their values.
  const scrubbed = attempt(t, "marker-headers", () => withoutMarker(res, scrub, t.scope?.marked === true));
  if (!scrubbed.ok) return refuse(res, () => defaultOps(t), "the headers could not be scrubbed", t);
  return scrubbed.value ?? refuse(res, () => defaultOps(t), "a header name carries the marker", t);
}

/** Run one step; a throw is logged as a `worker.fault` of that stage, and the caller chooses what serves instead. */
function attempt<T>(t: Target, stage: string, step: () => T): { ok: true; value: T } | { ok: false } {
  try {
    return { ok: true, value: step() };
  } catch (error) {
    logFault(stage, t.request, error);
    return { ok: false };
  }
}

/** The built-in defaults' ops for this response. */
function defaultOps(t: Target): readonly HeaderOp[] {
  return planHeaders(t.fallback, t.facts).ops;
}

/**
 * Where a failure ends: the response as it is with `ops` (the defaults, or the plan's nonce-free ops) on
 * it; on a marked path nothing of the body may leave unscrubbed, so a 502 carries them instead.
 */
function failSafe(response: Response, ops: () => readonly HeaderOp[], why: string, t: Target): Response {
  if (t.scope !== null) return refuse(response, ops, why, t);
  applySafely(response.headers, ops, t);
  return response;
}

/** Apply ops, logging (never throwing) if even that fails. */
function applySafely(headers: Headers, ops: () => readonly HeaderOp[], t: Target): void {
  attempt(t, "default-headers", () => applyHeaders(headers, ops(), undefined, warnCookieOnce));
}

/**
 * A marked path's body that cannot be scrubbed is not sent: a 502 with `ops` instead, and a log line that
 * says why (the coding, the 206), never the marker.
 */
function refuse(response: Response, ops: () => readonly HeaderOp[], why: string, t: Target): Response {
  if (response.body !== null) t.ctx.waitUntil(response.body.cancel().catch(() => undefined));
  log({ level: "error", event: "marker.refused", method: t.request.method, path: t.facts.path, status: response.status, why });
  const out = plainResponse(502, "Bad Gateway", t.request);
  applySafely(out.headers, ops, t);
  return out;
}
