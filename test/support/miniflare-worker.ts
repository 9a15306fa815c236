// Run a bundled Worker in Miniflare on loopback and talk to its own socket (not wrangler dev's proxy).

import { Miniflare } from "miniflare";
import type { Readable } from "node:stream";
import { bundleWorker } from "./worker-bundle.js";

export const COMPATIBILITY_DATE = "2026-04-01";

export interface RunningWorker {
  /** http://127.0.0.1:PORT/ — the Worker's own socket. */
  readonly url: URL;
  readonly mf: Miniflare;
  dispose(): Promise<void>;
}

/**
 * Storage and other bindings a test may add (KV namespaces, D1 databases, rate limits), and https.
 * Spelled out rather than picked from Miniflare's WorkerOptions, whose types resolve to any in this
 * install (its .d.ts expects zod 3).
 */
export interface ExtraBindings {
  readonly kvNamespaces?: string[];
  readonly d1Databases?: string[];
  readonly ratelimits?: Record<string, { readonly simple: { readonly limit: number; readonly period: number } }>;
  readonly https?: boolean;
  /** Take workerd's output instead of printing it (see worker-logs.ts). */
  readonly handleRuntimeStdio?: (stdout: Readable, stderr: Readable) => void;
}

/** Start the security-headers Worker (or `script`, a bundled ES module) with these bindings. */
export async function startWorker(options: { bindings: Record<string, unknown>; script?: string; extra?: ExtraBindings; port?: number }): Promise<RunningWorker> {
  const script = options.script ?? (await bundleWorker());
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: options.bindings,
    ...options.extra,
    host: "127.0.0.1",
    port: options.port ?? 0,
  });
  const url = await mf.ready;
  return { url, mf, dispose: () => mf.dispose() };
}

/** A bare pass-through Worker: the baseline every overhead is measured against. */
export const BARE_WORKER = `export default {
  async fetch(request, env) {
    const target = new URL(request.url);
    const origin = new URL(env.ORIGIN_URL);
    target.protocol = origin.protocol; target.hostname = origin.hostname; target.port = origin.port;
    return fetch(new Request(target, request), { redirect: "manual" });
  },
};`;

/**
 * A bare Worker in route mode: it fetches the request as it came, so the request's own host is the
 * destination. What workerd does with that (a loop when the host is the Worker's own) is workerd's.
 */
export const BARE_ROUTE_WORKER = `export default {
  fetch(request) {
    return fetch(request);
  },
};`;
