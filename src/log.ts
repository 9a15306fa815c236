// The Worker's one structured log: a JSON object per line, info to console.log and warnings and errors to
// console.error (Workers Logs keeps both, with their level), and one way to describe an error in a line.
// No line carries a secret the configuration named (registerSecrets).

import { isScrubbable, redactedMarker } from "./core/nonce/nonce-marker.js";

/** One log line: its level, the event it reports (`origin.timeout`, `csp.report`, …) and its fields. */
export interface LogFields {
  readonly level: "info" | "warn" | "error";
  readonly event: string;
  readonly [field: string]: unknown;
}

/** Longest error text a log line carries: a line stays readable, and a hostile message stays small. */
const ERROR_TEXT_MAX = 300;

/** Most secrets remembered for redaction: a site has one marker, two while rotating, a few more retired. */
const SECRETS_MAX = 32;
const secrets = new Set<string>();

/**
 * Tell the log the site's secrets (its markers, from every configured source, valid or not): no line
 * carries one from then on, whatever field it lands in (an issue's received value, an error message).
 * Only strings isScrubbable accepts are kept; the oldest are forgotten past SECRETS_MAX.
 */
export function registerSecrets(values: Iterable<string>): void {
  for (const value of values) {
    if (!isScrubbable(value) || secrets.has(value)) continue;
    secrets.add(value);
    if (secrets.size > SECRETS_MAX)
      for (const oldest of secrets) {
        secrets.delete(oldest);
        break;
      }
  }
}

/** `line` with every registered secret replaced by its length. */
export function redactSecrets(line: string): string {
  let out = line;
  for (const secret of secrets) if (out.includes(secret)) out = out.replaceAll(secret, redactedMarker(secret));
  return out;
}

/** Write one structured log line, with no registered secret in it. */
export function log(fields: LogFields): void {
  const line = redactSecrets(JSON.stringify(fields));
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
