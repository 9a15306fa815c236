// What the Worker checks before a request may reach a fetch: that it serves this host, that it knows where
// the origin is, and that the request is not one it sent itself. Each refusal says what to set.

import { isAllowedHost } from "./allowed-hosts.js";
import { inspectCdnLoop, isLoop, MAX_CHAIN } from "./loop-guard.js";
import type { EnvConfig } from "../policy/parse-env.js";

/** Why a request is answered by the Worker itself, with no fetch. */
export type Refusal =
  | { readonly kind: "host-not-allowed"; readonly host: string; readonly allowed: readonly string[] }
  | { readonly kind: "origin-unset" }
  | { readonly kind: "loop"; readonly own: boolean; readonly hops: number };

/** The Worker's answer to a refusal, and the log line that explains it. */
export interface RefusalAnswer {
  readonly status: number;
  /** A short body that names nothing about the origin or the policy. */
  readonly text: string;
  readonly log: { readonly event: string; readonly [field: string]: unknown };
}

/** Longest host echoed into a log line: a client chooses it. */
const LOGGED_HOST_MAX = 100;

/**
 * Check a request before anything is fetched for it; undefined means it may go on. `cdnLoop` is its
 * CDN-Loop header (null when absent) and `token` this isolate's loop token. Work per request: one set
 * lookup, and a scan of the CDN-Loop header when there is one.
 */
export function guardRequest(
  url: URL,
  cdnLoop: string | null,
  config: Pick<EnvConfig, "origin" | "allowedHosts">,
  token: string,
): Refusal | undefined {
  const hosts = config.allowedHosts;
  if (hosts !== undefined && !isAllowedHost(hosts, url)) return { kind: "host-not-allowed", host: url.host, allowed: hosts.listed };
  // In route mode the request's own host is the destination: without a list, a client would choose it.
  if (config.origin.kind === "route" && hosts === undefined) return { kind: "origin-unset" };
  const check = inspectCdnLoop(cdnLoop, token);
  if (isLoop(check)) return { kind: "loop", ...check };
  return undefined;
}

/** The status, body and log fields for a refusal; `origin` decides which binding the loop hint names. */
export function answerRefusal(refusal: Refusal, origin: EnvConfig["origin"]): RefusalAnswer {
  switch (refusal.kind) {
    case "host-not-allowed":
      return {
        status: 421,
        text: "Misdirected Request",
        log: {
          event: "host.refused",
          host: refusal.host.slice(0, LOGGED_HOST_MAX),
          allowed: refusal.allowed.join(", "),
          hint: "this host is not in ALLOWED_HOSTS; add it there if the Worker should serve it",
        },
      };
    case "origin-unset":
      return {
        status: 502,
        text: "Bad Gateway",
        log: {
          event: "origin.unset",
          hint:
            "ORIGIN_URL is not set, so a request would go to its own host, which only reaches the origin on a Cloudflare route. " +
            "Set ORIGIN_URL to the origin (required with wrangler dev and on workers.dev), or list the route's hosts in ALLOWED_HOSTS",
        },
      };
    case "loop":
      return {
        status: 508,
        text: "Loop Detected",
        log: { event: "origin.loop", hops: refusal.hops, own: refusal.own, hint: loopHint(refusal, origin) },
      };
  }
}

function loopHint(refusal: { readonly own: boolean }, origin: EnvConfig["origin"]): string {
  if (!refusal.own) {
    return `the request has passed through ${MAX_CHAIN} or more instances of this Worker: a loop between deployments; check where each one's ORIGIN_URL leads`;
  }
  return origin.kind === "url"
    ? "this Worker sent this request itself: ORIGIN_URL leads back to the Worker; set it to the origin server"
    : "this Worker sent this request itself: the route's host leads back to the Worker (wrangler dev, workers.dev, a Custom Domain); set ORIGIN_URL to the origin server";
}

/** The Worker's answer to every request under some bindings: its status, log event and hint. */
export interface EveryRequestRefusal {
  readonly status: number;
  readonly event: string;
  readonly hint: string;
}

/**
 * The answer these bindings give every request, whatever its host or path, when there is one: route mode
 * with no ALLOWED_HOSTS refuses everything (502, origin.unset). The CLI's validate and explain say so.
 */
export function refusalForEveryRequest(config: Pick<EnvConfig, "origin" | "allowedHosts">): EveryRequestRefusal | undefined {
  if (config.origin.kind !== "route" || config.allowedHosts !== undefined) return undefined;
  const answer = answerRefusal({ kind: "origin-unset" }, config.origin);
  const hint = answer.log.hint;
  return { status: answer.status, event: answer.log.event, hint: typeof hint === "string" ? hint : "" };
}
