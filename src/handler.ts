// One request: forward it, then put the policy on whatever comes back. The one place where failures
// become responses; nothing throws past handleRequest, and every response leaves with its headers.

import { applyHeaders } from "./core/headers/apply-headers.js";
import { forwardedHeadersToDrop, matchMarkerScope } from "./core/nonce/marker-scope.js";
import { createFiller, createNonce, decideNonce, type ResponseFacts } from "./core/nonce/decide-nonce.js";
import { planHeaders } from "./core/policy/plan-headers.js";
import { answerRefusal, guardRequest, type Refusal } from "./core/origin/request-guard.js";
import { adjustForStampedBody } from "./core/nonce/stamped-response.js";
import type { PathRoute } from "./core/policy/match-path.js";
import type { CompiledPolicy, HeaderOp, MarkerScope, RequestFacts } from "./core/policy/types.js";
import type { Env } from "./env.js";
import { DEFAULT_POLICIES, loadConfig, type ConfigLoader, type LoadedConfig } from "./policy/policy-store.js";
import { bodyTransformer } from "./core/nonce/body-transformer.js";
import { rewriteBody, withoutMarker } from "./nonce/rewrite-body.js";
import { fetchOrigin, loopToken, type OriginOutcome } from "./origin/forward.js";
import { handleReportRequest } from "./reports/endpoint.js";
import { log, logFault } from "./log.js";

/** The parts of request handling that tests replace to inject faults. */
export interface HandlerDeps {
  readonly loadConfig: ConfigLoader;
  readonly fetchOrigin: typeof fetchOrigin;
  readonly planHeaders: typeof planHeaders;
  readonly handleReport: typeof handleReportRequest;
}

export const DEFAULT_DEPS: HandlerDeps = { loadConfig, fetchOrigin, planHeaders, handleReport: handleReportRequest };

/** Build the Worker's fetch handler around a set of dependencies. */
export function createHandler(deps: HandlerDeps = DEFAULT_DEPS) {
  return {
    fetch: (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> => handleRequest(request, env, ctx, deps),
  } satisfies ExportedHandler<Env>;
}

/** Proxy one request and return the origin's response (or a gateway error) with the policy applied. */
export async function handleRequest(
  request: Request,
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  deps: HandlerDeps = DEFAULT_DEPS,
): Promise<Response> {
  const url = new URL(request.url);
  let config: LoadedConfig | undefined;
  try {
    const loaded = deps.loadConfig(env, ctx);
    // Cached (every request but an isolate's first): no await, no extra turn of the event loop.
    config = loaded instanceof Promise ? await loaded : loaded;
  } catch (error) {
    logFault("config", request, error);
  }
  const fallback = config?.env.reportOnly === true ? DEFAULT_POLICIES.reportOnly : DEFAULT_POLICIES.enforce;
  const refused = config === undefined ? undefined : refusalFor(request, url, config);
  if (refused !== undefined) {
    const facts: RequestFacts = { https: url.protocol === "https:", path: url.pathname, contentType: refused.headers.get("content-type") };
    // The Worker's own answer: nothing from the origin, so no marker to scrub.
    return secure(refused, config?.policy ?? fallback, fallback, facts, request, deps, ctx, null);
  }
  const reports = config?.env.reports;
  if (reports?.enabled === true && (url.pathname === reports.path || url.pathname === `${reports.path}/summary`)) {
    // The collector is the Worker's own: never forwarded, and it sets its own fixed headers.
    return deps.handleReport(request, env, ctx, reports);
  }
  // Rules match the canonical path; a path with no safe canonical form, or whose rules depend on how an
  // origin reads it, is answered here and never forwarded (docs/policy-format.md, "How a request path is matched").
  const route = config?.policy.paths.route(url.pathname);
  if (config !== undefined && route?.ok === false) {
    log({ level: "warn", event: "path.refused", method: request.method, path: url.pathname, reason: route.reason });
    const badPath = plainResponse(400, "Bad Request", request);
    const facts: RequestFacts = { https: url.protocol === "https:", path: url.pathname, route, contentType: badPath.headers.get("content-type") };
    return secure(badPath, config.policy, fallback, facts, request, deps, ctx, null);
  }
  const policy = config?.policy ?? fallback;
  // Decided from the (canonical) path alone, before forwarding: on a path with a marked nonce, Range is not forwarded.
  const scope = markerScopeOf(policy, url.pathname, route, request);
  let response: Response;
  try {
    const outcome: OriginOutcome =
      config === undefined ? { kind: "misconfigured" } : await deps.fetchOrigin(request, url, config.env, forwardedHeadersToDrop(scope));
    response = toResponse(outcome, request, url, config !== undefined);
  } catch (error) {
    logFault("proxy", request, error);
    response = plainResponse(500, "Internal Error", request);
  }
  const facts: RequestFacts = { https: url.protocol === "https:", path: url.pathname, route, contentType: response.headers.get("content-type") };
  return secure(response, policy, fallback, facts, request, deps, ctx, scope);
}

/** The path's marker scope; if finding it fails, the policy's whole scope (scrubbing more is safe, less is not). */
function markerScopeOf(policy: CompiledPolicy, path: string, route: PathRoute | undefined, request: Request): MarkerScope | null {
  try {
    return matchMarkerScope(policy, path, route);
  } catch (error) {
    logFault("marker-scope", request, error);
    return policy.marker;
  }
}

/**
 * Check the request before anything is fetched for it: the host, the origin setting, the loop guard. A
 * refusal is answered here (with one log line saying what to set); a fault in the check refuses too.
 */
function refusalFor(request: Request, url: URL, config: LoadedConfig): Response | undefined {
  let refusal: Refusal | undefined;
  try {
    refusal = guardRequest(url, request.headers.get("CDN-Loop"), config.env, loopToken());
  } catch (error) {
    logFault("guard", request, error);
    return plainResponse(500, "Internal Error", request);
  }
  if (refusal === undefined) return undefined;
  const answer = answerRefusal(refusal, config.env.origin);
  log({ level: "error", ...answer.log, method: request.method, path: url.pathname });
  return plainResponse(answer.status, answer.text, request);
}

function toResponse(outcome: OriginOutcome, request: Request, url: URL, configLoaded: boolean): Response {
  switch (outcome.kind) {
    case "response":
      // A mutable copy of status, headers and webSocket around the same body stream: nothing is read.
      return new Response(outcome.response.body, outcome.response);
    case "timeout":
      log({ level: "error", event: "origin.timeout", method: request.method, path: url.pathname, timeoutMs: outcome.timeoutMs });
      return plainResponse(504, "Gateway Timeout", request);
    case "unreachable":
      log({ level: "error", event: "origin.unreachable", method: request.method, path: url.pathname, error: outcome.error });
      return plainResponse(502, "Bad Gateway", request);
    case "misconfigured": {
      // Either ORIGIN_URL is invalid, or the configuration could not be loaded at all: name the real cause.
      const hint = configLoaded ? "see the config.invalid log line for ORIGIN_URL" : "the configuration could not be loaded: see the worker.fault log line (stage config)";
      log({ level: "error", event: "origin.misconfigured", method: request.method, path: url.pathname, hint });
      return plainResponse(502, "Bad Gateway", request);
    }
  }
}

/** A short response of the Worker's own that says nothing about the origin or the policy. */
function plainResponse(status: number, text: string, request: Request): Response {
  return new Response(request.method === "HEAD" ? null : `${text}\n`, {
    status,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
  });
}

/**
 * Apply the policy and rewrite the body as decided (core/nonce.ts): stamp the nonce, scrub a marked path's
 * marker, or refuse a marked body that cannot be scrubbed. If planning fails, the built-in defaults go on
 * instead, so no response leaves bare; on a marked path no body leaves unscrubbed, whatever fails.
 */
function secure(
  response: Response,
  policy: CompiledPolicy,
  fallback: CompiledPolicy,
  facts: RequestFacts,
  request: Request,
  deps: HandlerDeps,
  ctx: Pick<ExecutionContext, "waitUntil">,
  scope: MarkerScope | null,
): Response | Promise<Response> {
  const fallbackOps = () => planHeaders(fallback, facts).ops;
  try {
    const plan = deps.planHeaders(policy, facts);
    const decision = decideNonce(plan, responseFacts(request, response), scope);
    const marker = scope?.value ?? null;
    if (decision.body.kind === "refuse") return refuse(response, plan.ops, decision.body.why, request, ctx);
    if (scope !== null && marker === null) return refuse(response, plan.ops, "no marker to scrub", request, ctx);
    const nonce = decision.stamp ? createNonce() : undefined;
    // On a marked path, what takes the marker's place in body and headers: our nonce when a CSP carries
    // it, else filler of the marker's length that no header carries.
    const replacement = marker === null ? undefined : (nonce ?? createFiller(marker.marker.length));
    let out: Response | Promise<Response> = response;
    const body = decision.body;
    if (body.kind === "rewrite") {
      try {
        const scrub = marker !== null && replacement !== undefined && body.scrub ? { marker, replacement } : null;
        const tags = body.tags && plan.nonce !== null && nonce !== undefined ? { plan: plan.nonce, nonce } : null;
        out = rewriteBody(response, { transformer: bodyTransformer(scrub, tags, (reason, at) => {
            // The rest of the page passes through unstamped (its scripts are blocked); say so once.
            log({ level: "warn", event: "blanket.gave_up", method: request.method, path: facts.path, reason, at });
          }), coding: body.coding, sameLength: body.sameLength }, ctx);
      } catch (error) {
        logFault("nonce", request, error);
        if (scope !== null) return refuse(response, plan.ops, "the body could not be scrubbed", request, ctx);
        // The body goes out untouched, under a CSP that does not depend on a nonce.
        applyHeaders(response.headers, plan.ops);
        return response;
      }
    }
    const finish = (res: Response): Response => {
      try {
        applyHeaders(res.headers, decision.ops, nonce);
        if (decision.stamp && body.kind === "rewrite") adjustForStampedBody(res.headers);
      } catch (error) {
        logFault("headers", request, error);
        applyHeaders(res.headers, fallbackOps());
      }
      if (marker === null || replacement === undefined) return res;
      try {
        return withoutMarker(res, marker.marker, replacement);
      } catch (error) {
        logFault("marker-headers", request, error);
        return refuse(res, fallbackOps(), "the headers could not be scrubbed", request, ctx);
      }
    };
    return out instanceof Promise ? out.then(finish) : finish(out);
  } catch (error) {
    logFault("headers", request, error);
    if (scope !== null) return refuse(response, fallbackOps(), "the policy could not be applied", request, ctx);
    try {
      applyHeaders(response.headers, fallbackOps());
    } catch (fallbackError) {
      logFault("default-headers", request, fallbackError);
    }
    return response;
  }
}

function responseFacts(request: Request, response: Response): ResponseFacts {
  return {
    method: request.method,
    status: response.status,
    contentType: response.headers.get("content-type"),
    contentEncoding: response.headers.get("content-encoding"),
    hasBody: response.body !== null,
    originHeaders: response.headers,
  };
}

/**
 * A marked path's body that cannot be scrubbed is not sent: a 502 with the policy's headers instead, and a
 * log line that says why (the coding, the 206), never the marker.
 */
function refuse(response: Response, ops: readonly HeaderOp[], why: string, request: Request, ctx: Pick<ExecutionContext, "waitUntil">): Response {
  if (response.body !== null) ctx.waitUntil(response.body.cancel().catch(() => undefined));
  log({ level: "error", event: "marker.refused", method: request.method, path: new URL(request.url).pathname, status: response.status, why });
  const out = plainResponse(502, "Bad Gateway", request);
  try {
    applyHeaders(out.headers, ops);
  } catch (error) {
    logFault("default-headers", request, error);
  }
  return out;
}
