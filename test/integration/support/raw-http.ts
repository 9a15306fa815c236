// Raw HTTP/1.1 for the integration tests: node:http (no decompression, no Accept-Encoding unless asked),
// a fresh connection per request, and every wait bounded by a socket idle timeout or a deadline.

import { once } from "node:events";
import { request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";

/** How long a socket may sit idle (no bytes either way) before the request fails. */
export const IDLE_TIMEOUT_MS = 20_000;

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: OutgoingHttpHeaders;
  /** Sent as written, with backpressure; without a Content-Length header it goes chunked. */
  readonly body?: Buffer | Iterable<Buffer>;
  readonly idleTimeoutMs?: number;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Send a request and resolve with the response head; the body is left for the caller to read. */
export async function openRequest(url: URL | string, options: RequestOptions = {}): Promise<IncomingMessage> {
  const idle = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  const req = request(url, { method: options.method ?? "GET", headers: options.headers ?? {}, agent: false, timeout: idle });
  req.on("timeout", () => req.destroy(new Error(`${options.method ?? "GET"} ${String(url)}: socket idle for ${idle} ms`)));
  // After the head arrives, a failure of the request (idle timeout, reset) fails the body stream instead.
  const head: { received?: IncomingMessage } = {};
  req.on("error", (error) => head.received?.destroy(error));
  const response = once(req, "response") as Promise<[IncomingMessage]>;
  // Keep a rejection from the upload path from going unhandled while the response is awaited.
  const upload = writeBody(req, options.body).catch((error: unknown) => {
    req.destroy(error instanceof Error ? error : new Error(String(error)));
  });
  const [res] = await response;
  head.received = res;
  await upload;
  return res;
}

async function writeBody(req: ReturnType<typeof request>, body: RequestOptions["body"]): Promise<void> {
  if (body === undefined) {
    req.end();
    return;
  }
  if (Buffer.isBuffer(body)) {
    req.end(body);
    return;
  }
  for (const chunk of body) {
    // once() rejects on "error", so a destroyed socket ends the wait as well as a drain does.
    if (!req.write(chunk)) await once(req, "drain");
  }
  req.end();
}

/** Send a request and read the whole (small) response. */
export async function fetchRaw(url: URL | string, options: RequestOptions = {}): Promise<RawResponse> {
  const res = await openRequest(url, options);
  const reader = new BodyReader(res);
  const body = await reader.rest();
  return { status: res.statusCode ?? 0, headers: res.headers, body };
}

/** The single value of a response header (node lower-cases names), failing if it came more than once. */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  if (Array.isArray(value)) throw new Error(`${name} appears ${value.length} times: ${JSON.stringify(value)}`);
  return value;
}

/** Reads a response body chunk by chunk, so a test can act between chunks (release the origin, say). */
export class BodyReader {
  private readonly chunks: AsyncIterator<unknown>;
  private buffered: Buffer = Buffer.alloc(0);

  constructor(res: IncomingMessage) {
    this.chunks = res[Symbol.asyncIterator]();
  }

  /** The next `n` bytes; fewer only if the body ends first. */
  async read(n: number): Promise<Buffer> {
    while (this.buffered.length < n) {
      const chunk = await this.next();
      if (chunk === undefined) break;
      this.buffered = Buffer.concat([this.buffered, chunk]);
    }
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(out.length);
    return out;
  }

  /** Everything up to the end of the body. */
  async rest(): Promise<Buffer> {
    const parts = [this.buffered];
    this.buffered = Buffer.alloc(0);
    for (let chunk = await this.next(); chunk !== undefined; chunk = await this.next()) parts.push(chunk);
    return Buffer.concat(parts);
  }

  /** Feed every remaining chunk to `sink` as it arrives, without keeping it. */
  async drain(sink: (chunk: Buffer) => void): Promise<void> {
    if (this.buffered.length > 0) sink(this.buffered);
    this.buffered = Buffer.alloc(0);
    for (let chunk = await this.next(); chunk !== undefined; chunk = await this.next()) sink(chunk);
  }

  private async next(): Promise<Buffer | undefined> {
    const step = await this.chunks.next();
    if (step.done === true) return undefined;
    if (!Buffer.isBuffer(step.value)) throw new Error("expected a Buffer chunk (is an encoding set on the stream?)");
    return step.value;
  }
}

/** Reject with a message naming `what` if `promise` has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
