// `wrangler dev` as `npm start` runs it (its own proxy layer in front of the Worker), on free loopback
// ports, as the leader of its own process group so that a stop reaches wrangler and both workerds.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stripAnsi } from "../../../bin/support/printable.js";
import { socketCount, workerdDescendants } from "./workerd-process.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const WRANGLER_BIN = join(ROOT, "node_modules", ".bin", "wrangler");
/** Bundling and two workerd boots; slow on a loaded machine. */
const READY_TIMEOUT_MS = 120_000;

export interface WranglerDev {
  /** http://127.0.0.1:PORT/ */
  readonly url: URL;
  /** Everything wrangler printed so far, ANSI colours removed. */
  output(): string;
  /** The Worker's JSON log lines so far, parsed. */
  events(): Record<string, unknown>[];
  /** Sockets held by this wrangler's workerd processes (its proxy and the Worker). */
  sockets(): number;
  /** Kill the whole process group, and remove the local state directory. */
  stop(): Promise<void>;
}

/** `count` distinct loopback ports that were free a moment ago. */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    }
    return servers.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** Start `wrangler dev` with these `--var NAME:VALUE` settings (none: the shipped wrangler.toml as it is). */
export async function startWranglerDev(vars: Readonly<Record<string, string>> = {}): Promise<WranglerDev> {
  const [port, inspectorPort] = await freePorts(2);
  if (port === undefined || inspectorPort === undefined) throw new Error("no free ports");
  const persistTo = await mkdtemp(join(tmpdir(), "shw-wrangler-dev-"));
  const args = ["dev", ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`])];
  args.push("--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort), "--persist-to", persistTo);
  const child: ChildProcess = spawn(WRANGLER_BIN, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: { ...process.env, NO_COLOR: "1" },
  });
  let text = "";
  const append = (chunk: string): void => {
    text += stripAnsi(chunk);
  };
  child.stdout?.setEncoding("utf8").on("data", append);
  child.stderr?.setEncoding("utf8").on("data", append);
  const stop = async (): Promise<void> => {
    const pid = child.pid;
    if (pid !== undefined && groupAlive(pid)) process.kill(-pid, "SIGKILL");
    for (let i = 0; pid !== undefined && groupAlive(pid) && i < 100; i++) await new Promise((r) => setTimeout(r, 100));
    await rm(persistTo, { recursive: true, force: true });
  };
  try {
    await waitForReady(child, () => text, READY_TIMEOUT_MS);
  } catch (error) {
    await stop();
    throw error;
  }
  const pid = child.pid ?? 0;
  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    output: () => text,
    events: () => jsonLines(text),
    sockets: () => workerdDescendants(pid).reduce((n, p) => n + socketCount(p), 0),
    stop,
  };
}

async function waitForReady(child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!/Ready on http/.test(output())) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`wrangler dev exited before it was ready:\n${output().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`wrangler dev was not ready within ${timeoutMs} ms:\n${output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The JSON objects printed one per line (wrangler prefixes the Worker's console.error lines with a marker). */
function jsonLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    const start = line.indexOf('{"level"');
    if (start === -1) continue;
    try {
      out.push(JSON.parse(line.slice(start).trim()) as Record<string, unknown>);
    } catch {
      // A line that only looks like one of ours.
    }
  }
  return out;
}
