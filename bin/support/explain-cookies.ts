// `explain`'s cookie section: the cookie entries that apply to the path, in the order they decide, and
// what each Set-Cookie line of the simulated origin becomes (the Worker's own code, core/headers/).

import { hardenCookieLine } from "../../src/core/headers/cookie-line.js";
import type { HeaderOp } from "../../src/core/policy/types.js";
import type { Io } from "./io.js";
import { printable } from "./printable.js";

/** The cookie part of an explanation (its --json shape). */
export interface CookieExplanation {
  /** The entries that apply on this path, most precedent first: each field comes from the first matching entry that sets it. */
  readonly entries: readonly { readonly from: string; readonly cookies: string; readonly requires: string }[];
  /** Each origin Set-Cookie line and the line the Worker sends, in order; `note` says why one was left alone. */
  readonly lines: readonly { readonly origin: string; readonly sent: string; readonly note: string | null }[];
}

/** What the plan's cookies op does to the origin's lines; null when the policy has no cookie entries. */
export function explainCookies(ops: readonly HeaderOp[], origin: readonly string[], sent: readonly string[]): CookieExplanation | null {
  const op = ops.find((o) => o.kind === "cookies");
  if (op?.kind !== "cookies") return null;
  const entries = op.cookies.entries.map(({ rule, from }) => ({
    from,
    cookies: rule.name !== undefined ? `name ${rule.name}` : `pattern ${rule.pattern ?? "*"}`,
    requires: [
      rule.secure === undefined ? "" : `secure: ${String(rule.secure)}`,
      rule.httpOnly === undefined ? "" : `httpOnly: ${String(rule.httpOnly)}`,
      rule.sameSite === undefined ? "" : `sameSite: ${rule.sameSite}${rule.override === true ? " (override)" : ""}`,
    ]
      .filter((s) => s !== "")
      .join(", "),
  }));
  const lines = origin.map((line, i) => ({
    origin: line,
    sent: sent[i] ?? line,
    note: hardenCookieLine(line, op.cookies.requirementFor, op.https).warning?.reason ?? null,
  }));
  return { entries, lines };
}

/** Print the cookie section. */
export function renderCookies(x: CookieExplanation | null, https: boolean, io: Io): void {
  if (x === null) return;
  const { style } = io;
  io.out(
    `\n${style.bold("Cookies")} ${style.dim(`(first matching entry per field; Secure only over https${https ? "" : ", so none here"})`)}\n`,
  );
  for (const e of x.entries) io.out(`  ${printable(e.cookies)}: ${printable(e.requires)} ${style.dim(`(${printable(e.from)})`)}\n`);
  for (const line of x.lines) {
    io.out(`  ${printable(line.origin)}\n    → ${printable(line.sent)}\n`);
    if (line.note !== null) io.out(`    ${style.yellow("left alone:")} ${printable(line.note)}\n`);
  }
}
