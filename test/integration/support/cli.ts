// Run the real CLI (`node bin/security-headers-worker.js`) as a child process, bounded, without blocking
// this process (an origin under test may live here), and capture what a user would see.

import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const CLI = join(ROOT, "bin", "security-headers-worker.js");
export const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
export const EXAMPLE = join(ROOT, "examples", "policy.json");
/**
 * A CLI run that loads tsx and maybe runs wrangler; generous, but bounded. A push through the real local
 * wrangler passed 60 s on a 2-core machine at load 17 (wrangler kv calls of 90-130 s were seen there).
 */
export const CLI_TIMEOUT_MS = 120_000;

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Variables to set (undefined unsets one) over this process's environment. */
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  /** Close our end of the child's stdout (or stderr) at once, as `| head -0` would: its writes then fail with EPIPE. */
  readonly closeStdout?: boolean;
  readonly closeStderr?: boolean;
}

/** Run the CLI with these arguments and wait for it to exit, within CLI_TIMEOUT_MS. */
export function cli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  const merged: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", SHW_WRANGLER: WRANGLER, ...options.env };
  // An undefined value unsets the variable in the child.
  const childEnv = Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return new Promise<CliRun>((resolve, reject) => {
    // Its own process group, so that a timeout stops wrangler too: a SIGKILL to the CLI alone left the
    // wrangler it was running orphaned (seen after a 60 s timeout on a loaded machine).
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    if (options.closeStdout === true) child.stdout.destroy();
    else child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    if (options.closeStderr === true) child.stderr.destroy();
    else child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      try {
        if (child.pid === undefined) child.kill("SIGKILL");
        else process.kill(-child.pid, "SIGKILL");
      } catch {
        // The group is gone already (it ended as the timer fired): nothing is left to stop.
      }
      reject(new Error(`the CLI did not finish within ${CLI_TIMEOUT_MS} ms: ${args.join(" ")}\n${stdout}\n${stderr}`));
    }, CLI_TIMEOUT_MS);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Parse the CLI's --json output, as the shape the caller names. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- a typed JSON.parse: T is the caller's claim
export function json<T>(run: CliRun): T {
  return JSON.parse(run.stdout) as T;
}
