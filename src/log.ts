// The Worker's one structured log: a JSON object per line, info to console.log and warnings and errors to
// console.error (Workers Logs keeps both, with their level), and one way to describe an error in a line.

/** One log line: its level, the event it reports (`origin.timeout`, `csp.report`, …) and its fields. */
export interface LogFields {
  readonly level: "info" | "warn" | "error";
  readonly event: string;
  readonly [field: string]: unknown;
}

/** Longest error text a log line carries: a line stays readable, and a hostile message stays small. */
const ERROR_TEXT_MAX = 300;

/** Write one structured log line. */
export function log(fields: LogFields): void {
  const line = JSON.stringify(fields);
  if (fields.level === "info") console.log(line);
  else console.error(line);
}

/** One `worker.fault` line: the stage of the Worker that failed, the request, and the error. */
export function logFault(stage: string, request: Request, error: unknown): void {
  log({
    level: "error",
    event: "worker.fault",
    stage,
    method: request.method,
    path: new URL(request.url).pathname,
    error: describeError(error),
  });
}

/** An error as short text for a log line: its class and message (`TypeError: …`), at most 300 characters. */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, ERROR_TEXT_MAX);
}
