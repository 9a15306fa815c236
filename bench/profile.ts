// `npx tsx bench/profile.ts`: workerd CPU profiles of our Worker through the inspector (Chrome DevTools
// protocol, Profiler.start/stop), one per workload, with the top frames by self time printed per request.

import { Miniflare } from "miniflare";
import { request as httpRequest, Agent } from "node:http";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { COMPATIBILITY_DATE } from "../test/support/miniflare-worker.js";
import { startOrigin } from "../test/support/origin.js";
import { bundleWorker } from "../test/support/worker-bundle.js";
import { MARKER, startPages } from "./pages.js";
import { NONCE_POLICIES } from "./nonce.js";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** One workload: a Worker's bindings and the path it is asked for. */
interface Workload {
  readonly name: string;
  readonly bindings: Record<string, string>;
  readonly path: string;
}

const { values } = parseArgs({
  options: { requests: { type: "string" }, top: { type: "string" }, entry: { type: "string" }, only: { type: "string" } },
});
const REQUESTS = Number(values.requests ?? "2000");
const TOP = Number(values.top ?? "15");
const ENTRY = values.entry ?? "src/index.ts";

/** A tiny CDP client over one websocket: send a method, await its result. */
function cdp(ws: WebSocket): (method: string, params?: object) => Promise<unknown> {
  let next = 1;
  const waiting = new Map<number, (result: unknown) => void>();
  ws.on("message", (data: Buffer) => {
    const msg = JSON.parse(data.toString("utf8")) as { id?: number; result?: unknown };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg.result);
  });
  return (method, params = {}) =>
    new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
}

/** GET `path` `n` times on `conns` keep-alive connections, consuming every body. */
async function drive(url: URL, path: string, n: number, conns: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: conns });
  let left = n;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(new URL(path, url), { agent, headers: { "MF-Original-URL": `https://bench.example${path}` } }, (res) => {
        res.on("data", () => undefined);
        res.on("end", resolve);
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
  const lane = async (): Promise<void> => {
    while (left-- > 0) await one();
  };
  await Promise.all(Array.from({ length: conns }, lane));
  agent.destroy();
}

/** Self time per frame (function, file, line), in µs per request, from a CPU profile. */
function topFrames(profile: Profile, requests: number): { frame: string; usPerRequest: number; share: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0)));
  const byFrame = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (process.env["PROFILE_ALL"] === undefined && (functionName === "(idle)" || functionName === "(program)")) continue;
    const file = url.split("/").pop() ?? "";
    const frame = `${functionName || "(anonymous)"} ${file}${file === "" ? "" : `:${lineNumber + 1}`}`;
    byFrame.set(frame, (byFrame.get(frame) ?? 0) + us);
    total += us;
  }
  const rows = [...byFrame].map(([frame, us]) => ({ frame, usPerRequest: us / requests, share: us / total }));
  rows.push({ frame: "TOTAL JS-visible (excl. idle/program)", usPerRequest: total / requests, share: 1 });
  return rows.sort((a, b) => b.usPerRequest - a.usPerRequest).slice(0, TOP + 1);
}

async function profileOne(script: string, w: Workload, originUrl: string, requests: number): Promise<void> {
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: { ORIGIN_URL: originUrl, ...w.bindings },
    host: "127.0.0.1",
    port: 0,
    inspectorPort: 0,
    handleRuntimeStdio: (out, err) => {
      out.resume();
      err.resume();
    },
  });
  try {
    const url = await mf.ready;
    // Miniflare's inspector proxy: the websocket of the (only, unnamed) user Worker.
    const inspector = new URL("/core:user:", await mf.getInspectorURL());
    await drive(url, w.path, Math.min(requests, 300), 4); // warm-up: JIT and memo
    const ws = new WebSocket(inspector);
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const send = cdp(ws);
    await send("Profiler.enable");
    await send("Profiler.setSamplingInterval", { interval: 50 });
    await send("Profiler.start");
    await drive(url, w.path, requests, 4);
    const { profile } = (await send("Profiler.stop")) as { profile: Profile };
    ws.close();
    console.log(`\n${w.name} (${requests} requests of ${w.path}; self time per request, sampled every 50 µs)`);
    for (const row of topFrames(profile, requests)) {
      console.log(`  ${row.usPerRequest.toFixed(2).padStart(8)} µs  ${(row.share * 100).toFixed(1).padStart(5)}%  ${row.frame}`);
    }
  } finally {
    await mf.dispose();
  }
}

async function main(): Promise<void> {
  const origin = await startOrigin();
  const pages = await startPages();
  try {
    const ours = await bundleWorker(ENTRY);
    const workloads: [Workload, string][] = [
      [{ name: "non-nonce, 2 KiB HTML", bindings: {}, path: "/page?kb=2" }, origin.url],
      [{ name: "non-nonce, 1 KiB JSON", bindings: {}, path: "/json?kb=1" }, origin.url],
      [{ name: "marked, 2 KiB", bindings: { POLICY: NONCE_POLICIES.marked, NONCE_MARKER: MARKER }, path: "/small" }, pages.url],
      [{ name: "marked, 1 MiB / 2,000 tags", bindings: { POLICY: NONCE_POLICIES.marked, NONCE_MARKER: MARKER }, path: "/big" }, pages.url],
      [{ name: "blanket, 2 KiB", bindings: { POLICY: NONCE_POLICIES.blanket }, path: "/small" }, pages.url],
      [{ name: "blanket, 1 MiB / 2,000 tags", bindings: { POLICY: NONCE_POLICIES.blanket }, path: "/big" }, pages.url],
    ];
    const only = values.only?.split(",");
    for (const [w, originUrl] of workloads) {
      if (only !== undefined && !only.some((o) => w.name.startsWith(o))) continue;
      await profileOne(ours, w, originUrl, w.path === "/big" ? Math.max(20, Math.floor(REQUESTS / 10)) : REQUESTS);
    }
  } finally {
    await pages.close();
    await origin.close();
  }
}

await main();
