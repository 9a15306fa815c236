// Run the CLI's main() in-process with a captured Io: fast tests of what a command prints and returns.

import { main } from "../../bin/cli.js";
import { createStyle, type Io } from "../../bin/support/io.js";

export interface CapturedIo extends Io {
  stdout: string;
  stderr: string;
}

/** An Io that records what a command writes; colours off unless asked for. */
export function captureIo(options: { env?: Record<string, string | undefined>; cwd?: string; colour?: boolean } = {}): CapturedIo {
  const colour = options.colour === true;
  const io: CapturedIo = {
    stdout: "",
    stderr: "",
    out(text) {
      io.stdout += text;
    },
    err(text) {
      io.stderr += text;
    },
    style: createStyle(colour, {}),
    errStyle: createStyle(colour, {}),
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
  };
  return io;
}

/** Run the CLI with these arguments; the exit status and everything printed. */
export async function runMain(
  args: readonly string[],
  options: Parameters<typeof captureIo>[0] = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIo(options);
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}
