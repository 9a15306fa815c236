// The Worker's word on Set-Cookie lines the policy had to leave alone: one warn line per isolate and cookie
// name (never the value), so a site that sends the same bad cookie on every page does not flood the log.

import type { CookieWarning } from "./core/headers/cookie-line.js";
import { log } from "./log.js";

/** Most cookie names remembered as already logged; past it the set starts over (a hostile origin's names are many). */
const WARNED_MAX = 256;
/** Longest cookie name a line carries. */
const NAME_MAX = 64;
const warned = new Set<string>();

/** Log a cookie left alone, once per isolate and name. */
export function warnCookieOnce(warning: CookieWarning): void {
  if (warned.has(warning.name)) return;
  if (warned.size >= WARNED_MAX) warned.clear();
  warned.add(warning.name);
  log({ level: "warn", event: "cookie.left_alone", name: warning.name.slice(0, NAME_MAX), reason: warning.reason });
}
