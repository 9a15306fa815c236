// Run a bundled Worker in Miniflare on loopback and talk to its own socket (not wrangler dev's proxy).

import { Miniflare, type Json } from "miniflare";
import { bundleWorker } from "./worker-bundle.js";
import { WorkerOutput } from "./worker-output.js";

export const COMPATIBILITY_DATE = "2026-04-01";

export interface RunningWorker {
  /** http://127.0.0.1:PORT/ — the Worker's own socket. */
  readonly url: URL;
  readonly mf: Miniflare;
  /** What the Worker and workerd printed, for the tests to claim; never printed. */
  readonly output: WorkerOutput;
  /** Stop the Worker; then fail if it printed a line that no test claimed. */
  dispose(): Promise<void>;
}

/**
 * Storage and other bindings a test may add (KV namespaces, D1 databases, rate limits), and https:
 * the few of Miniflare's WorkerOptions the tests use, spelled out.
 */
export interface ExtraBindings {
  readonly kvNamespaces?: string[];
  readonly d1Databases?: string[];
  readonly ratelimits?: Record<string, { readonly simple: { readonly limit: number; readonly period: number } }>;
  readonly https?: boolean;
  /** PEM key and certificate for https (Miniflare's own otherwise): a test's CA-trusted certificate. */
  readonly httpsKey?: string;
  readonly httpsCert?: string;
}

/** Start the security-headers Worker (or `script`, a bundled ES module) with these bindings. */
export async function startWorker(options: {
  bindings: Record<string, Json>;
  script?: string;
  extra?: ExtraBindings;
  port?: number;
}): Promise<RunningWorker> {
  const script = options.script ?? (await bundleWorker());
  const output = new WorkerOutput();
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: options.bindings,
    ...options.extra,
    host: "127.0.0.1",
    port: options.port ?? 0,
    handleStructuredLogs: output.record,
    handleRuntimeStdio: output.watchStdio,
  });
  const url = await mf.ready;
  const dispose = async (): Promise<void> => {
    await mf.dispose();
    await output.checkAllClaimed();
  };
  return { url, mf, output, dispose };
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
