// One request over a keep-alive node:http agent: the raw header lines as received, the body hashed as it streams.

import { createHash } from "node:crypto";
import { request, type Agent } from "node:http";

/** What came back, with header lines exactly as sent on the wire (duplicates kept) and the body's sha256. */
export interface Observed {
  readonly status: number;
  /** Name, value, name, value… as received: a duplicated header line shows up twice here. */
  readonly rawHeaders: readonly string[];
  readonly length: number;
  readonly sha256: string;
  /** The body itself, only when asked for (small bodies whose content is checked beyond the hash). */
  readonly body: Buffer | undefined;
  /** True when the request went out on a connection an earlier request had used. */
  readonly reusedSocket: boolean;
  readonly ms: number;
}

export interface ExchangeOptions {
  readonly headers: Readonly<Record<string, string>>;
  /** An agent (keep-alive) or false for a connection of its own. */
  readonly agent: Agent | false;
  readonly keepBody: boolean;
  /** The request fails if its socket sits this long with no bytes moving. */
  readonly idleTimeoutMs: number;
  /** Aborts the request (the run's deadline). */
  readonly signal?: AbortSignal;
}

/**
 * GET `url` and read the whole response. No Accept-Encoding is sent (node adds none), so Miniflare does
 * not compress and the bytes are the Worker's own. Rejects on any transport failure or a truncated body.
 */
export function exchange(url: URL, options: ExchangeOptions): Promise<Observed> {
  const started = performance.now();
  return new Promise<Observed>((resolve, reject) => {
    const req = request(url, {
      method: "GET",
      headers: options.headers,
      agent: options.agent,
      timeout: options.idleTimeoutMs,
      signal: options.signal,
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url.pathname}${url.search}: socket idle for ${options.idleTimeoutMs} ms`)));
    req.on("error", reject);
    req.on("response", (res) => {
      const hash = createHash("sha256");
      const chunks: Buffer[] = [];
      let length = 0;
      res.on("data", (chunk: Buffer) => {
        hash.update(chunk);
        length += chunk.length;
        if (options.keepBody) chunks.push(chunk);
      });
      res.on("error", reject);
      res.on("close", () => {
        // A promise settles once, so this is a no-op after "end" resolved it.
        if (!res.complete) reject(new Error(`GET ${url.pathname}${url.search}: body ended early after ${length} bytes`));
      });
      res.on("end", () => {
        resolve({
          status: res.statusCode ?? 0,
          rawHeaders: res.rawHeaders,
          length,
          sha256: hash.digest("hex"),
          body: options.keepBody ? Buffer.concat(chunks) : undefined,
          reusedSocket: req.reusedSocket,
          ms: performance.now() - started,
        });
      });
    });
    req.end();
  });
}
