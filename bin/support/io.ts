// The CLI's view of the terminal: where output goes, whether it may be coloured, and the exit statuses.

/** Exit statuses: 0 all good, 1 a defect or invalid input, 2 the command line itself is wrong. */
export const EXIT = { ok: 0, defect: 1, usage: 2 } as const;
export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

/** ANSI styling that becomes the identity when colours are off. */
export interface Style {
  readonly enabled: boolean;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

/** Everything a command may touch besides its arguments, so tests can run commands without a terminal. */
export interface Io {
  /** Results: the report, the document, the explanation. */
  out(text: string): void;
  /** Diagnostics: usage errors, files that cannot be read, a failing wrangler. */
  err(text: string): void;
  /** Styling for `out`. */
  readonly style: Style;
  /** Styling for `err`. */
  readonly errStyle: Style;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

function paint(enabled: boolean, open: number, close: number): (text: string) => string {
  return enabled ? (text) => `\x1b[${open}m${text}\x1b[${close}m` : (text) => text;
}

/** Whether a stream is a terminal. @types/node says `isTTY` is a boolean; it is absent on a pipe or a file. */
export function isTerminal(stream: { readonly isTTY?: boolean }): boolean {
  return stream.isTTY === true;
}

/** A Style: colours only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function createStyle(isTty: boolean, env: Readonly<Record<string, string | undefined>>): Style {
  const enabled = isTty && env.NO_COLOR === undefined;
  return {
    enabled,
    red: paint(enabled, 31, 39),
    green: paint(enabled, 32, 39),
    yellow: paint(enabled, 33, 39),
    dim: paint(enabled, 2, 22),
    bold: paint(enabled, 1, 22),
  };
}

/**
 * A writer for one of this process's streams that goes quiet once the stream fails. A reader that closes
 * the pipe early (`| head -1`) makes the next write fail with EPIPE, emitted as an 'error' event: without a
 * listener Node would crash with a stack trace and exit 1, hiding the command's own status.
 */
export function quietWriter(stream: NodeJS.WritableStream): (text: string) => void {
  let open = true;
  stream.on("error", () => {
    // Nothing more can reach this reader; the command finishes and exits with its own status.
    open = false;
  });
  return (text) => {
    if (open) stream.write(text);
  };
}

/** The Io of this process. */
export function processIo(): Io {
  return {
    out: quietWriter(process.stdout),
    err: quietWriter(process.stderr),
    style: createStyle(isTerminal(process.stdout), process.env),
    errStyle: createStyle(isTerminal(process.stderr), process.env),
    env: process.env,
    cwd: process.cwd(),
  };
}
