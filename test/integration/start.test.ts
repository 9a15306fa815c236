// `npm start` end to end: scripts/start.ts brings up the demo origin and wrangler dev, serves the demo
// through the Worker, and takes everything down again on Ctrl+C or a supervisor's SIGTERM.

import { spawn, type ChildProcess } from "node:child_process";
import { connect, createServer, type AddressInfo, type Server } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stripAnsi } from "../../bin/support/printable.js";
import { uploadExpectingContinue } from "../support/expect-upload.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The first start bundles the Worker and boots workerd twice (wrangler's proxy and the Worker). */
const BANNER_TIMEOUT_MS = 120_000;
const REQUEST_TIMEOUT_MS = 20_000;
const EXIT_TIMEOUT_MS = 30_000;
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
class Output {
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

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Wait for the process to exit, at most `timeoutMs`; true if it did. */
function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
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
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** Poll until every process of the group has gone, at most `timeoutMs`; true if they did. */
async function waitForGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  return true;
}

/** True if a TCP connection to 127.0.0.1:port is refused (nothing listens there any more). */
function connectionRefused(port: number): Promise<boolean> {
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

interface Started {
  readonly child: ChildProcess;
  readonly output: Output;
  readonly workerUrl: string;
  readonly originPort: number;
  readonly workerPort: number;
}

/** Every process group this file started, so that afterAll can reach whatever is left. */
const groups = new Set<ChildProcess>();

/**
 * Run the start script on free ports, as the leader of its own process group (so that a signal can reach the
 * whole tree the way Ctrl+C does, and cleanup reaches wrangler and workerd even if the tree breaks apart),
 * and wait for its banner.
 */
async function startDemo(command: string, args: readonly string[]): Promise<Started> {
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
  const open = await output.waitFor(/Open\s+(http:\/\/\S+)/, BANNER_TIMEOUT_MS);
  const origin = await output.waitFor(/Origin\s+http:\/\/127\.0\.0\.1:(\d+)\//, 1_000);
  await output.waitFor(/Stop with Ctrl\+C/, 1_000);
  return { child, output, workerUrl: open[1] ?? "", originPort: Number(origin[1]), workerPort: port };
}

/** Kill what is left of a group started here, and wait (bounded) for it to go. */
async function killGroup(child: ChildProcess): Promise<void> {
  if (child.pid !== undefined && groupAlive(child.pid)) {
    process.kill(-child.pid, "SIGKILL");
    await waitForGroupGone(child.pid, 10_000);
  }
  await waitForExit(child, 5_000);
  groups.delete(child);
}

/** After a stop signal: the process exits, nothing of its group survives, and both ports are closed. */
async function expectStopped(started: Started): Promise<void> {
  const { child, output, originPort, workerPort } = started;
  const pid = child.pid;
  if (pid === undefined) throw new Error("no pid");
  expect(await waitForExit(child, EXIT_TIMEOUT_MS), `still running after the signal:\n${output.tail()}`).toBe(true);
  const gone = await waitForGroupGone(pid, EXIT_TIMEOUT_MS);
  expect(gone, `wrangler or workerd outlived the start script:\n${output.tail()}`).toBe(true);
  expect(await connectionRefused(originPort), "the demo origin still accepts connections").toBe(true);
  expect(await connectionRefused(workerPort), "the Worker still accepts connections").toBe(true);
}

afterAll(async () => {
  for (const child of [...groups]) await killGroup(child);
});

describe("npm start", () => {
  let started: Started | undefined;
  const running = (): Started => {
    if (started === undefined) throw new Error("npm start did not come up (see beforeAll)");
    return started;
  };
  const get = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(new URL(path, running().workerUrl), { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });

  beforeAll(async () => {
    started = await startDemo("npx", ["tsx", "scripts/start.ts"]);
  }, BANNER_TIMEOUT_MS + 10_000);

  it("prints the URL to open, the curl line and every demo path", () => {
    const { output, workerUrl, workerPort } = running();
    expect(workerUrl).toBe(`http://127.0.0.1:${workerPort}/`);
    expect(output.tail(200)).toContain(`curl -sI ${workerUrl}weak-headers`);
    for (const path of [
      "/api/data.json",
      "/slow",
      "/missing",
      "/error",
      "/old-page",
      "/cookies",
      "/weak-headers",
      "/embed/widget",
      "/login",
    ]) {
      expect(output.tail(200)).toMatch(new RegExp(`^\\s+${path.replace(/[.]/g, "\\.")}\\s`, "m"));
    }
  });

  it("serves the index through the Worker with a CSP and X-Frame-Options: DENY", async () => {
    const res = await get("/");
    const body = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html\b/);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    // The demo origin's page, and it knows it was reached through the Worker.
    expect(body).toContain("through the Worker");
  });

  it("leaves one valid X-Frame-Options and strips the leak headers and HSTS on /weak-headers", async () => {
    const res = await get("/weak-headers");
    await res.text();
    expect(res.status).toBe(200);
    // Two origin lines would arrive joined ("DENY, SAMEORIGIN"): exactly "DENY" means one line, one value.
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.has("x-powered-by")).toBe(false);
    expect(res.headers.has("x-aspnet-version")).toBe(false);
    // Plain http: HSTS is never sent, not even the origin's own.
    expect(res.headers.has("strict-transport-security")).toBe(false);
    // What the page says about Referrer-Policy: a valid origin value wins under the `default` action.
    expect(res.headers.get("referrer-policy")).toBe("unsafe-url");
  });

  it("keeps both Set-Cookie headers on /cookies", async () => {
    const res = await get("/cookies");
    await res.text();
    expect(res.status).toBe(200);
    const cookies = res.headers.getSetCookie();
    expect(cookies).toHaveLength(2);
    expect(cookies).toContain("demo_theme=dark; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT; SameSite=Lax");
  });

  it("passes the 302 of /old-page through without following it", async () => {
    const res = await get("/old-page", { redirect: "manual" });
    await res.text();
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
  });

  it("serves the per-path rules seeded into the local KV from examples/policy.json", async () => {
    const embed = await get("/embed/widget");
    await embed.text();
    expect(embed.status).toBe(200);
    expect(embed.headers.has("x-frame-options")).toBe(false);
    expect(embed.headers.get("content-security-policy")).toContain("frame-ancestors https://partner.example.com");
    const login = await get("/login");
    await login.text();
    expect(login.headers.get("cache-control")).toBe("no-store");
    expect(login.headers.get("clear-site-data")).toBe('"cache"');
  });

  it("serves the marked-nonce page with this run's NONCE_MARKER swapped for the CSP's nonce", async () => {
    const res = await get("/nonce");
    const html = await res.text();
    const nonce = /'nonce-([^']+)'/.exec(res.headers.get("content-security-policy") ?? "")?.[1];
    expect(nonce).toBeDefined();
    const marked = [...html.matchAll(/<script nonce="([^"]*)">/g)].map((m) => m[1]);
    expect(marked).toEqual([nonce, "__CSP_NONCE__"]);
  });

  it("answers a 2 MiB upload sent the way curl sends it (Expect: 100-continue) with the demo origin's page", async () => {
    // curl --data-binary @2MB.bin http://127.0.0.1:8787/ answered 502: the origin's 100 Continue came back as the answer.
    const upload = await uploadExpectingContinue(new URL("/", running().workerUrl), [Buffer.alloc(2 * 1024 * 1024, 0x5a)], false, {
      idleTimeoutMs: REQUEST_TIMEOUT_MS,
    });
    expect(upload.status).toBe(200);
    expect(upload.headers["x-frame-options"]).toBe("DENY");
    expect(upload.body.toString("utf8")).toContain("through the Worker");
  });

  it("stops wrangler and the demo origin on Ctrl+C (SIGINT to the process group)", async () => {
    const current = running();
    const pid = current.child.pid;
    if (pid === undefined) throw new Error("no pid");
    expect(await connectionRefused(current.originPort)).toBe(false);
    // npm does not pass a signal on to its script (there is a `sh -c` in between): a terminal signals the
    // whole foreground group, so wrangler gets SIGINT from the terminal and from the script, both harmless.
    process.kill(-pid, "SIGINT");
    await expectStopped(current);
  });
});

describe("the start script under a supervisor", () => {
  it("passes SIGTERM on to wrangler when only the script is signalled", async () => {
    // tsx relays signals to the script it runs; nothing else signals wrangler, so only forwarding stops it.
    const current = await startDemo(join(ROOT, "node_modules", ".bin", "tsx"), ["scripts/start.ts"]);
    try {
      const pid = current.child.pid;
      if (pid === undefined) throw new Error("no pid");
      process.kill(pid, "SIGTERM");
      await expectStopped(current);
    } finally {
      await killGroup(current.child);
    }
  });
});
