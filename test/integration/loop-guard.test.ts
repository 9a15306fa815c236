// Loops and host choice through the real Worker in Miniflare: a request the Worker sent that comes back is
// refused at once, a client never picks the destination, and chains of Workers still serve. Every path a
// loop could take runs through a counting relay with a cap (a defect is counted, never left to run away),
// every wait has a deadline, and each test checks that nothing goes on after its answer. A bare route-mode
// Worker beside ours shows what workerd itself does.

import type { Json } from "miniflare";
import { createServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCountingRelay, type CountingRelay } from "../support/counting-relay.js";
import { BARE_ROUTE_WORKER, startWorker, type RunningWorker } from "../support/miniflare-worker.js";
import { startOrigin, type Origin } from "../support/origin.js";
import { readResponse, type ReadResponse } from "../support/raw-client.js";
import { expectDefaultPolicy } from "./support/policy-headers.js";
import { header, within } from "./support/raw-http.js";
import { socketCount, workerdServing } from "./support/workerd-process.js";

/** Connections a relay passes before it refuses: far above the one a guarded loop makes. */
const RELAY_CAP = 16;
/** Every request must reach its outcome within this. */
const OUTCOME_BOUND_MS = 10_000;
/** After an answer, this long with no new connection counts as idle. */
const QUIET_MS = 500;
/** The loop guard's chain limit (src/core/origin/loop-guard.ts MAX_CHAIN), as a client would have to know it. */
const CHAIN_LIMIT = 8;

interface Instance {
  readonly worker: RunningWorker;
}

interface Setup {
  readonly origin: Origin;
  /** Route mode, nothing else bound: the shipped configuration. */
  readonly routeUnset: Instance;
  /** Route mode serving the origin's host, its own address, and `loopRelay` (which leads back to it). */
  readonly routeListed: Instance;
  /** ORIGIN_URL = `fixedRelay`, aimed per test at itself, at `second`, ... */
  readonly fixed: Instance;
  /** ORIGIN_URL = `chainRelay`, aimed per test at the origin or back at `fixed`. */
  readonly second: Instance;
  /** The bare route-mode Worker. */
  readonly bareRoute: Instance;
  readonly loopRelay: CountingRelay;
  readonly unsetRelay: CountingRelay;
  readonly fixedRelay: CountingRelay;
  readonly chainRelay: CountingRelay;
  readonly bareRelay: CountingRelay;
}

let setup: Setup | undefined;
const stops: (() => Promise<void>)[] = [];

function started(): Setup {
  if (setup === undefined) throw new Error("the origin, relays and Workers did not start (see beforeAll)");
  return setup;
}

/** A loopback port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function instance(bindings: Record<string, Json>, script?: string, port?: number): Promise<Instance> {
  const worker = await startWorker({ bindings, ...(script === undefined ? {} : { script }), ...(port === undefined ? {} : { port }) });
  stops.push(() => worker.dispose());
  return { worker };
}

async function relay(): Promise<CountingRelay> {
  const r = await startCountingRelay(0, RELAY_CAP);
  stops.push(() => r.close());
  return r;
}

beforeAll(async () => {
  const origin = await startOrigin();
  stops.push(() => origin.close());
  const originHost = new URL(origin.url).host;
  const [loopRelay, unsetRelay, fixedRelay, chainRelay, bareRelay] = [
    await relay(),
    await relay(),
    await relay(),
    await relay(),
    await relay(),
  ];
  const ownPort = await freePort();
  const [routeUnset, routeListed, fixed, second, bareRoute] = await Promise.all([
    instance({}),
    instance({ ALLOWED_HOSTS: `${loopRelay.host}, ${originHost}, 127.0.0.1:${ownPort}` }, undefined, ownPort),
    instance({ ORIGIN_URL: `http://${fixedRelay.host}` }),
    instance({ ORIGIN_URL: `http://${chainRelay.host}` }),
    instance({}, BARE_ROUTE_WORKER),
  ]);
  loopRelay.retarget(Number(routeListed.worker.url.port));
  unsetRelay.retarget(Number(routeUnset.worker.url.port));
  bareRelay.retarget(Number(bareRoute.worker.url.port));
  setup = { origin, routeUnset, routeListed, fixed, second, bareRoute, loopRelay, unsetRelay, fixedRelay, chainRelay, bareRelay };
});

afterAll(async () => {
  // Workers first (a runaway loop inside one ends with its workerd), then relays and the origin.
  for (const stop of stops.reverse()) await stop();
  setup = undefined;
});

/**
 * GET `path` from an instance with a chosen Host header, with a deadline. Identity only: a response that
 * passed through a second Worker arrives compressed for a client that names no encoding.
 */
function get(target: Instance, path: string, host: string, headers: Record<string, string> = {}): Promise<ReadResponse> {
  const url = new URL(path, target.worker.url);
  return within(
    readResponse(url, { headers: { ...headers, Host: host, "Accept-Encoding": "identity" } }),
    OUTCOME_BOUND_MS,
    `GET ${path} with Host ${host}`,
  );
}

/** The Worker's own refusal: the status, the full policy, no-store, and the short body. */
function expectRefusal(res: ReadResponse, status: number, text: string): void {
  expect(res.status).toBe(status);
  expectDefaultPolicy(res.headers);
  expect(header(res.headers, "cache-control")).toBe("no-store");
  expect(res.body.toString("utf8")).toBe(`${text}\n`);
}

/** The Worker's JSON log lines with this event, across instances. */
function events(name: string, ...instances: Instance[]): Record<string, unknown>[] {
  return instances.flatMap((i) => i.worker.output.events()).filter((e) => e.event === name);
}

/** The lines with this event once `count` of them have arrived (workerd's output lags its answers), and no more. */
async function eventsAfter(count: number, name: string, ...instances: Instance[]): Promise<Record<string, unknown>[]> {
  await within(
    waitFor(() => events(name, ...instances).length >= count),
    OUTCOME_BOUND_MS,
    `${count} "${name}" log lines`,
  );
  await quietFor(QUIET_MS);
  return events(name, ...instances);
}

function clearLogs(): void {
  const s = started();
  for (const i of [s.routeUnset, s.routeListed, s.fixed, s.second, s.bareRoute]) i.worker.output.forget();
}

/**
 * No new connection through the relay for a quiet while: the loop is over. Up to `pooled` connections may
 * stay open, idle: workerd keeps finished connections to a host pooled for a few seconds (one, after the
 * single self-request of a guarded loop).
 */
async function expectRelayIdle(relay: CountingRelay, pooled = 1): Promise<void> {
  const before = relay.relayed() + relay.refused();
  await quietFor(QUIET_MS);
  expect(relay.relayed() + relay.refused(), "connections after the answer").toBe(before);
  expect(relay.open()).toBeLessThanOrEqual(pooled);
}

/** The instance's workerd holds no more sockets than a few pooled ones, and opens no more for a quiet while. */
async function expectWorkerdIdle(target: Instance, baseline: number): Promise<void> {
  const pid = workerdServing(Number(target.worker.url.port));
  const settled = socketCount(pid);
  await quietFor(QUIET_MS);
  const later = socketCount(pid);
  // A loop holds two sockets per nested request and grows without end; one self-request leaves at most a
  // pooled pair behind, and the test's own connection may still be closing.
  expect(settled - baseline, "sockets held after the answer").toBeLessThanOrEqual(4);
  expect(later, "sockets a quiet while later").toBeLessThanOrEqual(settled);
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await quietFor(20);
}

function quietFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function workerdSockets(target: Instance): number {
  return socketCount(workerdServing(Number(target.worker.url.port)));
}

describe("workerd on its own: a bare route-mode Worker", () => {
  it("fetches itself again for as long as the host leads back to it; only the relay's cap ends it (platform finding)", async () => {
    const { bareRoute, bareRelay } = started();
    const res = await get(bareRoute, "/", bareRelay.host);
    // Every nested fetch went round once more until the relay refused; the refusal unwinds as an error.
    expect(bareRelay.relayed()).toBe(RELAY_CAP);
    expect(bareRelay.refused()).toBeGreaterThanOrEqual(1);
    expect(res.status).toBeGreaterThanOrEqual(500);
    await expectRelayIdle(bareRelay, RELAY_CAP);
  });
});

describe("route mode without ALLOWED_HOSTS (the shipped configuration)", () => {
  it("answers 502 with the policy and one line saying to set ORIGIN_URL when the host is the Worker's own address", async () => {
    const { routeUnset } = started();
    clearLogs();
    const baseline = workerdSockets(routeUnset);
    const res = await get(routeUnset, "/", routeUnset.worker.url.host);
    expectRefusal(res, 502, "Bad Gateway");
    expect(await eventsAfter(1, "origin.unset", routeUnset)).toEqual([
      expect.objectContaining({ path: "/", hint: expect.stringContaining("Set ORIGIN_URL") }),
    ]);
    await expectWorkerdIdle(routeUnset, baseline);
  });

  it("fetches nothing when the host names a relay back to the Worker or another server", async () => {
    const { routeUnset, unsetRelay, origin } = started();
    for (const host of [unsetRelay.host, new URL(origin.url).host]) {
      expectRefusal(await get(routeUnset, "/echo/unset", host), 502, "Bad Gateway");
    }
    expect(unsetRelay.relayed()).toBe(0);
    expect(origin.hits.get("/echo/unset")).toBeUndefined();
  });
});

describe("route mode with ALLOWED_HOSTS", () => {
  it("serves a listed host from that host, adding one CDN-Loop entry", async () => {
    const { routeListed, origin } = started();
    const originHost = new URL(origin.url).host;
    const res = await get(routeListed, "/echo/listed", originHost);
    expect(res.status).toBe(200);
    expectDefaultPolicy(res.headers);
    const echo = JSON.parse(res.body.toString("utf8")) as { headers: Record<string, string> };
    expect(echo.headers.host).toBe(originHost);
    expect(echo.headers["cdn-loop"]).toMatch(/^security-headers-worker; id=[0-9a-f]{32}$/);
  });

  it("answers 508 at once, with one log line, when a listed host leads back to the Worker", async () => {
    const { routeListed, loopRelay } = started();
    clearLogs();
    const before = loopRelay.relayed();
    expectRefusal(await get(routeListed, "/", loopRelay.host), 508, "Loop Detected");
    // One self-request: the Worker's own, which came back and was refused.
    expect(loopRelay.relayed() - before).toBe(1);
    expect(await eventsAfter(1, "origin.loop", routeListed)).toEqual([
      expect.objectContaining({ own: true, hops: 1, hint: expect.stringContaining("set ORIGIN_URL to the origin server") }),
    ]);
    await expectRelayIdle(loopRelay);
  });

  it("answers 508 at once when the host is the Worker's own address", async () => {
    const { routeListed } = started();
    clearLogs();
    const baseline = workerdSockets(routeListed);
    expectRefusal(await get(routeListed, "/", routeListed.worker.url.host), 508, "Loop Detected");
    expect(await eventsAfter(1, "origin.loop", routeListed)).toHaveLength(1);
    await expectWorkerdIdle(routeListed, baseline);
  });

  it("answers 421 with the policy to a host it does not list, and fetches nothing", async () => {
    const { routeListed, unsetRelay, origin } = started();
    clearLogs();
    const originPort = new URL(origin.url).port;
    for (const host of [
      unsetRelay.host,
      `127.0.0.1:${Number(originPort) === 65535 ? 1 : Number(originPort) + 1}`,
      "evil.example",
      `localhost:${originPort}`,
    ]) {
      expectRefusal(await get(routeListed, "/echo/unlisted", host), 421, "Misdirected Request");
    }
    expect(unsetRelay.relayed()).toBe(0);
    expect(origin.hits.get("/echo/unlisted")).toBeUndefined();
    expect(await eventsAfter(4, "host.refused", routeListed)).toHaveLength(4);
  });
});

describe("ORIGIN_URL mode and chains of Workers", () => {
  it("answers 508 at once, with one log line, when ORIGIN_URL leads back to the Worker", async () => {
    const { fixed, fixedRelay } = started();
    fixedRelay.retarget(Number(fixed.worker.url.port));
    clearLogs();
    const before = fixedRelay.relayed();
    expectRefusal(await get(fixed, "/x", fixed.worker.url.host), 508, "Loop Detected");
    expect(fixedRelay.relayed() - before).toBe(1);
    expect(await eventsAfter(1, "origin.loop", fixed)).toEqual([
      expect.objectContaining({ own: true, hint: expect.stringContaining("ORIGIN_URL leads back to the Worker") }),
    ]);
    await expectRelayIdle(fixedRelay);
  });

  it("finds its entry behind a quoted string the client left open", async () => {
    const { fixed, fixedRelay } = started();
    fixedRelay.retarget(Number(fixed.worker.url.port));
    const before = fixedRelay.relayed();
    expectRefusal(await get(fixed, "/x", fixed.worker.url.host, { "CDN-Loop": 'cdn; note="never closed' }), 508, "Loop Detected");
    expect(fixedRelay.relayed() - before).toBe(1);
    await expectRelayIdle(fixedRelay);
  });

  it("serves a request through two instances of the Worker, each adding its own entry", async () => {
    const { fixed, second, fixedRelay, chainRelay, origin } = started();
    fixedRelay.retarget(Number(second.worker.url.port));
    chainRelay.retarget(Number(new URL(origin.url).port));
    clearLogs();
    const res = await get(fixed, "/echo/chain", fixed.worker.url.host, { "CDN-Loop": "cloudflare; loops=1" });
    expect(res.status).toBe(200);
    expectDefaultPolicy(res.headers);
    const loop = (JSON.parse(res.body.toString("utf8")) as { headers: Record<string, string> }).headers["cdn-loop"] ?? "";
    const ids = [...loop.matchAll(/security-headers-worker; id=([0-9a-f]{32})/g)].map((m) => m[1]);
    expect(loop.startsWith("cloudflare; loops=1, ")).toBe(true);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    expect(await eventsAfter(0, "origin.loop", fixed, second)).toEqual([]);
  });

  it("answers 508 when a chain through another Worker leads back to the first, and only the first logs it", async () => {
    const { fixed, second, fixedRelay, chainRelay } = started();
    fixedRelay.retarget(Number(second.worker.url.port));
    chainRelay.retarget(Number(fixed.worker.url.port));
    clearLogs();
    const [fixedBefore, chainBefore] = [fixedRelay.relayed(), chainRelay.relayed()];
    expectRefusal(await get(fixed, "/x", fixed.worker.url.host), 508, "Loop Detected");
    expect([fixedRelay.relayed() - fixedBefore, chainRelay.relayed() - chainBefore]).toEqual([1, 1]);
    expect(await eventsAfter(1, "origin.loop", fixed)).toEqual([expect.objectContaining({ own: true, hops: 2 })]);
    expect(events("origin.loop", second)).toEqual([]);
    await expectRelayIdle(fixedRelay);
    await expectRelayIdle(chainRelay);
  });
});

describe("a client that sends CDN-Loop itself", () => {
  /** `n` entries as other instances of the Worker would write them. */
  const forged = (n: number): string =>
    Array.from({ length: n }, (_, i) => `security-headers-worker; id=${String(i).repeat(32).slice(0, 32)}`).join(", ");

  it("gets 508 for its own request only when it claims the chain limit, and is served below it", async () => {
    const { second, chainRelay, origin } = started();
    chainRelay.retarget(Number(new URL(origin.url).port));
    expectRefusal(await get(second, "/echo/forged", second.worker.url.host, { "CDN-Loop": forged(CHAIN_LIMIT) }), 508, "Loop Detected");
    expect(origin.hits.get("/echo/forged")).toBeUndefined();
    expect(await second.worker.output.claimEvent({ event: "origin.loop", path: "/echo/forged" })).toMatchObject({
      hops: CHAIN_LIMIT,
      own: false,
    });
    expect((await get(second, "/echo/forged", second.worker.url.host, { "CDN-Loop": forged(CHAIN_LIMIT - 1) })).status).toBe(200);
    expect((await get(second, "/echo/forged", second.worker.url.host)).status).toBe(200);
    expect(origin.hits.get("/echo/forged")).toBe(2);
  });
});
