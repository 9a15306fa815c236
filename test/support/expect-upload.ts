// An upload the way curl sends one over 1 MiB: the head with `Expect: 100-continue`, a bounded wait for the
// server's 100 Continue, then the body. A final answer that comes first ends the upload unsent if it is an
// error (300 or more); after a 2xx, curl sends the body anyway, and so does this.

import { createHash } from "node:crypto";
import { request, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

/** curl's wait for a 100 Continue before it sends the body anyway (its --expect100-timeout default). */
export const CURL_CONTINUE_WAIT_MS = 1000;

/** Why the body went out, or did not. */
export type BodySent = "after-100" | "after-wait" | "after-early-answer" | "not-sent";

export interface ExpectUpload {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The interim (1xx) statuses the client received, in order. */
  readonly interim: readonly number[];
  readonly bodySent: BodySent;
}

export interface ExpectUploadOptions {
  readonly method?: string;
  /** Extra request headers (a Host, say). */
  readonly headers?: Record<string, string>;
  /** How long to wait for 100 Continue before sending the body anyway. */
  readonly continueWaitMs?: number;
  /** Fail if the socket is idle this long. */
  readonly idleTimeoutMs?: number;
}

/** The sha256 of chunks, as hex: what the origin must report for the body it received. */
export function sha256Of(chunks: readonly Buffer[]): string {
  const hash = createHash("sha256");
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * Upload `chunks` with `Expect: 100-continue`. With `chunked` the body goes as Transfer-Encoding: chunked
 * (curl's `-T -`), otherwise with a Content-Length. Resolves with the final response, read whole.
 */
export async function uploadExpectingContinue(
  url: URL,
  chunks: readonly Buffer[],
  chunked: boolean,
  options: ExpectUploadOptions = {},
): Promise<ExpectUpload> {
  const waitMs = options.continueWaitMs ?? CURL_CONTINUE_WAIT_MS;
  const idle = options.idleTimeoutMs ?? 20_000;
  const length = chunks.reduce((n, c) => n + c.length, 0);
  const framing: Record<string, string> = chunked ? { "Transfer-Encoding": "chunked" } : { "Content-Length": String(length) };
  const https = url.protocol === "https:";
  const req = (https ? httpsRequest : request)(url, {
    method: options.method ?? "POST",
    headers: { ...options.headers, ...framing, Expect: "100-continue", "Content-Type": "application/octet-stream" },
    agent: false,
    timeout: idle,
    // Only local servers are tested, and a local https one (npm start) has a self-signed certificate.
    ...(https ? { rejectUnauthorized: false } : {}),
  });
  const interim: number[] = [];
  let bodySent: BodySent = "not-sent";
  let finalArrived = false;
  const sendBody = (why: BodySent): void => {
    if (bodySent !== "not-sent" || finalArrived) return;
    bodySent = why;
    clearTimeout(timer);
    // Backpressure is node's to handle here: the bodies are at most a few MiB, held by the test anyway.
    for (const chunk of chunks) req.write(chunk);
    req.end();
  };
  const timer = setTimeout(() => sendBody("after-wait"), waitMs);
  req.on("information", (info) => interim.push(info.statusCode));
  req.on("continue", () => sendBody("after-100"));
  req.on("timeout", () => req.destroy(new Error(`${url.href}: socket idle for ${idle} ms`)));
  req.flushHeaders();
  try {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      req.once("error", reject);
      req.once("response", resolve);
    });
    if ((res.statusCode ?? 0) < 300) sendBody("after-early-answer");
    finalArrived = true;
    const parts: Buffer[] = [];
    for await (const chunk of res) parts.push(chunk as Buffer);
    return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), interim, bodySent };
  } finally {
    clearTimeout(timer);
    req.destroy();
  }
}
