// A raw GET with node:http/https: the response's header lines exactly as sent (res.rawHeaders keeps
// duplicates and order, which fetch() would merge), without following redirects or reading more than the
// start of the body.

import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

/** Read at most this much body: enough for servers that dislike an instant hang-up, and for a page's head (meta tags, scripts). */
const BODY_LIMIT = 16 * 1024;
/** After the headers, how long the body may take before the connection is dropped anyway. */
const BODY_GRACE_MS = 1000;

export interface RawResponse {
  readonly status: number;
  /** [name, value, name, value, …] as received. */
  readonly rawHeaders: readonly string[];
  /** The same headers as Node merges them (what HTTP clients such as the Observatory's see). */
  readonly headers: IncomingHttpHeaders;
  /** The start of the body (at most BODY_LIMIT bytes, decoded as UTF-8). */
  readonly body: string;
  /** Milliseconds until the response headers arrived. */
  readonly ms: number;
}

/** GET `url` once; rejects with a readable message when there is no response within `timeoutMs`. */
export function getRaw(url: URL, timeoutMs: number, userAgent: string): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve, reject) => {
    const started = performance.now();
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    let settled = false;
    const req = request(url, {
      method: "GET",
      // A fresh connection each time, closed when done: nothing keeps the process alive afterwards.
      agent: false,
      headers: { "user-agent": userAgent, accept: "text/html,application/xhtml+xml,*/*;q=0.8", "accept-encoding": "identity" },
    });
    const deadline = setTimeout(() => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(new Error(`no response within ${timeoutMs} ms`));
    }, timeoutMs);
    req.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(deadline);
      if (settled) return;
      settled = true;
      reject(new Error(error.code === undefined ? error.message : `${error.code}: ${error.message}`));
    });
    req.once("response", (res: IncomingMessage) => {
      clearTimeout(deadline);
      const ms = Math.round(performance.now() - started);
      const chunks: Buffer[] = [];
      let read = 0;
      const done = (): void => {
        clearTimeout(grace);
        res.destroy();
        if (settled) return;
        settled = true;
        const body = Buffer.concat(chunks).subarray(0, BODY_LIMIT).toString("utf8");
        resolve({ status: res.statusCode ?? 0, rawHeaders: [...res.rawHeaders], headers: res.headers, body, ms });
      };
      const grace = setTimeout(done, BODY_GRACE_MS);
      res.on("data", (chunk: Buffer) => {
        if (read < BODY_LIMIT) chunks.push(chunk);
        read += chunk.length;
        if (read >= BODY_LIMIT) done();
      });
      res.once("end", done);
      res.once("error", done);
      res.once("close", done);
    });
    req.end();
  });
}
