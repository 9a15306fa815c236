// The log lines of a Worker running in Miniflare, captured instead of printed: a test asserts on them, and
// a passing run prints none.

import type { Readable } from "node:stream";

/** Collects workerd's stdout and stderr, line by line; the Worker's JSON lines are also parsed. */
export class WorkerLogs {
  private readonly text: string[] = [];
  private readonly pending = { out: "", err: "" };

  /** Pass as Miniflare's `handleRuntimeStdio`. */
  readonly handle = (stdout: Readable, stderr: Readable): void => {
    stdout.on("data", (chunk: Buffer) => this.take("out", chunk));
    stderr.on("data", (chunk: Buffer) => this.take("err", chunk));
  };

  /** Every complete line so far. */
  lines(): readonly string[] {
    return this.text;
  }

  /** The JSON log lines so far (the Worker's own), parsed; other output is left out. */
  events(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const line of this.text) {
      const start = line.indexOf("{");
      if (start === -1) continue;
      try {
        out.push(JSON.parse(line.slice(start)) as Record<string, unknown>);
      } catch {
        // Not one of the Worker's lines.
      }
    }
    return out;
  }

  /** Forget what was captured, so a test sees only its own lines. */
  clear(): void {
    this.text.length = 0;
  }

  private take(stream: "out" | "err", chunk: Buffer): void {
    const parts = (this.pending[stream] + chunk.toString("utf8")).split("\n");
    this.pending[stream] = parts.pop() ?? "";
    for (const line of parts) if (line.trim() !== "") this.text.push(line);
  }
}
