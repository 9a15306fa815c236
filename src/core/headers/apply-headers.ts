// Apply a header plan's ops to a mutable Headers object, so that every owned header ends up exactly once.

import { itemKey, splitListValue } from "./known-headers.js";
import type { HeaderOp } from "../policy/types.js";
import { isVersionFree, stripVersion } from "./strip-version.js";
import { applyCookies } from "./cookies.js";
import type { CookieWarning } from "./cookie-line.js";

/**
 * Apply ops to `headers` (the response's own, mutable copy); `nonce` fills the ops that carry one;
 * `onCookie` hears of Set-Cookie lines left alone that the policy would have changed.
 */
export function applyHeaders(
  headers: Headers,
  ops: readonly HeaderOp[],
  nonce?: string,
  onCookie?: (warning: CookieWarning) => void,
): void {
  for (const op of ops) {
    if (op.kind === "cookies") applyCookies(headers, op.cookies, op.https, onCookie);
    else applyOp(headers, op, nonce);
  }
}

function valueOf(op: { readonly value: string; readonly parts?: readonly string[] }, nonce: string | undefined): string {
  if (op.parts === undefined) return op.value;
  if (nonce === undefined) throw new Error("a nonce plan was applied without a nonce");
  return op.parts.join(nonce);
}

/**
 * What strip-version made of the last value seen under each header: an origin sends the same `Server`
 * line on every response, so the parse runs once per value, not per response. `null` = leave it alone.
 * One entry per header name a policy strips, so the map stays as small as the policies.
 */
const lastStripped = new Map<string, { readonly value: string; readonly result: string | null }>();

/** The value strip-version sends for `current` (null: unchanged), from the memo when the value repeats. */
export function strippedValue(key: string, current: string): string | null {
  const last = lastStripped.get(key);
  if (last !== undefined && last.value === current) return last.result;
  const result = isVersionFree(key, current) ? null : stripVersion(key, current);
  lastStripped.set(key, { value: current, result });
  return result;
}

/** The strip-version action: a value naming no version is left byte for byte; one naming nothing else goes. */
function stripVersions(headers: Headers, name: string, key: string): void {
  const current = headers.get(key);
  if (current === null) return;
  const stripped = strippedValue(key, current);
  if (stripped === null) return;
  if (stripped === "") headers.delete(key);
  else headers.set(name, stripped);
}

function applyOp(headers: Headers, op: Exclude<HeaderOp, { kind: "cookies" }>, nonce: string | undefined): void {
  switch (op.kind) {
    case "set":
      headers.set(op.name, valueOf(op, nonce));
      return;
    case "remove":
      if (op.versionsOnly === true) stripVersions(headers, op.name, op.key);
      else headers.delete(op.key);
      return;
    case "default": {
      const current = headers.get(op.key);
      if (current === null || !op.isValid(current)) headers.set(op.name, valueOf(op, nonce));
      // Several origin lines arrive joined by ", "; writing the joined value back leaves one line.
      else if (current.includes(",")) headers.set(op.name, current);
      return;
    }
    case "append": {
      const current = headers.get(op.key);
      if (current === null || !op.isValid(current)) {
        headers.set(op.name, op.value);
        return;
      }
      const items = splitListValue(current);
      const keys = new Set(items.map((item) => itemKey(op.headerKind, item)));
      for (const item of op.items) {
        const key = itemKey(op.headerKind, item);
        if (!keys.has(key)) items.push(item);
        keys.add(key);
      }
      headers.set(op.name, items.join(", "));
      return;
    }
  }
}
