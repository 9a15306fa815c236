// Forward one request to the origin and classify what came back: a response, a timeout, or a failure.

import { appendLoopEntry, createLoopToken } from "../core/origin/loop-guard.js";
import { resolveOriginUrl } from "../core/origin/origin-url.js";
import type { EnvConfig } from "../core/policy/parse-env.js";
import { errorMessage } from "../core/shared/text.js";

export type OriginOutcome =
  | { readonly kind: "response"; readonly response: Response }
  | { readonly kind: "timeout"; readonly timeoutMs: number }
  | { readonly kind: "unreachable"; readonly error: string }
  | { readonly kind: "misconfigured" };

let token: string | undefined;

/**
 * This isolate's loop token, made on first use (random values are for request time, not global scope).
 * Every request forwarded from here carries it in CDN-Loop; a request that arrives with it came back.
 */
export function loopToken(): string {
  token ??= createLoopToken(crypto.getRandomValues(new Uint8Array(16)));
  return token;
}

/**
 * Fetch the request from the origin. The timeout bounds the wait for the response headers only: once
 * they arrive the body streams for as long as it takes. Redirects are returned, never followed.
 */
export async function fetchOrigin(request: Request, url: URL, config: EnvConfig, drop: readonly string[] = []): Promise<OriginOutcome> {
  const target = resolveOriginUrl(url, config.origin);
  if (target === null) return { kind: "misconfigured" };
  const forwarded = new Request(target, request);
  forwarded.headers.set("X-Forwarded-Host", url.host);
  forwarded.headers.set("CDN-Loop", appendLoopEntry(request.headers.get("CDN-Loop"), loopToken()));
  // The client's `Expect: 100-continue` was a handshake with the runtime, which already has the body (it
  // streams it on as fetch() reads it). Forwarded, the origin's 100 Continue would come back from fetch()
  // as if it were the final answer, and the upload would fail.
  forwarded.headers.delete("Expect");
  // Headers the caller keeps from the origin (Range on a path with a marked nonce: core/nonce/marker-scope.ts).
  for (const name of drop) forwarded.headers.delete(name);
  // Aborted only by the timer: an aborted signal means the wait timed out.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), config.originTimeoutMs);
  try {
    const response = await fetch(forwarded, { redirect: "manual", signal: controller.signal });
    // workerd hands back an interim 1xx (100 Continue, 103 Early Hints) as if it were final; its real
    // final response is lost, and a 1xx cannot be re-sent. Only a 101 with a WebSocket is a final answer.
    if (response.status < 200 && response.webSocket === null) {
      await response.body?.cancel();
      return { kind: "unreachable", error: `origin sent an interim ${response.status} response` };
    }
    return { kind: "response", response };
  } catch (error) {
    if (controller.signal.aborted) return { kind: "timeout", timeoutMs: config.originTimeoutMs };
    return { kind: "unreachable", error: errorMessage(error) };
  } finally {
    clearTimeout(timer);
  }
}
