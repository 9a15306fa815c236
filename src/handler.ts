// One request: forward it, then put the policy on whatever comes back. The one place where failures
// become responses; nothing throws past handleRequest, and every response leaves with its headers.

import { forwardedHeadersToDrop, matchMarkerScope } from "./core/nonce/marker-scope.js";
import { readableAcceptEncoding } from "./core/nonce/content-coding.js";
import type { PathRoute } from "./core/policy/match-path.js";
import { planHeaders } from "./core/policy/plan-headers.js";
import type { CompiledPolicy, MarkerScope, RequestFacts } from "./core/policy/types.js";
import { answerRefusal, guardRequest } from "./core/origin/request-guard.js";
import type { Env } from "./env.js";
import { log, logFault } from "./log.js";
import { originResponse, plainResponse } from "./origin/answer.js";
import { fetchOrigin, loopToken, type OriginOutcome } from "./origin/forward.js";
import { fallbackPolicy, isolateConfigLoader, type ConfigLoader, type LoadedConfig } from "./policy/policy-store.js";
import { rewriteBody } from "./nonce/rewrite-body.js";
import { handleReportRequest } from "./reports/endpoint.js";
import { secure, type SecureDeps } from "./secure.js";

/** The parts of request handling that tests replace to inject faults. */
export interface HandlerDeps extends SecureDeps {
  readonly loadConfig: ConfigLoader;
  readonly fetchOrigin: typeof fetchOrigin;
  readonly handleReport: typeof handleReportRequest;
}

export const DEFAULT_DEPS: HandlerDeps = {
  loadConfig: isolateConfigLoader,
  fetchOrigin,
  planHeaders,
  rewriteBody,
  handleReport: handleReportRequest,
};

type Ctx = Pick<ExecutionContext, "waitUntil">;

/** Build the Worker's fetch handler around a set of dependencies. */
export function createHandler(deps: HandlerDeps = DEFAULT_DEPS) {
  return {
    fetch: (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> => handleRequest(request, env, ctx, deps),
  } satisfies ExportedHandler<Env>;
}

/** Proxy one request and return the origin's response (or a gateway error) with the policy applied. */
export async function handleRequest(request: Request, env: Env, ctx: Ctx, deps: HandlerDeps = DEFAULT_DEPS): Promise<Response> {
  const url = new URL(request.url);
  const loaded = configFor(request, env, ctx, deps);
  // Cached (every request but an isolate's first): no await, no extra turn of the event loop.
  const config = loaded instanceof Promise ? await loaded : loaded;
  const fallback = fallbackPolicy(env, config);
  const policy = config?.policy ?? fallback;
  const answer = (response: Response, route?: PathRoute, scope: MarkerScope | null = null): Response | Promise<Response> => {
    const facts: RequestFacts = {
      https: url.protocol === "https:",
      path: url.pathname,
      route,
      contentType: response.headers.get("content-type"),
    };
    return secure(response, { request, facts, policy, fallback, scope, deps, ctx });
  };
  if (config !== undefined) {
    // The Worker's own answer: nothing from the origin, so no marker to scrub.
    const refused = refusalFor(request, url, config);
    if (refused !== undefined) return answer(refused);
    const reports = config.env.reports;
    if (reports.enabled && (url.pathname === reports.path || url.pathname === `${reports.path}/summary`)) {
      // The collector is the Worker's own: never forwarded, and it sets its own fixed headers.
      return deps.handleReport(request, env, ctx, reports);
    }
  }
  // Rules match the canonical path; a path with no safe canonical form, or whose rules depend on how an
  // origin reads it, is answered here and never forwarded (docs/policy-format.md, "How a request path is matched").
  const route = config?.policy.paths.route(url.pathname);
  if (route?.ok === false) {
    log({ level: "warn", event: "path.refused", method: request.method, path: url.pathname, reason: route.reason });
    return answer(plainResponse(400, "Bad Request", request), route);
  }
  // Decided from the (canonical) path alone, before forwarding: on a path with a marked nonce, Range is not forwarded.
  const scope = markerScopeOf(policy, url.pathname, route, request);
  return answer(await forward(request, url, config, scope, deps), route, scope);
}

/** The configuration, or undefined (logged) when it cannot be loaded: the built-in defaults then serve. */
function configFor(request: Request, env: Env, ctx: Ctx, deps: HandlerDeps): LoadedConfig | undefined | Promise<LoadedConfig | undefined> {
  const failed = (error: unknown): undefined => {
    logFault("config", request, error);
    return undefined;
  };
  try {
    const loaded = deps.loadConfig(env, ctx);
    return loaded instanceof Promise ? loaded.catch(failed) : loaded;
  } catch (error) {
    failed(error);
    return undefined;
  }
}

/**
 * Check the request before anything is fetched for it: the host, the origin setting, the loop guard. A
 * refusal is answered here (with one log line saying what to set); a fault in the check refuses too.
 */
function refusalFor(request: Request, url: URL, config: LoadedConfig): Response | undefined {
  try {
    const refusal = guardRequest(url, request.headers.get("CDN-Loop"), config.env, loopToken());
    if (refusal === undefined) return undefined;
    const answer = answerRefusal(refusal, config.env.origin);
    log({ level: "error", ...answer.log, method: request.method, path: url.pathname });
    return plainResponse(answer.status, answer.text, request);
  } catch (error) {
    logFault("guard", request, error);
    return plainResponse(500, "Internal Error", request);
  }
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

/** The origin's answer, or the Worker's own when there is none to be had (502, 504, or 500 on a fault). */
async function forward(
  request: Request,
  url: URL,
  config: LoadedConfig | undefined,
  scope: MarkerScope | null,
  deps: HandlerDeps,
): Promise<Response> {
  try {
    const outcome: OriginOutcome =
      config === undefined
        ? { kind: "misconfigured" }
        : await deps.fetchOrigin(
            request,
            url,
            config.env,
            scope === null ? [] : forwardedHeadersToDrop(scope, request.headers.get("Range")),
            scope === null ? null : readableAcceptEncoding(request.headers.get("Accept-Encoding")),
          );
    return originResponse(outcome, request, url, config !== undefined);
  } catch (error) {
    logFault("proxy", request, error);
    return plainResponse(500, "Internal Error", request);
  }
}
