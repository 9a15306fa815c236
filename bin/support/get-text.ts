// A bounded GET of a small text answer (the report summary) with node:http/https. On a loopback host a
// self-signed certificate is accepted: a local https dev server (`npm start`, wrangler dev's
// --local-protocol https) has one, and only processes on this machine can answer there.

import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

export interface TextAnswer {
  readonly status: number;
  /** The body as UTF-8, or undefined when it was longer than the cap (reading stopped there). */
  readonly text: string | undefined;
}

/** Whether a URL's host is this machine. */
export function isLoopback(url: URL): boolean {
  return url.hostname === "localhost" || url.hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(url.hostname);
}

/** GET `url`; rejects with a readable reason when there is no answer within `timeoutMs`. */
export function getText(
  url: URL,
  options: { readonly headers: Record<string, string>; readonly timeoutMs: number; readonly maxBytes: number },
): Promise<TextAnswer> {
  return new Promise<TextAnswer>((resolve, reject) => {
    const https = url.protocol === "https:";
    const req = (https ? httpsRequest : httpRequest)(url, {
      method: "GET",
      agent: false,
      headers: options.headers,
      ...(https && isLoopback(url) ? { rejectUnauthorized: false } : {}),
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${options.timeoutMs / 1000} s`)), options.timeoutMs);
    req.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(error.code === undefined ? error.message : `${error.code}: ${error.message}`));
    });
    req.once("response", (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          clearTimeout(timer);
          res.destroy();
          resolve({ status: res.statusCode ?? 0, text: undefined });
          return;
        }
        chunks.push(chunk);
      });
      res.once("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") });
      });
      res.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    req.end();
  });
}
