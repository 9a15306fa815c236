// A setup file: a test that prints to the console fails, so a passing `npm test` stays quiet. Output a test expects is captured with vi.spyOn(console, …).mockImplementation(…) and asserted on.

import { afterAll, afterEach } from "vitest";
import { jsonText } from "../src/core/shared/result.js";

/** The console methods a test or the code under test might print with. */
const METHODS = ["debug", "info", "log", "warn", "error", "trace"] as const;
type Method = (typeof METHODS)[number];

interface Stray {
  readonly method: Method;
  readonly text: string;
}

/** Show at most this much of each stray line in the failure. */
const MAX_TEXT = 400;
/** And at most this many lines. */
const MAX_SHOWN = 5;

const strays: Stray[] = [];

function describeArg(arg: unknown): string {
  if (typeof arg === "string") return arg;
  if (arg instanceof Error) return String(arg);
  try {
    return jsonText(arg) ?? String(arg);
  } catch {
    return String(arg);
  }
}

// Installed once, before the test file loads: a test's own spy wraps this recorder, so what the spy's
// mockImplementation swallows is captured, and anything that reaches the recorder was not.
for (const method of METHODS) {
  console[method] = (...args: unknown[]): void => {
    strays.push({ method, text: args.map(describeArg).join(" ") });
  };
}

/** Throw if anything reached the console since the last check; `when` says where it was noticed. */
function failOnStrays(when: string): void {
  if (strays.length === 0) return;
  const found = strays.splice(0);
  const shown = found
    .slice(0, MAX_SHOWN)
    .map(({ method, text }) => `  console.${method}: ${text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text}`);
  const more = found.length > MAX_SHOWN ? [`  … and ${found.length - MAX_SHOWN} more`] : [];
  throw new Error(
    [
      `${found.length} console line(s) printed ${when} and not captured. Expected output is captured with`,
      "vi.spyOn(console, <method>).mockImplementation(() => undefined) and asserted on; anything else is noise:",
      ...shown,
      ...more,
    ].join("\n"),
  );
}

afterEach(() => {
  failOnStrays("during this test (or a hook before it)");
});

afterAll(() => {
  failOnStrays("after the file's last test (in an afterAll hook)");
});
