// Running the demo (`npm start` and its script) as a test does: on free ports, as the leader of its own
// process group, reading its output for the banner; and stopping whatever is left of it.

import { spawn, type ChildProcess } from "node:child_process";
import { connect, createServer, type AddressInfo, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import { stripAnsi } from "../../bin/support/printable.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The first start bundles the Worker and boots workerd twice (wrangler's proxy and the Worker). */
export const BANNER_TIMEOUT_MS = 120_000;
export const REQUEST_TIMEOUT_MS = 20_000;
export const EXIT_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 100;

/** `count` distinct free loopback ports: each is listened on with port 0, then all are closed. */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
      });
    }
    return servers.map((server) => (server.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

/** Everything a child process printed, on both streams, ANSI colours removed. */
export class Output {
  private text = "";
  private readonly waiters = new Set<() => void>();

  constructor(private readonly child: ChildProcess) {
    const append = (chunk: string): void => {
      this.text += stripAnsi(chunk);
      for (const wake of this.waiters) wake();
    };
    child.stdout?.setEncoding("utf8").on("data", append);
    child.stderr?.setEncoding("utf8").on("data", append);
    child.on("exit", () => {
      for (const wake of this.waiters) wake();
    });
  }

  /** The last lines, for failure messages. */
  tail(lines = 40): string {
    return this.text.split("\n").slice(-lines).join("\n");
  }

  /** Resolve with the first match of `pattern`; reject if the process exits first or the time runs out. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise<RegExpExecArray>((resolve, reject) => {
      const check = (): void => {
        const match = pattern.exec(this.text);
        if (match !== null) done(() => resolve(match));
        else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done(() => reject(new Error(`the process exited before printing ${pattern}:\n${this.tail()}`)));
        }
      };
      const timer = setTimeout(() => {
        done(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${this.tail()}`)));
      }, timeoutMs);
      const done = (outcome: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        outcome();
      };
      this.waiters.add(check);
      check();
    });
  }
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Wait for the process to exit, at most `timeoutMs`; true if it did. */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      child.off("exit", onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once("exit", onExit);
  });
}

/** True while any process of the group is alive (the child was spawned as the leader of its own group). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** Poll until every process of the group has gone, at most `timeoutMs`; true if they did. */
export async function waitForGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  return true;
}

/** True if a TCP connection to 127.0.0.1:port is refused (nothing listens there any more). */
export function connectionRefused(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 5_000);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code === "ECONNREFUSED");
    });
  });
}

export interface Started {
  readonly child: ChildProcess;
  readonly output: Output;
  readonly workerUrl: string;
  readonly originPort: number;
  readonly workerPort: number;
}

/** Every process group started here, so that `killAll` can reach whatever is left. */
const groups = new Set<ChildProcess>();

/** Kill what is left of every group started here (for afterAll). */
export async function killAll(): Promise<void> {
  for (const child of [...groups]) await killGroup(child);
}

/**
 * Run the start script on free ports, as the leader of its own process group (so that a signal can reach the
 * whole tree the way Ctrl+C does, and cleanup reaches wrangler and workerd even if the tree breaks apart),
 * and wait for its banner.
 */
export async function startDemo(command: string, args: readonly string[]): Promise<Started> {
  const [port, inspectorPort] = await freePorts(2);
  if (port === undefined || inspectorPort === undefined) throw new Error("no free ports");
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), INSPECTOR_PORT: String(inspectorPort), NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  groups.add(child);
  const output = new Output(child);
  const open = await output.waitFor(/Open\s+(https?:\/\/\S+)/, BANNER_TIMEOUT_MS);
  const origin = await output.waitFor(/Origin\s+http:\/\/127\.0\.0\.1:(\d+)\//, 1_000);
  await output.waitFor(/Stop with Ctrl\+C/, 1_000);
  return { child, output, workerUrl: open[1] ?? "", originPort: Number(origin[1]), workerPort: port };
}

/** Kill what is left of a group started here, and wait (bounded) for it to go. */
export async function killGroup(child: ChildProcess): Promise<void> {
  if (child.pid !== undefined && groupAlive(child.pid)) {
    process.kill(-child.pid, "SIGKILL");
    await waitForGroupGone(child.pid, 10_000);
  }
  await waitForExit(child, 5_000);
  groups.delete(child);
}
