// One origin and one Worker (in Miniflare) per test file: start both, address both, stop both.

import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { startWorker, type RunningWorker } from "../../support/miniflare-worker.js";
import { startOrigin, type Origin } from "../../support/origin.js";
import { fetchRaw } from "./raw-http.js";

export interface Harness {
  /** A URL on the Worker's own socket. */
  worker(path: string): URL;
  /** A URL on the origin directly, bypassing the Worker: the reference the tests compare against. */
  origin(path: string): URL;
  readonly running: RunningWorker;
  /** Stop the Worker and the origin, the origin even if the Worker fails to stop. */
  stop(): Promise<void>;
}

/** Start the origin, then the security-headers Worker in front of it (only ORIGIN_URL bound). */
export async function startHarness(): Promise<Harness> {
  const origin: Origin = await startOrigin();
  let running: RunningWorker;
  try {
    running = await startWorker({ bindings: { ORIGIN_URL: origin.url } });
  } catch (error) {
    await origin.close();
    throw error;
  }
  return {
    worker: (path) => new URL(path, running.url),
    origin: (path) => new URL(path, origin.url),
    running,
    stop: async () => {
      try {
        await running.dispose();
      } finally {
        await origin.close();
      }
    },
  };
}

/** A harness slot for beforeAll/afterAll: `get()` fails clearly if beforeAll did not get that far. */
export function harnessSlot(): { set(h: Harness): void; get(): Harness; stop(): Promise<void> } {
  let current: Harness | undefined;
  return {
    set: (h) => {
      current = h;
    },
    get: () => {
      if (current === undefined) throw new Error("the origin and Worker did not start (see beforeAll)");
      return current;
    },
    stop: async () => {
      await current?.stop();
      current = undefined;
    },
  };
}

/**
 * The whole per-file lifecycle: start the harness before the file's tests, stop it after them, and after
 * each test check that the Worker keeps serving. Returns URL builders for the Worker and the origin.
 */
export function useHarness(): {
  harness: ReturnType<typeof harnessSlot>;
  workerUrl: (path: string) => URL;
  originUrl: (path: string) => URL;
} {
  const harness = harnessSlot();
  beforeAll(async () => {
    harness.set(await startHarness());
  });
  afterAll(async () => {
    await harness.stop();
  });
  afterEach(async () => {
    // The Worker keeps serving after each behaviour.
    const res = await fetchRaw(harness.get().worker("/fixed"));
    expect(res.status).toBe(200);
  });
  return { harness, workerUrl: (path) => harness.get().worker(path), originUrl: (path) => harness.get().origin(path) };
}
