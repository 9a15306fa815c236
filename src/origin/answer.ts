// The Worker's own short answers, and the response for each way forwarding can end: the origin's
// response (a mutable copy around the same body), or a 502/504 that says nothing about the origin.

import { log } from "../log.js";
import type { OriginOutcome } from "./forward.js";

/** A short response of the Worker's own that says nothing about the origin or the policy. */
export function plainResponse(status: number, text: string, request: Request): Response {
  return new Response(request.method === "HEAD" ? null : `${text}\n`, {
    status,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
  });
}

/** The response for a forwarding outcome; a gateway error is logged with its cause. `configLoaded` names the cause of "misconfigured". */
export function originResponse(outcome: OriginOutcome, request: Request, url: URL, configLoaded: boolean): Response {
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
      const hint = configLoaded
        ? "see the config.invalid log line for ORIGIN_URL"
        : "the configuration could not be loaded: see the worker.fault log line (stage config)";
      log({ level: "error", event: "origin.misconfigured", method: request.method, path: url.pathname, hint });
      return plainResponse(502, "Bad Gateway", request);
    }
  }
}
