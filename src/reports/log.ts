// The collector's structured log lines: one JSON object per line, errors to console.error.

/** Write one structured log line. */
export function log(level: "log" | "error", fields: Record<string, unknown>): void {
  if (level === "log") console.log(JSON.stringify(fields));
  else console.error(JSON.stringify(fields));
}

/** An error as short text for a log line. */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 300);
}
