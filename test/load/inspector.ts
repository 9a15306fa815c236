// A minimal DevTools-protocol client for workerd's inspector: force a full GC in each isolate and read heap sizes.

import WebSocket from "ws";
import { wsText } from "../support/ws-text.js";

/** An isolate's V8 heap, in bytes. */
export interface HeapUsage {
  readonly usedBytes: number;
  readonly totalBytes: number;
  /** ArrayBuffer backing stores (body chunks, typed arrays): outside the V8 heap, so counted apart. */
  readonly backingStoreBytes: number;
}

/** What an isolate's JavaScript holds: its V8 heap plus the ArrayBuffers outside it. */
export function retainedBytes(usage: HeapUsage): number {
  return usage.usedBytes + usage.backingStoreBytes;
}

/** One inspector session per isolate (Worker) that workerd runs for a Miniflare instance. */
export interface Inspector {
  /** Names of the isolates, as workerd lists them (`core:user:` is the Worker under test). */
  readonly isolates: readonly string[];
  /**
   * A full, compacting GC in every isolate. workerd's inspector does not implement
   * HeapProfiler.collectGarbage, but a heap snapshot starts with a full GC, so one is taken and discarded.
   */
  collectGarbage(): Promise<void>;
  heapUsage(isolate: string): Promise<HeapUsage>;
  close(): void;
}

interface Session {
  readonly name: string;
  readonly socket: WebSocket;
  send(method: string, params?: Record<string, unknown>): Promise<unknown>;
}

const CALL_TIMEOUT_MS = 30_000;

async function openSession(name: string, url: string): Promise<Session> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  let nextId = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  socket.on("message", (data) => {
    const message: unknown = JSON.parse(wsText(data));
    if (typeof message !== "object" || message === null || !("id" in message) || typeof message.id !== "number") return;
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (waiter === undefined) return;
    if ("error" in message) waiter.reject(new Error(`${name}: ${JSON.stringify(message.error)}`));
    else waiter.resolve("result" in message ? message.result : undefined);
  });
  socket.on("close", () => {
    for (const waiter of pending.values()) waiter.reject(new Error(`${name}: inspector closed`));
    pending.clear();
  });
  const send = (method: string, params: Record<string, unknown> = {}): Promise<unknown> => {
    const id = ++nextId;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${name}: ${method} got no answer within ${CALL_TIMEOUT_MS} ms`));
      }, CALL_TIMEOUT_MS);
      pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
  };
  return { name, socket, send };
}

function numberField(value: unknown, field: string): number {
  if (typeof value === "object" && value !== null && field in value) {
    const n: unknown = (value as Record<string, unknown>)[field];
    if (typeof n === "number") return n;
  }
  throw new Error(`inspector answer without a numeric ${field}: ${JSON.stringify(value)}`);
}

/** Connect to every isolate listed by the inspector at `base` (ws://host:port). */
export async function connectInspector(base: URL): Promise<Inspector> {
  const listing: unknown = await (await fetch(`http://${base.host}/json`)).json();
  if (!Array.isArray(listing)) throw new Error(`unexpected inspector listing: ${JSON.stringify(listing)}`);
  const sessions: Session[] = [];
  try {
    for (const target of listing as unknown[]) {
      if (
        typeof target !== "object" ||
        target === null ||
        !("webSocketDebuggerUrl" in target) ||
        typeof target.webSocketDebuggerUrl !== "string"
      )
        continue;
      const url = target.webSocketDebuggerUrl;
      sessions.push(await openSession(url.slice(url.lastIndexOf("/") + 1), url));
    }
  } catch (error) {
    for (const session of sessions) session.socket.close();
    throw error;
  }
  const byName = (isolate: string): Session => {
    const session = sessions.find((s) => s.name === isolate);
    if (session === undefined) throw new Error(`no isolate ${isolate} among ${sessions.map((s) => s.name).join(", ")}`);
    return session;
  };
  return {
    isolates: sessions.map((s) => s.name),
    collectGarbage: async () => {
      for (const session of sessions) {
        await session.send("HeapProfiler.enable");
        await session.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
        await session.send("HeapProfiler.disable");
      }
    },
    heapUsage: async (isolate) => {
      const usage = await byName(isolate).send("Runtime.getHeapUsage");
      return {
        usedBytes: numberField(usage, "usedSize"),
        totalBytes: numberField(usage, "totalSize"),
        backingStoreBytes: numberField(usage, "backingStorageSize"),
      };
    },
    close: () => {
      for (const session of sessions) session.socket.close();
    },
  };
}
