// Streaming proven by order, not timing: the first bytes (and SSE events, WebSocket frames) reach the
// client through the Worker while the origin is still holding the rest.

import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { wsText } from "../support/ws-text.js";
import { useHarness } from "./support/harness.js";
import { expectDefaultPolicy } from "./support/policy-headers.js";
import { BodyReader, fetchRaw, header, openRequest, within } from "./support/raw-http.js";

/** Bound for a WebSocket handshake or reply; everything on loopback answers in milliseconds. */
const WS_DEADLINE_MS = 10_000;

const { workerUrl, originUrl } = useHarness();

/** Query parameters for /hold: the content type and the first chunk the origin sends before holding. */
interface HoldParams {
  readonly type: string;
  readonly first: string;
}

/** /hold with these parameters and a fresh id, straight from the origin, released at once: the reference body. */
async function heldBody(params: HoldParams): Promise<Buffer> {
  const id = randomUUID();
  const res = await openRequest(originUrl(`/hold?${new URLSearchParams({ ...params, id })}`));
  const release = await fetchRaw(originUrl(`/release?id=${id}`));
  expect(release.status).toBe(200);
  return new BodyReader(res).rest();
}

/**
 * GET /hold through the Worker; read the first chunk while the origin still holds the rest; only then
 * release it, and read the rest. Returns the response head and the two parts.
 */
async function readHeld(params: HoldParams): Promise<{ res: IncomingMessage; first: Buffer; rest: Buffer }> {
  const expected = Buffer.from(params.first);
  const id = randomUUID();
  const res = await openRequest(workerUrl(`/hold?${new URLSearchParams({ ...params, id })}`));
  const reader = new BodyReader(res);
  // The origin cannot finish before the release below, so arriving here proves the first chunk streamed.
  const first = await reader.read(expected.length);
  const release = await fetchRaw(originUrl(`/release?id=${id}`));
  expect(release.status, "the origin was still holding the response").toBe(200);
  const rest = await reader.rest();
  return { res, first, rest };
}

/** The data of the first event in an SSE stream's text. */
function firstEventData(text: string): string {
  const [event = ""] = text.split("\n\n");
  return event
    .split("\n")
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice("data:".length).trimStart())
    .join("\n");
}

describe("first byte before the origin finishes", () => {
  for (const type of ["text/plain", "text/html; charset=utf-8"]) {
    it(`delivers the first chunk of a ${type} response before the origin releases the rest`, async () => {
      const params = { type, first: `first chunk of ${type}\n` };
      const whole = await heldBody(params);
      const { res, first, rest } = await readHeld(params);
      expect(res.statusCode).toBe(200);
      expect(header(res.headers, "content-type")).toBe(type);
      expect(first.toString("utf8")).toBe(params.first);
      expect(Buffer.concat([first, rest]).equals(whole)).toBe(true);
    });
  }

  it("delivers the first server-sent event before the origin closes the stream", async () => {
    const params = { type: "text/event-stream", first: "data: one\n\n" };
    const { res, first, rest } = await readHeld(params);
    expect(header(res.headers, "content-type")).toBe(params.type);
    expect(firstEventData(first.toString("utf8"))).toBe(firstEventData(params.first));
    expect(Buffer.concat([first, rest]).equals(await heldBody(params))).toBe(true);
  });
});

/** Open a WebSocket, send one text message, and return the upgrade response and the reply. */
async function echoOnce(url: string, message: string): Promise<{ upgrade: IncomingMessage; reply: string }> {
  const ws = new WebSocket(url, { handshakeTimeout: WS_DEADLINE_MS });
  try {
    const upgrade = await within(
      new Promise<IncomingMessage>((resolve, reject) => {
        ws.once("upgrade", resolve);
        ws.once("error", reject);
      }),
      WS_DEADLINE_MS,
      `WebSocket upgrade at ${url}`,
    );
    const reply = await within(
      new Promise<string>((resolve, reject) => {
        ws.once("message", (data: WebSocket.RawData, isBinary: boolean) => {
          if (isBinary) reject(new Error("expected a text reply"));
          else resolve(wsText(data));
        });
        ws.once("error", reject);
        const send = (): void => ws.send(message);
        if (ws.readyState === WebSocket.OPEN) send();
        else ws.once("open", send);
      }),
      WS_DEADLINE_MS,
      `WebSocket echo at ${url}`,
    );
    return { upgrade, reply };
  } finally {
    ws.terminate();
  }
}

describe("WebSocket upgrades", () => {
  it("upgrades through the Worker with the policy headers and echoes a message", async () => {
    const toWs = (url: URL): string => url.href.replace(/^http/, "ws");
    const direct = await echoOnce(toWs(originUrl("/ws")), "hello");
    const proxied = await echoOnce(toWs(workerUrl("/ws")), "hello");
    expect(proxied.upgrade.statusCode).toBe(101);
    expectDefaultPolicy(proxied.upgrade.headers);
    expect(proxied.reply).toBe(direct.reply);
  });
});
