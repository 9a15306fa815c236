// The policy's cookie entries compiled once per policy version, and applied per response: each origin
// Set-Cookie line hardened on its own (core/headers/cookie-line.ts), never merged, dropped or reordered.

import type { CookieRule } from "../policy/schema-cookies.js";
import { hardenCookieLine, type CookieRequirement, type CookieWarning } from "./cookie-line.js";

/** A cookie entry of some layer, and where it came from: `KV.rules[0] /admin/* cookies[1]`. */
export interface ResolvedCookieRule {
  readonly rule: CookieRule;
  readonly from: string;
}

/** The entries ready to match: most precedent first (the most specific layer's, then those below). */
export interface CompiledCookies {
  readonly entries: readonly ResolvedCookieRule[];
  /** What a cookie of this name must carry: each field from the first matching entry that sets it. */
  readonly requirementFor: (name: string) => CookieRequirement;
}

/** A glob over cookie names: `*` is any run of characters, everything else compares byte for byte. */
export function globMatcher(pattern: string): (name: string) => boolean {
  const parts = pattern.split("*");
  const first = parts[0] ?? "";
  if (parts.length === 1) return (name) => name === pattern;
  const last = parts[parts.length - 1] ?? "";
  const middle = parts.slice(1, -1).filter((p) => p !== "");
  const least = parts.reduce((n, p) => n + p.length, 0);
  return (name) => {
    if (name.length < least || !name.startsWith(first) || !name.endsWith(last)) return false;
    // Leftmost matches are enough for `*`: each middle piece found after the previous one, before the suffix.
    let at = first.length;
    const end = name.length - last.length;
    for (const piece of middle) {
      const found = name.indexOf(piece, at);
      if (found < 0 || found + piece.length > end) return false;
      at = found + piece.length;
    }
    return true;
  };
}

/** Distinct names a compiled set remembers requirements for; a site sets few, an attacker many. */
const REQUIREMENT_CACHE_SIZE = 64;

/** Compile the resolved entries once per policy version; null when there are none (no op is planned). */
export function compileCookies(entries: readonly ResolvedCookieRule[]): CompiledCookies | null {
  if (entries.length === 0) return null;
  const matchers = entries.map(({ rule }) => ({
    rule,
    matches: rule.name !== undefined ? (name: string) => name === rule.name : globMatcher(rule.pattern ?? "*"),
  }));
  const cache = new Map<string, CookieRequirement>();
  const merge = (name: string): CookieRequirement => {
    let secure: boolean | undefined;
    let httpOnly: boolean | undefined;
    let sameSite: CookieRule["sameSite"];
    let override: boolean | undefined;
    for (const { rule, matches } of matchers) {
      if (!matches(name)) continue;
      secure ??= rule.secure;
      httpOnly ??= rule.httpOnly;
      if (sameSite === undefined && rule.sameSite !== undefined) {
        sameSite = rule.sameSite;
        override = rule.override;
      }
    }
    return { secure: secure === true, httpOnly: httpOnly === true, sameSite, override: override === true };
  };
  return {
    entries,
    requirementFor: (name) => {
      let found = cache.get(name);
      if (found === undefined) {
        found = merge(name);
        if (cache.size >= REQUIREMENT_CACHE_SIZE) cache.clear();
        cache.set(name, found);
      }
      return found;
    },
  };
}

/**
 * Harden every Set-Cookie line of `headers` in place. Only a response that has one pays for more than one
 * lookup; the lines are rewritten (delete, then append each in the original order) only when one changed.
 */
export function applyCookies(
  headers: Headers,
  cookies: CompiledCookies,
  https: boolean,
  onWarning?: (warning: CookieWarning) => void,
): void {
  if (!headers.has("set-cookie")) return;
  const lines = headers.getSetCookie();
  let changed = false;
  const out: string[] = [];
  for (const line of lines) {
    const hardened = hardenCookieLine(line, cookies.requirementFor, https);
    if (hardened.warning !== undefined) onWarning?.(hardened.warning);
    changed ||= hardened.line !== line;
    out.push(hardened.line);
  }
  if (!changed) return;
  headers.delete("set-cookie");
  for (const line of out) headers.append("Set-Cookie", line);
}
