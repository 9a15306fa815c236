// Keeps workerd's verbose report of a refused subrequest, which the Workers test pool prints for every such fetch, out of `npm test`'s output.

/*
 * Why a filter and not a test change: @cloudflare/vitest-pool-workers starts workerd with `verbose: true`
 * (hard-coded in its shared Miniflare options; no setting turns it off) and writes every workerd log line to
 * this process's stdout, skipping only a short list of its own. For a fetch() whose connection is refused,
 * verbose workerd logs three lines (two with a stack of addresses), one of them "Uncaught (in promise)", even
 * when the Worker catches the error, as ours does to answer 502. Checked: a Worker that does
 * `try { await fetch("http://127.0.0.1:1/") } catch {}` prints exactly these lines in plain Miniflare with
 * `verbose: true`, and nothing with the default. The worker tests of an unreachable origin must provoke them.
 * Only those three lines, whole, are dropped; anything else workerd or vitest prints still shows.
 */
const REFUSED_FETCH_LINES: readonly RegExp[] = [
  /^exception = kj\/async-io-unix\.c\+\+:\d+: disconnected: connect\(\): Connection refused\nstack:[^\n]*\n$/,
  /^uncaught exception; source = Uncaught \(in promise\); stack = Error: Network connection lost\.\n$/,
  /^uncaught exception; exception = workerd\/jsg\/[^\n]*: disconnected: jsg\.Error: Network connection lost\.\nstack:[^\n]*\n$/,
];

const INSTALLED = Symbol.for("security-headers-worker.pool-log-filter");

/** True for a chunk that is one of workerd's verbose lines for a refused subrequest. */
export function isRefusedFetchLine(chunk: unknown): boolean {
  return typeof chunk === "string" && REFUSED_FETCH_LINES.some((line) => line.test(chunk));
}

/** Drop the pool's copies of those lines from process.stdout (once, however often the config loads). */
export function dropRefusedFetchLines(): void {
  const stdout = process.stdout as NodeJS.WriteStream & { [INSTALLED]?: true };
  if (stdout[INSTALLED] === true) return;
  stdout[INSTALLED] = true;
  const write = stdout.write.bind(stdout) as (...args: unknown[]) => boolean;
  stdout.write = (...args: unknown[]): boolean => {
    if (!isRefusedFetchLine(args[0])) return write(...args);
    const done = args.find((arg): arg is () => void => typeof arg === "function");
    if (done !== undefined) queueMicrotask(done);
    return true;
  };
}
