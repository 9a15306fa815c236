// The body streams through untouched: first bytes before the origin finishes, SSE, WebSockets.

import { describe, expect, it } from "vitest";
import { call, ORIGIN_URL, unique } from "./support.js";

async function readChunk(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const { value, done } = await reader.read();
  if (done) return "";
  return new TextDecoder().decode(value);
}

describe("streaming", () => {
  it.each(["text/plain", "text/html"])("delivers the first chunk of %s before the origin finishes", async (type) => {
    const id = unique("hold");
    const res = await call(`https://www.example.com/hold?id=${id}&type=${encodeURIComponent(type)}`);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const reader = res.body?.getReader();
    if (reader === undefined) throw new Error("no body");
    // The origin holds the rest until released, so this read can only finish if the Worker streams.
    expect(await readChunk(reader)).toBe("first\n");
    const release = await fetch(`${ORIGIN_URL}/release?id=${id}`);
    expect(release.status).toBe(200);
    let rest = "";
    for (let chunk = await readChunk(reader); chunk !== ""; chunk = await readChunk(reader)) rest += chunk;
    expect(rest).toBe("second\n");
  });

  it("delivers a server-sent event before the stream ends", async () => {
    const id = unique("sse");
    const first = encodeURIComponent("data: one\n\n");
    const res = await call(`https://www.example.com/hold?id=${id}&type=text/event-stream&first=${first}`);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = res.body?.getReader();
    if (reader === undefined) throw new Error("no body");
    expect(await readChunk(reader)).toBe("data: one\n\n");
    await fetch(`${ORIGIN_URL}/release?id=${id}`);
    await reader.cancel();
  });

  it("upgrades a WebSocket through the Worker with the policy on the handshake", async () => {
    const res = await call("https://www.example.com/ws", { headers: { Upgrade: "websocket" } });
    expect(res.status).toBe(101);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const socket = res.webSocket;
    if (socket === null) throw new Error("no webSocket on the 101");
    socket.accept();
    const reply = new Promise<string>((resolve, reject) => {
      socket.addEventListener("message", (event) => resolve(String(event.data)));
      socket.addEventListener("error", () => reject(new Error("socket error")));
    });
    socket.send("hello");
    expect(await reply).toBe("echo:hello");
    socket.close(1000, "done");
  });
});
