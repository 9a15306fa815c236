// fetch() for a local server whose https certificate is self-signed (npm start, Miniflare's https): the same
// Response, from node:http/https with the certificate check off. For 127.0.0.1 and localhost only.

import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

/** GET (or another body-less method) a URL on this machine; redirects are never followed. */
export async function fetchLocal(url: string | URL, init: { method?: string; timeoutMs?: number } = {}): Promise<Response> {
  const target = new URL(url);
  if (target.hostname !== "127.0.0.1" && target.hostname !== "localhost")
    throw new Error(`fetchLocal is for this machine only, not ${target.host}`);
  const https = target.protocol === "https:";
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(target, {
      method: init.method ?? "GET",
      agent: false,
      ...(https ? { rejectUnauthorized: false } : {}),
    });
    req.setTimeout(init.timeoutMs ?? 20_000, () =>
      req.destroy(new Error(`${target.href}: no answer within ${init.timeoutMs ?? 20_000} ms`)),
    );
    req.once("error", reject);
    req.once("response", resolve);
    req.end();
  });
  const parts: Buffer[] = [];
  for await (const chunk of res) parts.push(chunk as Buffer);
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i] ?? "", res.rawHeaders[i + 1] ?? "");
  const status = res.statusCode ?? 0;
  const body = [101, 204, 205, 304].includes(status) ? null : Buffer.concat(parts);
  return new Response(body, { status, headers });
}
