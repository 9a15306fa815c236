// A message from the ws package as text, whichever of its three shapes (Buffer, ArrayBuffer, Buffer[]) it has.

import type WebSocket from "ws";

/** The message's bytes as UTF-8 text. */
export function wsText(data: WebSocket.RawData): string {
  const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  return bytes.toString("utf8");
}
