// `npm start`: the demo origin, the Worker in wrangler dev in front of it, and a banner saying what to open.

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { constants as osConstants } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { startDemoOrigin, type DemoOrigin } from "../demo/origin.js";
import { createMarker } from "../src/core/nonce/nonce-marker.js";
import { banner } from "./demo-banner.js";
import { DemoStateError, seedLocalState, seedMessage } from "./demo-state.js";
import { isTerminal } from "../bin/support/io.js";
import { stripAnsi } from "../bin/support/printable.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER_BIN = join(ROOT, "node_modules", ".bin", "wrangler");
/** Local state (KV, D1) lives here; `wrangler kv|d1 … --persist-to` must use the same directory. */
const PERSIST_TO = ".wrangler/state";
/** The first run bundles the Worker and starts workerd; a slow machine needs tens of seconds. */
const READY_TIMEOUT_MS = 90_000;
/** After a signal, how long wrangler gets to stop before it is killed. */
const STOP_GRACE_MS = 10_000;
/** How often the script checks that the process that started it (npm) is still there. */
const PARENT_CHECK_MS = 1000;
/** Every signal that ends this process by default and can be caught: each one stops everything it started. */
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const;

interface StartSettings {
  readonly port: number;
  readonly inspectorPort: number;
  readonly persistTo: string;
  /** The report summary's token for this run only: the demo's collector data is local and throw-away. */
  readonly reportsToken: string;
  /** The nonce marker for this run only (NONCE_MARKER): the demo origin marks its /nonce script with it. */
  readonly nonceMarker: string;
  /** https (the default: Chromium sends CSP reports only from secure pages), or http with --http. */
  readonly https: boolean;
  /** Seed the local KV's policy document even when one is there (--reset). */
  readonly reset: boolean;
}

/** A failure with a message meant for the person running `npm start`, not a stack trace. */
class StartError extends Error {}

function parsePort(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) {
    throw new StartError(`${name} must be a port number from 1 to 65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

/** The settings for this run, from the command line (--reset, --http), the environment (PORT, INSPECTOR_PORT) and the defaults. */
function readSettings(): StartSettings {
  let flags: { reset?: boolean; http?: boolean };
  try {
    flags = parseArgs({
      args: process.argv.slice(2),
      options: { reset: { type: "boolean" }, http: { type: "boolean" } },
      strict: true,
    }).values;
  } catch (error) {
    throw new StartError(
      `${error instanceof Error ? error.message : String(error)}; npm start takes --reset (seed the local KV again) and --http (no https)`,
    );
  }
  const port = parsePort("PORT", 8787);
  const inspectorPort = parsePort("INSPECTOR_PORT", 9229);
  if (port === inspectorPort) throw new StartError(`PORT and INSPECTOR_PORT must differ (both are ${port})`);
  return {
    port,
    inspectorPort,
    persistTo: PERSIST_TO,
    reportsToken: randomBytes(24).toString("base64url"),
    nonceMarker: createMarker(),
    https: flags.http !== true,
    reset: flags.reset === true,
  };
}

/** Run a one-off wrangler command to completion: its stdout is returned, its errors reach the terminal. */
async function runWranglerCommand(args: readonly string[], what: string): Promise<string> {
  let stdout = "";
  const code = await new Promise<number>((resolve, reject) => {
    // No stdin: wrangler then takes the default answer to its confirmation prompts.
    const child = spawn(WRANGLER_BIN, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.once("error", reject);
    child.once("close", (status) => resolve(status ?? 1));
  });
  if (code !== 0) throw new StartError(`${what} failed: wrangler ${args.join(" ")} exited with ${code}`);
  return stdout;
}

/** The wrangler dev command line: the Worker on loopback, proxying to the demo origin. */
function wranglerDevArgs(settings: StartSettings, originUrl: string): string[] {
  return [
    "dev",
    "--var",
    `ORIGIN_URL:${originUrl}`,
    // The demo shows CSP reports: the collector on, and a summary token that lives as long as this run.
    "--var",
    "REPORTS_ENABLED:true",
    "--var",
    `REPORTS_TOKEN:${settings.reportsToken}`,
    // The secret marker of marked nonces, drawn for this run (deployed Workers: `wrangler secret put NONCE_MARKER`).
    "--var",
    `NONCE_MARKER:${settings.nonceMarker}`,
    // HSTS off: over https a browser would remember it for localhost, a year long, and upgrade every local dev server.
    "--var",
    'POLICY:{"hsts":false}',
    ...(settings.https ? ["--local-protocol", "https"] : []),
    "--ip",
    "127.0.0.1",
    "--port",
    String(settings.port),
    "--inspector-port",
    String(settings.inspectorPort),
    "--persist-to",
    settings.persistTo,
  ];
}

const READY_LINE = /Ready on (https?:\/\/\S+)/;

/**
 * Forward wrangler's output to ours, and resolve with the URL from its "Ready on" line. Rejects if wrangler
 * exits, fails to spawn, or stays silent about readiness past the timeout.
 */
function waitForReady(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let pending = "";
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.off("exit", onExit);
      child.off("error", onError);
      outcome();
    };
    const scan = (chunk: string): void => {
      if (settled) return;
      pending += stripAnsi(chunk);
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const match = READY_LINE.exec(line);
        if (match?.[1] !== undefined) {
          const url = match[1];
          finish(() => resolve(url.endsWith("/") ? url : `${url}/`));
          return;
        }
      }
    };
    child.stdout?.on("data", (chunk: string) => {
      process.stdout.write(chunk);
      scan(chunk);
    });
    child.stderr?.on("data", (chunk: string) => {
      process.stderr.write(chunk);
      scan(chunk);
    });
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      const how = signal === null ? `exited with code ${code ?? "unknown"}` : `was stopped by ${signal}`;
      finish(() =>
        reject(
          new StartError(
            `wrangler dev ${how} before it was ready (its output is above). If a port is taken, choose others: ` +
              "PORT=8788 INSPECTOR_PORT=9230 npm start",
          ),
        ),
      );
    };
    const onError = (error: Error): void => {
      finish(() => reject(new StartError(`could not run ${WRANGLER_BIN}: ${error.message}. Did \`npm install\` finish?`)));
    };
    const timer = setTimeout(() => {
      finish(() => reject(new StartError(`wrangler dev did not print "Ready on …" within ${timeoutMs / 1000} s (its output is above)`)));
    }, timeoutMs);
    child.once("exit", onExit);
    child.once("error", onError);
  });
}

/** A shell's exit code for a process ended by `signal`: 128 + its number (0 where this platform lacks it). */
function signalExitCode(signal: NodeJS.Signals): number {
  // @types/node lists every signal of every platform; this one's table may lack some.
  const numbers: Partial<Record<NodeJS.Signals, number>> = osConstants.signals;
  return 128 + (numbers[signal] ?? 0);
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  if (signal !== null) return signalExitCode(signal);
  return 1;
}

/** Start `wrangler dev` in front of the origin; its output is piped so that readiness can be read from it. */
function spawnWrangler(settings: StartSettings, originUrl: string): ChildProcess {
  const child = spawn(WRANGLER_BIN, wranglerDevArgs(settings, originUrl), {
    cwd: ROOT,
    // No stdin: wrangler's hotkeys need a terminal on both ends, and Ctrl+C reaches it as a signal anyway.
    stdio: ["ignore", "pipe", "pipe"],
    // wrangler sees pipes, not a terminal: keep its colours when ours is one.
    env: isTerminal(process.stdout) && process.env.NO_COLOR === undefined ? { ...process.env, FORCE_COLOR: "1" } : process.env,
  });
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  return child;
}

function isRunning(child: ChildProcess | undefined): child is ChildProcess {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Call `onGone` once the process that started this one has gone (this one was handed to init or a subreaper). */
function watchParent(onGone: () => void): NodeJS.Timeout {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, PARENT_CHECK_MS);
  timer.unref();
  return timer;
}

/** Run the demo until wrangler exits; resolves with the exit code for this process. */
async function run(): Promise<number> {
  const settings = readSettings();
  const origin: DemoOrigin = await startDemoOrigin(0, settings.nonceMarker);
  let child: ChildProcess | undefined;
  let stopSignal: NodeJS.Signals | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (signal: NodeJS.Signals): void => {
    if (!isRunning(child)) return;
    child.kill(signal);
    // Last resort if wrangler hangs while stopping.
    killTimer ??= setTimeout(() => child?.kill("SIGKILL"), STOP_GRACE_MS);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    // On Ctrl+C the terminal signals wrangler too; forwarding once more is harmless, and it is what stops
    // wrangler when only this process was signalled (a supervisor, a test, `kill`).
    stopSignal ??= signal;
    stop(signal);
  };
  // Read through a call: a signal may arrive at any await, which TypeScript's narrowing does not see.
  const stoppedBy = (): NodeJS.Signals | undefined => stopSignal;
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  // npm passes SIGINT and SIGTERM on to this script (package.json execs it, so no shell sits between them),
  // but not SIGHUP or SIGKILL: when npm goes without a word, this script stops everything itself.
  const parentWatch = watchParent(() => onSignal("SIGTERM"));
  // If this process ends in an unforeseen way, do not leave wrangler running behind it. SIGTERM, not
  // SIGKILL: wrangler's launcher passes SIGTERM on to wrangler itself, which then stops workerd.
  process.on("exit", () => {
    if (isRunning(child)) child.kill("SIGTERM");
  });

  try {
    // Local state that wrangler dev reads: written before wrangler dev starts, into the same directory.
    const seeded = await seedLocalState({ root: ROOT, persistTo: settings.persistTo, reset: settings.reset, run: runWranglerCommand });
    process.stdout.write(`${seedMessage(seeded)}\nApplied the D1 migrations (migrations/) to the local REPORTS_DB.\n`);
    const beforeWrangler = stoppedBy();
    if (beforeWrangler !== undefined) return signalExitCode(beforeWrangler);

    child = spawnWrangler(settings, origin.url);
    const running = child;
    const closed = new Promise<number>((resolve) => {
      running.once("close", (code, signal) => resolve(exitCodeOf(code, signal)));
    });

    let workerUrl: string;
    try {
      workerUrl = await waitForReady(running, READY_TIMEOUT_MS);
    } catch (error) {
      stop("SIGTERM");
      if (running.pid !== undefined) await closed;
      // Stopped on purpose before it was ready: not a failure worth a message.
      const stopped = stoppedBy();
      if (stopped !== undefined) return signalExitCode(stopped);
      throw error;
    }
    process.stdout.write(banner({ workerUrl, originUrl: origin.url, reportsToken: settings.reportsToken, https: settings.https }));
    return await closed;
  } finally {
    clearInterval(parentWatch);
    if (killTimer !== undefined) clearTimeout(killTimer);
    await origin.close();
  }
}

try {
  process.exitCode = await run();
} catch (error) {
  // A StartError is for the person at the terminal; anything else is a bug here, so show its stack.
  const reason =
    error instanceof StartError || error instanceof DemoStateError
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  process.stderr.write(`\nnpm start failed: ${reason}\n`);
  process.exitCode = 1;
}
