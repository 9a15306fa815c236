// What a Worker in Miniflare prints (its console lines and workerd's own), kept for tests to claim and assert on instead of printed.

import { once } from "node:events";
import type { Readable } from "node:stream";

/** One log line as workerd reports it; a workerd error and its stack are one entry. */
export interface OutputEntry {
  /** workerd's level: "log" for console.log, "info", "warn", "error", "debug". */
  readonly level: string;
  readonly message: string;
}

/** How long a test waits for a line it expects: lines come over a pipe, often after the response that caused them. */
const CLAIM_WAIT_MS = 10_000;
/** How long dispose waits for workerd's pipes to end after the process stops. */
const DRAIN_WAIT_MS = 5_000;
/** At most this much of each unclaimed line is quoted in the failure. */
const MAX_QUOTED = 300;

/**
 * Collects a Worker's output through Miniflare's `handleStructuredLogs`. Nothing is printed: a test that
 * provokes a line claims it (and so asserts it came); `checkAllClaimed` after dispose fails on any line no
 * test claimed, so unexpected output is never lost, only moved into a failure that quotes it.
 */
export class WorkerOutput {
  readonly #entries: { readonly entry: OutputEntry; claimed: boolean }[] = [];
  readonly #listeners = new Set<() => void>();
  readonly #drained: Promise<unknown>[] = [];
  /** Where `events` starts reading. */
  #from = 0;

  /** For Miniflare's `handleStructuredLogs`. */
  readonly record = (entry: OutputEntry): void => {
    this.#entries.push({ entry: { level: entry.level, message: entry.message }, claimed: false });
    for (const listener of this.#listeners) listener();
  };

  /** For Miniflare's `handleRuntimeStdio`: only notes when workerd's pipes end, so dispose can wait for the last line. */
  readonly watchStdio = (stdout: Readable, stderr: Readable): void => {
    for (const stream of [stdout, stderr]) this.#drained.push(once(stream, "end").catch(() => undefined));
  };

  /** Wait (bounded) for the first unclaimed line `match` accepts, claim it and return it; `what` names it if it never comes. */
  async claim(what: string, match: (entry: OutputEntry) => boolean): Promise<OutputEntry> {
    const found = (): OutputEntry | undefined => {
      const slot = this.#entries.find((e) => !e.claimed && match(e.entry));
      if (slot === undefined) return undefined;
      slot.claimed = true;
      return slot.entry;
    };
    const now = found();
    if (now !== undefined) return now;
    return new Promise<OutputEntry>((resolve, reject) => {
      const stop = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
      };
      const listener = (): void => {
        const entry = found();
        if (entry === undefined) return;
        stop();
        resolve(entry);
      };
      const timer = setTimeout(() => {
        stop();
        reject(
          new Error(
            `the Worker did not print ${what} within ${CLAIM_WAIT_MS} ms; unclaimed lines: ${this.#quote(this.unclaimed()) || "none"}`,
          ),
        );
      }, CLAIM_WAIT_MS);
      this.#listeners.add(listener);
    });
  }

  /** Claim the Worker's JSON log line that has all of `fields` (compared with ===); return the whole line, parsed. */
  async claimEvent(fields: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
    const entry = await this.claim(`a log line with ${JSON.stringify(fields)}`, ({ message }) => {
      const line = parseObject(message);
      return line !== undefined && Object.entries(fields).every(([key, value]) => line[key] === value);
    });
    return parseObject(entry.message) ?? {};
  }

  /**
   * The Worker's JSON log lines since the last `forget`, parsed, for a test that counts them. Every line
   * returned counts as claimed: the caller asserts on the list.
   */
  events(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const slot of this.#entries.slice(this.#from)) {
      const line = parseObject(slot.entry.message);
      if (line === undefined) continue;
      slot.claimed = true;
      out.push(line);
    }
    return out;
  }

  /** Start `events` afresh: a test that asserted on the lines so far sees only its own from here on. */
  forget(): void {
    this.events();
    this.#from = this.#entries.length;
  }

  /** The lines no test claimed, in order. */
  unclaimed(): OutputEntry[] {
    return this.#entries.filter((e) => !e.claimed).map((e) => e.entry);
  }

  /** After the Worker stopped: wait for workerd's last lines, then fail if any line was never claimed. */
  async checkAllClaimed(): Promise<void> {
    await Promise.race([Promise.all(this.#drained), new Promise((resolve) => setTimeout(resolve, DRAIN_WAIT_MS))]);
    const left = this.unclaimed();
    if (left.length === 0) return;
    throw new Error(
      `the Worker printed ${left.length} line(s) that no test claimed (claim expected output with output.claim/claimEvent): ${this.#quote(left)}`,
    );
  }

  #quote(entries: readonly OutputEntry[]): string {
    return entries
      .map(({ level, message }) => `\n  [${level}] ${message.length > MAX_QUOTED ? `${message.slice(0, MAX_QUOTED)}…` : message}`)
      .join("");
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
