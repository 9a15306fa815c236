// A misbehaving origin on raw TCP (node:net): the request path picks the fault, and every request it parses is logged.

import { createHash } from "node:crypto";
import { STATUS_CODES } from "node:http";
import { createServer, type AddressInfo, type Socket } from "node:net";

/** One request as the origin parsed it off the wire: header names in their wire case, the body de-framed. */
export interface SeenRequest {
  /** Which TCP connection (1, 2, …) it arrived on: two requests on one connection share the number. */
  readonly connection: number;
  readonly method: string;
  readonly target: string;
  readonly version: string;
  readonly headers: readonly (readonly [string, string])[];
  /** How the origin framed the body: by Content-Length, chunked, or none. */
  readonly framing: "content-length" | "chunked" | "none";
  readonly body: Buffer;
}

/** Bytes the origin could not parse as a request, with the reason (a desync would show up here). */
export interface UnparsedBytes {
  readonly connection: number;
  readonly reason: string;
  readonly bytes: Buffer;
}

/**
 * A running raw origin. Routes: /ok, /echo…, /status/<n>, /stall-before-headers, /stall-in-headers and
 * /stall-after-headers (held until release(?id=)), /continue, /early-hints, /malformed/{no-colon,
 * space-in-name,nul-in-value,status-line}, /huge-headers?kb=, /many-headers?n=, /reset-mid-body, /short-body,
 * /truncated-chunked, /long-body, /cl-and-te, /hop-by-hop, /trailer, /ws-abrupt[?how=reset]; anything else 404.
 */
export interface RawOrigin {
  readonly url: string;
  readonly port: number;
  /** Every request parsed, in arrival order. */
  readonly seen: readonly SeenRequest[];
  /** Every stretch of bytes that did not parse as a request. */
  readonly unparsed: readonly UnparsedBytes[];
  /** Requests whose target starts with `prefix`. */
  requestsTo(prefix: string): SeenRequest[];
  /** End (FIN) the connection a stalling route holds for `?id=`; false if none is held under that id. */
  release(id: string): boolean;
  /** Destroy every socket and stop listening. */
  close(): Promise<void>;
}

/** Bytes per header line of /huge-headers, name and CRLF included: `?kb=N` sends N such lines (default 40). */
export const HUGE_HEADER_LINE_BYTES = 1024;
/** What /long-body puts after its declared 10 bytes: a whole second response, so a desync would be visible. */
export const SMUGGLED_RESPONSE_MARKER = "x-desync-smuggled";
/** The 10 bytes /long-body declares. */
export const LONG_BODY_DECLARED = "0123456789";
/** The 10 bytes /short-body sends of the 1000 it declares. */
export const SHORT_BODY_SENT = "short-body";

const CRLF = "\r\n";
const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** A request head larger than this is refused; the Worker never sends one. */
const MAX_HEAD_BYTES = 256 * 1024;

/** Header lines (name, value) of a parsed head, and the request line. */
interface Head {
  readonly method: string;
  readonly target: string;
  readonly version: string;
  readonly headers: readonly (readonly [string, string])[];
}

function headerValues(headers: Head["headers"], name: string): string[] {
  return headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}

function parseHead(text: string): Head | string {
  const [requestLine = "", ...lines] = text.split(CRLF);
  const parts = requestLine.split(" ");
  const [method, target, version] = parts;
  if (parts.length !== 3 || method === undefined || target === undefined || version === undefined || !version.startsWith("HTTP/")) {
    return `bad request line ${JSON.stringify(requestLine)}`;
  }
  const headers: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) return `bad header line ${JSON.stringify(line)}`;
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return { method, target, version, headers };
}

/** A de-chunked body, or a string: "incomplete" (wait for more), or why the framing is malformed. */
type Parsed = { readonly body: Buffer; readonly rest: Buffer; readonly framing: SeenRequest["framing"] } | string;

/** De-chunk a chunked body at the start of `data` (trailer lines skipped). */
function parseChunked(data: Buffer): Parsed {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf(CRLF, at);
    if (lineEnd === -1) return "incomplete";
    const sizeText = data.subarray(at, lineEnd).toString("latin1").split(";")[0]?.trim() ?? "";
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) return `bad chunk size ${JSON.stringify(sizeText)}`;
    const size = Number.parseInt(sizeText, 16);
    at = lineEnd + 2;
    if (size === 0) {
      // Trailer section: lines up to an empty one.
      for (;;) {
        const end = data.indexOf(CRLF, at);
        if (end === -1) return "incomplete";
        const empty = end === at;
        at = end + 2;
        if (empty) return { body: Buffer.concat(parts), rest: data.subarray(at), framing: "chunked" };
      }
    }
    if (data.length < at + size + 2) return "incomplete";
    parts.push(data.subarray(at, at + size));
    if (data.subarray(at + size, at + size + 2).toString("latin1") !== CRLF) return "chunk not followed by CRLF";
    at += size + 2;
  }
}

/** The body after a head, framed the way RFC 9112 §6.3 says (Transfer-Encoding wins; a bad one is an error). */
function parseBody(head: Head, data: Buffer): Parsed {
  const te = headerValues(head.headers, "transfer-encoding");
  const cl = headerValues(head.headers, "content-length");
  if (te.length > 0) {
    const codings = te
      .join(",")
      .split(",")
      .map((c) => c.trim().toLowerCase());
    if (codings.at(-1) !== "chunked") return `transfer-encoding ${JSON.stringify(te)} does not end in chunked`;
    return parseChunked(data);
  }
  if (cl.length > 0) {
    const distinct = new Set(cl.flatMap((v) => v.split(",").map((x) => x.trim())));
    const [only] = distinct;
    if (distinct.size !== 1 || only === undefined || !/^\d+$/.test(only)) return `content-length ${JSON.stringify(cl)}`;
    const length = Number(only);
    if (data.length < length) return "incomplete";
    return { body: data.subarray(0, length), rest: data.subarray(length), framing: "content-length" };
  }
  return { body: Buffer.alloc(0), rest: data, framing: "none" };
}

/** A whole response head plus body, as bytes. */
function responseBytes(status: number, headers: readonly (readonly [string, string])[], body: Buffer | string = ""): Buffer {
  const reason = STATUS_CODES[status] ?? "Unknown";
  const lines = [`HTTP/1.1 ${status} ${reason}`, ...headers.map(([n, v]) => `${n}: ${v}`), "", ""].join(CRLF);
  return Buffer.concat([Buffer.from(lines, "latin1"), typeof body === "string" ? Buffer.from(body, "latin1") : body]);
}

/** A plain response with a Content-Length (none on 204 and 304, 0 on 205), no body for HEAD; `extra` replaces defaults by name. */
function simple(status: number, body: string, head: Head, extra: readonly (readonly [string, string])[] = []): Buffer {
  const noBody = status === 204 || status === 304 || status === 205;
  const names = new Set(extra.map(([n]) => n.toLowerCase()));
  const headers: (readonly [string, string])[] = names.has("content-type") ? [...extra] : [["Content-Type", "text/plain"], ...extra];
  if (status !== 204 && status !== 304) headers.push(["Content-Length", String(noBody ? 0 : Buffer.byteLength(body))]);
  return responseBytes(status, headers, noBody || head.method === "HEAD" ? "" : body);
}

/** A single unmasked WebSocket text frame (server to client), payload under 126 bytes. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
}

/** What one connection does after a request: keep going, or stop reading it (a fault owns the socket now). */
type Next = "continue" | "stop";

interface Context {
  readonly socket: Socket;
  readonly head: Head;
  readonly body: Buffer;
  readonly url: URL;
  hold(id: string): void;
  /** A timer the origin clears on close. */
  later(ms: number, fn: () => void): void;
}

function route(ctx: Context): Next {
  const { socket, head, url } = ctx;
  const path = url.pathname;
  const send = (bytes: Buffer): Next => {
    socket.write(bytes);
    return "continue";
  };
  if (path === "/ok") return send(simple(200, "ok\n", head));
  if (path.startsWith("/echo")) {
    const seen = { method: head.method, target: head.target, headers: head.headers, body: ctx.body.toString("latin1") };
    return send(simple(200, JSON.stringify(seen), head, [["Content-Type", "application/json"]]));
  }
  const status = /^\/status\/(\d{3})$/.exec(path);
  if (status?.[1] !== undefined) return send(simple(Number(status[1]), `status ${status[1]}\n`, head));
  switch (path) {
    case "/reset-mid-body": {
      // 1 KiB of a declared 100 KiB, then an RST: the kernel discards anything unsent.
      socket.write(
        responseBytes(
          200,
          [
            ["Content-Type", "application/octet-stream"],
            ["Content-Length", "102400"],
          ],
          Buffer.alloc(1024, 0x61),
        ),
      );
      ctx.later(50, () => socket.resetAndDestroy());
      return "stop";
    }
    case "/stall-after-headers": {
      // The head and nothing more (a chunked body that never starts) until the test releases the id.
      socket.write(
        responseBytes(200, [
          ["Content-Type", "text/plain"],
          ["Transfer-Encoding", "chunked"],
        ]),
      );
      ctx.hold(url.searchParams.get("id") ?? "");
      return "stop";
    }
    case "/stall-before-headers":
      // Reads the request and sends nothing at all.
      ctx.hold(url.searchParams.get("id") ?? "");
      return "stop";
    case "/stall-in-headers": {
      // The status line and two header lines, never the blank line.
      socket.write(`HTTP/1.1 200 OK${CRLF}Content-Type: text/plain${CRLF}X-Partial: 1${CRLF}`);
      ctx.hold(url.searchParams.get("id") ?? "");
      return "stop";
    }
    case "/continue":
      socket.write(`HTTP/1.1 100 Continue${CRLF}${CRLF}`);
      return send(simple(200, "after continue\n", head));
    case "/early-hints":
      socket.write(`HTTP/1.1 103 Early Hints${CRLF}Link: </style.css>; rel=preload; as=style${CRLF}${CRLF}`);
      return send(simple(200, "after early hints\n", head));
    case "/malformed/no-colon":
      return send(
        Buffer.from(
          `HTTP/1.1 200 OK${CRLF}X-No-Colon-Here${CRLF}Content-Type: text/plain${CRLF}Content-Length: 3${CRLF}${CRLF}ok\n`,
          "latin1",
        ),
      );
    case "/malformed/space-in-name":
      return send(
        Buffer.from(
          `HTTP/1.1 200 OK${CRLF}X-Bad Name: 1${CRLF}Content-Type: text/plain${CRLF}Content-Length: 3${CRLF}${CRLF}ok\n`,
          "latin1",
        ),
      );
    case "/malformed/nul-in-value":
      return send(
        Buffer.from(`HTTP/1.1 200 OK${CRLF}X-Nul: a\0b${CRLF}Content-Type: text/plain${CRLF}Content-Length: 3${CRLF}${CRLF}ok\n`, "latin1"),
      );
    case "/malformed/status-line":
      return send(Buffer.from(`HTTP/1.1 abc Nonsense${CRLF}Content-Type: text/plain${CRLF}Content-Length: 3${CRLF}${CRLF}ok\n`, "latin1"));
    case "/huge-headers": {
      const kb = Number(url.searchParams.get("kb") ?? "40");
      const filler = "v".repeat(HUGE_HEADER_LINE_BYTES - "X-Huge-0000: ".length - CRLF.length);
      const lines = Array.from({ length: kb }, (_, i): [string, string] => [`X-Huge-${String(i).padStart(4, "0")}`, filler]);
      return send(responseBytes(200, [...lines, ["Content-Type", "text/plain"], ["Content-Length", "3"]], "ok\n"));
    }
    case "/many-headers": {
      const n = Number(url.searchParams.get("n") ?? "1000");
      const lines = Array.from({ length: n }, (_, i): [string, string] => [`X-Many-${i}`, String(i)]);
      return send(responseBytes(200, [...lines, ["Content-Type", "text/plain"], ["Content-Length", "3"]], "ok\n"));
    }
    case "/short-body":
      // 10 of 1000 declared bytes, then a clean close (FIN).
      socket.end(
        responseBytes(
          200,
          [
            ["Content-Type", "application/octet-stream"],
            ["Content-Length", "1000"],
          ],
          SHORT_BODY_SENT,
        ),
      );
      return "stop";
    case "/truncated-chunked":
      // One chunk of a chunked body, then a clean close (FIN) without the terminating zero-length chunk.
      socket.end(
        responseBytes(
          200,
          [
            ["Content-Type", "text/plain"],
            ["Transfer-Encoding", "chunked"],
          ],
          `8${CRLF}partial\n${CRLF}`,
        ),
      );
      return "stop";
    case "/long-body": {
      // 10 declared bytes, then 990 more that spell a whole second response: if the Worker's HTTP client
      // reused this connection and read them as the next response, the next client would see the marker.
      const smuggledBody = "smuggled\n";
      let smuggled = responseBytes(
        200,
        [
          ["Content-Type", "text/plain"],
          [SMUGGLED_RESPONSE_MARKER, "1"],
          ["Content-Length", String(smuggledBody.length)],
        ],
        smuggledBody,
      );
      smuggled = Buffer.concat([smuggled, Buffer.alloc(990 - smuggled.length, 0x20)]);
      socket.write(
        Buffer.concat([
          responseBytes(
            200,
            [
              ["Content-Type", "text/plain"],
              ["Content-Length", "10"],
            ],
            LONG_BODY_DECLARED,
          ),
          smuggled,
        ]),
      );
      // Keep the connection open, as a keep-alive origin would; a request reusing it ends it (see the data handler).
      return "stop";
    }
    case "/cl-and-te": {
      // Both framings at once: chunked says "chunked-body", Content-Length says 5.
      const chunked = `c${CRLF}chunked-body${CRLF}0${CRLF}${CRLF}`;
      socket.end(
        responseBytes(
          200,
          [
            ["Content-Type", "text/plain"],
            ["Content-Length", "5"],
            ["Transfer-Encoding", "chunked"],
          ],
          chunked,
        ),
      );
      return "stop";
    }
    case "/hop-by-hop": {
      // Hop-by-hop response headers, two of them nominated by Connection (one a policy header), then a close.
      const headers: [string, string][] = [
        ["Content-Type", "text/plain"],
        ["Connection", "close, X-Origin-Hop, X-Frame-Options"],
        ["X-Origin-Hop", "1"],
        ["X-Frame-Options", "SAMEORIGIN"],
        ["Keep-Alive", "timeout=5, max=100"],
        ["Proxy-Connection", "keep-alive"],
        ["Trailer", "X-Checksum"],
        ["Upgrade", "h2c"],
        ["Transfer-Encoding", "chunked"],
      ];
      socket.end(responseBytes(200, headers, `3${CRLF}hop${CRLF}0${CRLF}${CRLF}`));
      return "stop";
    }
    case "/trailer":
      // A chunked body with a trailer field, on a connection kept alive for the next request.
      return send(
        responseBytes(
          200,
          [
            ["Content-Type", "text/plain"],
            ["Trailer", "X-Checksum"],
            ["Transfer-Encoding", "chunked"],
          ],
          `3${CRLF}abc${CRLF}0${CRLF}X-Checksum: 900150983cd24fb0${CRLF}${CRLF}`,
        ),
      );
    case "/ws-abrupt": {
      const key = headerValues(head.headers, "sec-websocket-key")[0];
      if (key === undefined) return send(simple(400, "not a websocket request\n", head));
      const accept = createHash("sha1")
        .update(key + WS_GUID)
        .digest("base64");
      socket.write(
        responseBytes(101, [
          ["Upgrade", "websocket"],
          ["Connection", "Upgrade"],
          ["Sec-WebSocket-Accept", accept],
        ]),
      );
      if (url.searchParams.get("how") === "reset") {
        ctx.later(50, () => socket.resetAndDestroy());
      } else {
        // One frame, then the TCP connection goes away with no close frame.
        socket.write(textFrame("hello"));
        ctx.later(50, () => socket.destroy());
      }
      return "stop";
    }
    default:
      return send(simple(404, "not found\n", head));
  }
}

/** Start the raw origin on 127.0.0.1 with an ephemeral port. */
export async function startRawOrigin(): Promise<RawOrigin> {
  const sockets = new Set<Socket>();
  const held = new Map<string, Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  const seen: SeenRequest[] = [];
  const unparsed: UnparsedBytes[] = [];
  let connections = 0;

  const server = createServer((socket) => {
    const connection = ++connections;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    // Resets are a behaviour under test on both sides; they must not crash the test process.
    socket.on("error", () => undefined);
    let buffer: Buffer = Buffer.alloc(0);
    let stopped = false;
    const reject = (reason: string): void => {
      unparsed.push({ connection, reason, bytes: buffer });
      stopped = true;
      socket.end(
        responseBytes(400, [
          ["Content-Length", "0"],
          ["Connection", "close"],
        ]),
      );
    };
    socket.on("data", (chunk: Buffer) => {
      if (stopped) {
        // A fault route owns the socket, so a request arriving here means the client reused a connection it
        // should have dropped. Log it, and end the connection so one such reuse cannot spill into the next.
        unparsed.push({ connection, reason: "after a fault route", bytes: chunk });
        socket.destroy();
        return;
      }
      buffer = Buffer.concat([buffer, chunk]);
      while (!stopped && buffer.length > 0) {
        const headEnd = buffer.indexOf(`${CRLF}${CRLF}`);
        if (headEnd === -1) {
          if (buffer.length > MAX_HEAD_BYTES) reject("head too large");
          return;
        }
        const head = parseHead(buffer.subarray(0, headEnd).toString("latin1"));
        if (typeof head === "string") return reject(head);
        const parsed = parseBody(head, buffer.subarray(headEnd + 4));
        if (parsed === "incomplete") return;
        if (typeof parsed === "string") return reject(parsed);
        buffer = parsed.rest;
        seen.push({ connection, ...head, framing: parsed.framing, body: parsed.body });
        const url = new URL(head.target, "http://origin.test");
        const next = route({
          socket,
          head,
          body: parsed.body,
          url,
          hold: (id) => held.set(id, socket),
          later,
        });
        if (next === "stop") stopped = true;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    unparsed,
    requestsTo: (prefix) => seen.filter((r) => r.target.startsWith(prefix)),
    release: (id) => {
      const socket = held.get(id);
      held.delete(id);
      if (socket === undefined || socket.destroyed) return false;
      socket.end();
      return true;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      held.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
