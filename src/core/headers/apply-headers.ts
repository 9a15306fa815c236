// Apply a header plan's ops to a mutable Headers object, so that every owned header ends up exactly once.

import { itemKey, splitListValue } from "./known-headers.js";
import type { HeaderOp, HstsCap } from "../policy/types.js";
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

/** The origin's value within the ceilings; when it has none it can read, `fallback` (none: the header goes). */
function capValue(headers: Headers, name: string, key: string, cap: HstsCap, fallback: string | undefined): void {
  const current = headers.get(key);
  const capped = current === null ? null : cap(current);
  if (capped !== null) {
    // Several origin lines arrive joined by ", ", which HSTS cannot read: they never pass, and one line leaves.
    if (capped !== current) headers.set(name, capped);
  } else if (fallback !== undefined) headers.set(name, fallback);
  else headers.delete(key);
}

function applyOp(headers: Headers, op: Exclude<HeaderOp, { kind: "cookies" }>, nonce: string | undefined): void {
  switch (op.kind) {
    case "set":
      headers.set(op.name, valueOf(op, nonce));
      return;
    case "remove":
      if (op.versionsOnly === true) stripVersions(headers, op.name, op.key);
      else if (op.cap !== undefined) capValue(headers, op.name, op.key, op.cap, undefined);
      else headers.delete(op.key);
      return;
    case "default": {
      if (op.cap !== undefined) {
        capValue(headers, op.name, op.key, op.cap, valueOf(op, nonce));
        return;
      }
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
