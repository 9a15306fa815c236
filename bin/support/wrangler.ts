// Running wrangler for the KV commands: which binary, the shared flags, and spawning it with an args
// array (never a shell string, so a key or path with spaces or quotes stays one argument).

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { kvKeyProblem } from "../../src/core/policy/parse-env.js";
import { renderReceived } from "../../src/core/shared/result.js";
import { CommandError, UsageError } from "./command.js";
import { stripAnsi } from "./printable.js";

/** The KV binding the Worker reads its policy document from (wrangler.toml). */
export const KV_BINDING = "POLICY_KV";

/** Environment variable naming the wrangler binary to run (tests point it at a local copy). */
export const WRANGLER_ENV = "SHW_WRANGLER";

/** A KV operation that takes longer than this is stopped: remote calls are slow, not this slow. */
const WRANGLER_TIMEOUT_MS = 120_000;

const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The wrangler to run: $SHW_WRANGLER, else the project's node_modules/.bin/wrangler, else this package's. */
export function wranglerBinary(env: Readonly<Record<string, string | undefined>>, cwd: string): string {
  const configured = env[WRANGLER_ENV];
  if (configured !== undefined && configured !== "") return configured;
  const local = join(cwd, "node_modules", ".bin", "wrangler");
  return existsSync(local) ? local : join(PACKAGE_ROOT, "node_modules", ".bin", "wrangler");
}

/** The flags push and pull share. */
export interface KvTarget {
  readonly key: string;
  /** The wrangler environment ("" for the top level), as --env passes it on. */
  readonly env: string | undefined;
  /** The wrangler configuration file, as --config passes it on. */
  readonly config: string | undefined;
  readonly location: "local" | "remote" | undefined;
  readonly persistTo: string | undefined;
}

/** parseArgs options for KvTarget. */
export const KV_TARGET_OPTIONS = {
  env: { type: "string", short: "e" },
  config: { type: "string", short: "c" },
  local: { type: "boolean" },
  remote: { type: "boolean" },
  key: { type: "string" },
  "persist-to": { type: "string" },
} as const;

/** Check the shared flags for contradictions and build the target. */
export function kvTarget(
  values: {
    env?: string | undefined;
    config?: string | undefined;
    local?: boolean | undefined;
    remote?: boolean | undefined;
    key?: string | undefined;
    "persist-to"?: string | undefined;
  },
  defaultKey: string,
): KvTarget {
  if (values.local === true && values.remote === true) throw new UsageError("--local and --remote: choose one");
  const persistTo = values["persist-to"];
  if (persistTo !== undefined && values.remote === true) {
    throw new UsageError(`--persist-to ${JSON.stringify(persistTo)}: local storage only, not with --remote`);
  }
  const key = values.key ?? defaultKey;
  const problem = kvKeyProblem(key);
  if (problem !== undefined) throw new UsageError(`--key: expected ${problem}, received ${renderReceived(key)}`);
  const env = values.env;
  if (env !== undefined && !/^[A-Za-z0-9_-]*$/.test(env)) {
    throw new UsageError(
      `--env: expected an environment name from wrangler.toml (letters, digits, _ and -; "" for the top level), received ${JSON.stringify(env)}`,
    );
  }
  return {
    key,
    env,
    config: values.config,
    location: values.remote === true ? "remote" : values.local === true ? "local" : undefined,
    persistTo,
  };
}

/** The wrangler flags that choose the namespace and its storage. */
export function targetFlags(target: KvTarget): string[] {
  const flags = ["--binding", KV_BINDING];
  if (target.env !== undefined) flags.push("--env", target.env);
  if (target.config !== undefined) flags.push("--config", target.config);
  if (target.location !== undefined) flags.push(`--${target.location}`);
  if (target.persistTo !== undefined) flags.push("--persist-to", target.persistTo);
  return flags;
}

/** Where the document lives, in words: `key "policy" in POLICY_KV (local, .wrangler/state)`. */
export function describeTarget(target: KvTarget): string {
  const where = [
    target.location ?? (target.persistTo === undefined ? "wrangler's default storage, local in wrangler 4" : "local"),
    ...(target.persistTo === undefined ? [] : [target.persistTo]),
    ...(target.env === undefined ? [] : [target.env === "" ? "top-level env" : `env ${target.env}`]),
  ];
  return `key ${JSON.stringify(target.key)} in ${KV_BINDING} (${where.join(", ")})`;
}

export interface WranglerRun {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Run wrangler with these arguments in `cwd` (where wrangler.toml is), capturing its output. */
export function runWrangler(
  binary: string,
  args: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<WranglerRun> {
  return new Promise<WranglerRun>((resolve, reject) => {
    // WRANGLER_LOG=log: wrangler prints "Value not found" and key lists through its logger, which a
    // quieter level in the user's environment would silence.
    const child = spawn(binary, [...args], { cwd, env: { ...env, WRANGLER_LOG: "log" }, stdio: ["ignore", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill("SIGTERM"), WRANGLER_TIMEOUT_MS);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new CommandError(`cannot run wrangler (${binary}): ${error.message}; install it (npm install) or set ${WRANGLER_ENV}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const err = Buffer.concat(stderr).toString("utf8");
      if (signal !== null) {
        reject(
          new CommandError(`wrangler ${args.slice(0, 3).join(" ")} was stopped (${signal}) after ${WRANGLER_TIMEOUT_MS / 1000} s\n${err}`),
        );
        return;
      }
      resolve({ code: code ?? 1, stdout: Buffer.concat(stdout), stderr: err });
    });
  });
}

/** wrangler's output without ANSI colours, for error messages. */
export function plainOutput(run: WranglerRun): string {
  return stripAnsi(`${run.stdout.toString("utf8")}${run.stderr}`).trim();
}
