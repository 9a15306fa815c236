// What a CLI command is, how its arguments are read (node:util parseArgs), and the two kinds of failure.

import { parseArgs, type ParseArgsConfig } from "node:util";
import { suggest } from "../../src/core/shared/result.js";
import type { ExitStatus, Io } from "./io.js";
import { errorMessage } from "../../src/core/shared/text.js";

/** The command line is wrong (unknown flag, missing argument, bad number): exit 2 with the usage. */
export class UsageError extends Error {}

/** The command could not do its work (unreadable file, wrangler failed, host unreachable): exit 1. */
export class CommandError extends Error {}

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig["options"]>;

export interface Command {
  readonly name: string;
  /** One line for the tool's help. */
  readonly summary: string;
  /** The command's own --help text. */
  readonly help: string;
  run(args: readonly string[], io: Io): Promise<ExitStatus>;
}

/**
 * Parse a command's arguments strictly: an unknown flag (with the likely one, when it is a near miss) or
 * a missing flag value is a UsageError.
 */
export function parseCommandLine<const O extends ParseArgsOptionsConfig>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    let unknown: string | undefined;
    try {
      unknown = unknownOption(args, options);
    } catch {
      // Arguments even the lenient parse refuses: parseArgs' own message below says why.
    }
    if (unknown !== undefined) throw new UsageError(unknown);
    throw new UsageError(errorMessage(error));
  }
}

/** "unknown option --jsn (did you mean --json?)" for the first option these arguments do not define. */
function unknownOption(args: readonly string[], options: ParseArgsOptionsConfig): string | undefined {
  const { tokens } = parseArgs({ args: [...args], options, allowPositionals: true, strict: false, tokens: true });
  const shorts = new Set(Object.values(options).flatMap((o) => (o.short === undefined ? [] : [o.short])));
  const token = tokens.find((t) => t.kind === "option" && !(t.name in options) && !shorts.has(t.name));
  if (token === undefined || token.kind !== "option") return undefined;
  const hit = suggest(token.name, Object.keys(options));
  return `unknown option ${token.rawName}${hit === undefined ? "" : ` (did you mean --${hit}?)`}`;
}

/** The positional arguments by name; too few or too many is a UsageError naming what was expected. */
export function takePositionals(positionals: readonly string[], names: readonly string[]): string[] {
  if (positionals.length < names.length) {
    const missing = names
      .slice(positionals.length)
      .map((n) => `<${n}>`)
      .join(" ");
    throw new UsageError(`missing ${missing}`);
  }
  if (positionals.length > names.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[names.length])}`);
  }
  return [...positionals];
}

/** A whole number from a flag, within bounds; anything else is a UsageError naming the flag and the value. */
export function integerOption(flag: string, raw: string | undefined, min: number, max: number, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag}: expected a whole number from ${min} to ${max}, received ${JSON.stringify(raw)}`);
  }
  return n;
}
