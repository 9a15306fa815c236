// What the origin itself answers to each distinct request of the mix: fetched once, directly, before the load.

import type { Agent } from "node:http";
import { exchange } from "./client.js";
import { distinctRequests, requestKey, type LoadRequest } from "./mix.js";

/** The origin's own answer to one request: the reference a response through the Worker is compared with. */
export interface Reference {
  readonly status: number;
  readonly rawHeaders: readonly string[];
  readonly length: number;
  readonly sha256: string;
  /** The body, kept for the small text bodies whose content is checked beyond the hash. */
  readonly body: Buffer | undefined;
}

/** Fetch each distinct request of `schedule` from the origin directly; keyed by requestKey. */
export async function fetchReferences(
  originUrl: string,
  schedule: readonly LoadRequest[],
  agent: Agent | false,
  idleTimeoutMs: number,
): Promise<Map<string, Reference>> {
  const references = new Map<string, Reference>();
  for (const request of distinctRequests(schedule)) {
    const observed = await exchange(new URL(request.path, originUrl), {
      headers: request.headers,
      agent,
      keepBody: request.route === "nonce-page",
      idleTimeoutMs,
    });
    references.set(requestKey(request), {
      status: observed.status,
      rawHeaders: observed.rawHeaders,
      length: observed.length,
      sha256: observed.sha256,
      body: observed.body,
    });
  }
  return references;
}
