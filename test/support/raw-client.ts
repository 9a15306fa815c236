// Clients for fault tests: exact bytes over TCP (request smuggling), and node:http reads that report how a body ended.

import { request, type Agent, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { connect } from "node:net";

/** How a raw exchange ended: the server closed, reset, or went quiet for `quietMs` with the socket open. */
export type ExchangeEnd = "closed" | "reset" | "quiet";

/** Everything the server sent back on one raw connection, and how that connection ended. */
export interface Exchange {
  readonly bytes: Buffer;
  readonly ended: ExchangeEnd;
}

/**
 * Write `payload` as is to 127.0.0.1:`port` and collect the reply until the server closes the connection
 * or sends nothing for `quietMs`. Fails if the server is still sending after `deadlineMs`.
 */
export async function exchange(
  port: number,
  payload: string | Buffer,
  options: { quietMs?: number; deadlineMs?: number } = {},
): Promise<Exchange> {
  const quietMs = options.quietMs ?? 1000;
  const deadlineMs = options.deadlineMs ?? 10_000;
  return new Promise<Exchange>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let quiet: NodeJS.Timeout | undefined;
    const finish = (ended: ExchangeEnd): void => {
      clearTimeout(quiet);
      clearTimeout(deadline);
      socket.destroy();
      resolve({ bytes: Buffer.concat(chunks), ended });
    };
    const rearm = (): void => {
      clearTimeout(quiet);
      quiet = setTimeout(() => finish("quiet"), quietMs);
    };
    const deadline = setTimeout(() => {
      clearTimeout(quiet);
      socket.destroy();
      reject(new Error(`raw exchange on port ${port}: still open after ${deadlineMs} ms`));
    }, deadlineMs);
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      rearm();
    });
    socket.on("end", () => finish("closed"));
    socket.on("error", () => finish("reset"));
    socket.write(typeof payload === "string" ? Buffer.from(payload, "latin1") : payload);
    rearm();
  });
}

/** One response parsed from raw bytes: header names as sent. */
export interface ParsedResponse {
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
}

/** The values of header `name` (any case) in a parsed response. */
export function values(response: ParsedResponse, name: string): string[] {
  return response.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
}

/**
 * Split the bytes of one connection into the responses they hold (framing by Content-Length or chunked;
 * none for 1xx, 204 and 304; otherwise to the end). Throws on bytes that are not a response.
 */
export function parseResponses(bytes: Buffer): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let at = 0;
  while (at < bytes.length) {
    const headEnd = bytes.indexOf("\r\n\r\n", at);
    if (headEnd === -1) throw new Error(`an incomplete response head: ${JSON.stringify(bytes.subarray(at).toString("latin1"))}`);
    const [statusLine = "", ...lines] = bytes.subarray(at, headEnd).toString("latin1").split("\r\n");
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (match?.[1] === undefined) throw new Error(`not a status line: ${JSON.stringify(statusLine)}`);
    const status = Number(match[1]);
    const headers = lines.map((line): [string, string] => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon), line.slice(colon + 1).trim()];
    });
    at = headEnd + 4;
    const response = { status, headers, body: Buffer.alloc(0) };
    const te = values(response, "transfer-encoding");
    const cl = values(response, "content-length")[0];
    if (status < 200 || status === 204 || status === 304) {
      out.push(response);
    } else if (te.length > 0) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = bytes.indexOf("\r\n", at);
        if (lineEnd === -1) throw new Error("a truncated chunked body");
        const size = Number.parseInt(bytes.subarray(at, lineEnd).toString("latin1"), 16);
        at = lineEnd + 2;
        if (size === 0) {
          const end = bytes.indexOf("\r\n\r\n", at - 2);
          at = end === -1 ? bytes.length : end + 4;
          break;
        }
        parts.push(bytes.subarray(at, at + size));
        at += size + 2;
      }
      out.push({ ...response, body: Buffer.concat(parts) });
    } else if (cl !== undefined) {
      out.push({ ...response, body: bytes.subarray(at, at + Number(cl)) });
      at += Number(cl);
    } else {
      out.push({ ...response, body: bytes.subarray(at) });
      at = bytes.length;
    }
  }
  return out;
}

/** How a response body ended: all of it, or an error (reset, or fewer bytes than the framing promised). */
export type BodyEnd = { readonly kind: "complete" } | { readonly kind: "error"; readonly error: Error };

/** A body read to its end or its error, with the trailer fields node saw. */
export interface ReadBody {
  readonly body: Buffer;
  readonly end: BodyEnd;
  readonly trailers: NodeJS.Dict<string>;
}

/** A response read to its end (or its error), never rejecting once the head has arrived. */
export interface ReadResponse extends ReadBody {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Every header line in wire order (names as sent), for counts and duplicates. */
  readonly rawHeaders: readonly string[];
}

/** How to send a request with node:http. */
export interface ReadOptions {
  readonly method?: string;
  readonly headers?: OutgoingHttpHeaders;
  /** A keep-alive agent to share connections; a fresh connection per request without one. */
  readonly agent?: Agent;
  /** node's limit on the response head (default 16 KiB); raise it to read oversized heads. */
  readonly maxHeaderSize?: number;
  /** node keeps only the first 1,000 or so response headers unless told otherwise; 0 keeps all. */
  readonly maxHeadersCount?: number;
  /** Fail the request if the socket is idle this long (default 20 s). */
  readonly idleTimeoutMs?: number;
}

/** Send a request with node:http and resolve with the response head; the body is left unread. */
export async function openResponse(url: URL | string, options: ReadOptions = {}): Promise<IncomingMessage> {
  const idle = options.idleTimeoutMs ?? 20_000;
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, {
      method: options.method ?? "GET",
      headers: options.headers ?? {},
      agent: options.agent ?? false,
      timeout: idle,
      ...(options.maxHeaderSize === undefined ? {} : { maxHeaderSize: options.maxHeaderSize }),
    });
    if (options.maxHeadersCount !== undefined) req.maxHeadersCount = options.maxHeadersCount;
    req.on("timeout", () => req.destroy(new Error(`${String(url)}: socket idle for ${idle} ms`)));
    req.on("error", reject);
    req.on("response", resolve);
    req.end();
  });
}

/** Read a response body to its end, resolving (never rejecting) with how it ended. */
export async function readBody(res: IncomingMessage): Promise<ReadBody> {
  return new Promise<ReadBody>((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (end: BodyEnd): void => {
      if (settled) return;
      settled = true;
      resolve({ body: Buffer.concat(chunks), end, trailers: res.trailers });
    };
    res.on("data", (chunk: Buffer) => chunks.push(chunk));
    // node marks a body that stopped short of its framing as incomplete (and, on Node 20, also errors it).
    res.on("end", () => done(res.complete ? { kind: "complete" } : { kind: "error", error: new Error("incomplete body") }));
    res.on("error", (error) => done({ kind: "error", error }));
    res.on("close", () => done({ kind: "error", error: new Error("closed before the end of the body") }));
  });
}

/** GET (or `method`) a URL with node:http and read the body to its end, reporting how it ended. */
export async function readResponse(url: URL | string, options: ReadOptions = {}): Promise<ReadResponse> {
  const res = await openResponse(url, options);
  const body = await readBody(res);
  return { status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, ...body };
}
