// Once per policy version: merge one layer onto the resolved policy below it. Fields a layer leaves out
// are inherited; issues are the ones only visible in context (a value to inherit that no layer gives).

import { mergeCspField } from "../csp/merge-csp.js";
import { itemKey, specFor, splitListValue } from "../headers/known-headers.js";
import { MARKER_HOWTO, redactMarkers } from "../nonce/nonce-marker.js";
import { joinPath, renderReceived, type PolicyIssue, type Result } from "../shared/result.js";
import type { ResolvedCookieRule } from "../headers/cookies.js";
import type { HstsLayer, NonceLayer, PolicyLayer, ResolvedHsts, ResolvedNonce, ResolvedPolicy } from "./types.js";

/** Nothing owned: the starting point that the built-in defaults are merged onto. */
export const EMPTY_POLICY: ResolvedPolicy = { headers: new Map(), csp: null, cspReportOnly: null, hsts: null, nonce: null, cookies: [] };

/** HSTS preload list requirements (hstspreload.org): at least a year, and every subdomain. */
const PRELOAD_MIN_MAX_AGE = 31536000;

/**
 * Merge one layer onto the policy below it. Fields the layer leaves out are inherited; `null` / `false`
 * stop owning a header. Issues are the ones only visible in context, e.g. an action with no value anywhere,
 * or a marked nonce when the site has no marker (`markerAvailable` false).
 */
export function mergeLayer(base: ResolvedPolicy, layer: PolicyLayer, from: string, markerAvailable = false): Result<ResolvedPolicy> {
  const issues: PolicyIssue[] = [];
  const headers = new Map(base.headers);
  for (const [name, entry] of Object.entries(layer.headers ?? {})) {
    const lower = name.toLowerCase();
    const path = joinPath("headers", name);
    if (entry === null) {
      headers.delete(lower);
      continue;
    }
    const previous = headers.get(lower);
    // remove and strip-version carry no value for a later layer to inherit.
    const inherited = previous?.action === "remove" || previous?.action === "strip-version" ? undefined : previous;
    const object = typeof entry === "string" ? { value: entry, action: undefined, add: undefined } : entry;
    const action = object.action ?? inherited?.action ?? "default";
    const valueless = action === "remove" || action === "strip-version";
    const below = valueless ? undefined : (object.value ?? inherited?.value);
    const value = object.add === undefined || valueless ? below : addMembers(lower, below, object.add);
    if (!valueless && value === undefined) {
      issues.push({
        path: joinPath(path, "value"),
        message: `a value: no lower layer gives ${name} one to ${action}`,
        received: "undefined",
      });
      continue;
    }
    headers.set(lower, { name, action, value, from });
  }
  for (const name of layer.remove ?? []) {
    headers.set(name.toLowerCase(), { name, action: "remove", value: undefined, from });
  }
  const csp = mergeCspField(base.csp, layer.csp, from, "csp", issues);
  const cspReportOnly = mergeCspField(base.cspReportOnly, layer.cspReportOnly, from, "cspReportOnly", issues);
  const hsts = mergeHstsField(base.hsts, layer.hsts, from, issues);
  const nonce = mergeNonceField(base.nonce, layer.nonce, from, markerAvailable, issues);
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, value: { headers, csp, cspReportOnly, hsts, nonce, cookies: mergeCookies(base.cookies, layer.cookies, from) } };
}

/** A layer's cookie entries go before those below (first match decides each field); false drops them all. */
function mergeCookies(base: readonly ResolvedCookieRule[], layer: PolicyLayer["cookies"], from: string): readonly ResolvedCookieRule[] {
  if (layer === undefined) return base;
  if (layer === false) return [];
  return [...layer.map((rule, i) => ({ rule, from: `${from} cookies[${i}]` })), ...base];
}

/**
 * `add` on a list header: the members below, then the added ones; an added member whose key (a
 * dictionary's member name, a list's item) is already there takes that member's place, so nothing repeats.
 */
export function addMembers(lowerName: string, below: string | undefined, add: string): string {
  const kind = specFor(lowerName).kind;
  const members = new Map<string, string>();
  for (const item of splitListValue(below ?? "")) members.set(itemKey(kind, item), item);
  for (const item of splitListValue(add)) members.set(itemKey(kind, item), item);
  return [...members.values()].join(", ");
}

function mergeHstsField(
  base: ResolvedHsts | null,
  layer: HstsLayer | false | undefined,
  from: string,
  issues: PolicyIssue[],
): ResolvedHsts | null {
  if (layer === undefined) return base;
  if (layer === false) return null;
  const maxAge = layer.maxAge ?? base?.maxAge;
  if (maxAge === undefined) {
    issues.push({ path: "hsts.maxAge", message: "a max-age in seconds: no lower layer gives one", received: "undefined" });
    return base;
  }
  const merged: ResolvedHsts = {
    action: layer.action ?? base?.action ?? "default",
    maxAge,
    includeSubDomains: layer.includeSubDomains ?? base?.includeSubDomains ?? false,
    preload: layer.preload ?? base?.preload ?? false,
    from,
  };
  if (merged.preload && (!merged.includeSubDomains || merged.maxAge < PRELOAD_MIN_MAX_AGE)) {
    issues.push({
      // Name a field this layer has: the conflict may come from preload set below it.
      path: firstPresent("hsts", layer, ["preload", "includeSubDomains", "maxAge"]),
      message: `preload only with includeSubDomains and maxAge ≥ ${PRELOAD_MIN_MAX_AGE} (the preload list's requirements)`,
      received: renderReceived({ maxAge: merged.maxAge, includeSubDomains: merged.includeSubDomains, preload: true }),
    });
    return base;
  }
  return merged;
}

function mergeNonceField(
  base: ResolvedNonce | null,
  layer: NonceLayer | false | undefined,
  from: string,
  markerAvailable: boolean,
  issues: PolicyIssue[],
): ResolvedNonce | null {
  if (layer === undefined) return base;
  if (layer === false) return null;
  const merged: ResolvedNonce = {
    scripts: layer.scripts ?? base?.scripts ?? true,
    styles: layer.styles ?? base?.styles ?? false,
    mode: layer.mode ?? base?.mode ?? "marked",
    strictDynamic: layer.strictDynamic ?? base?.strictDynamic ?? false,
    from,
  };
  // The layer as an issue shows it: never with its marker, which is a secret.
  const received = () => renderReceived(redactMarkers(layer, new Set(layer.marker === undefined ? [] : [layer.marker])));
  if (!merged.scripts && !merged.styles) {
    issues.push({
      path: firstPresent("nonce", layer, ["scripts", "styles"]),
      message: "scripts, styles or both (`nonce: false` turns nonces off)",
      received: received(),
    });
    return base;
  }
  if (merged.strictDynamic && !merged.scripts) {
    issues.push({
      path: firstPresent("nonce", layer, ["strictDynamic", "scripts"]),
      message: "scripts: true ('strict-dynamic' trusts scripts loaded by nonce'd scripts)",
      received: received(),
    });
    return base;
  }
  if (merged.mode === "marked" && !markerAvailable) {
    issues.push({ path: "nonce", message: MISSING_MARKER, received: received() });
    return base;
  }
  return merged;
}

/** The issue of a marked nonce with no marker: there is no default, since a public marker protects nothing. */
export const MISSING_MARKER =
  "a secret marker for marked mode: set `nonce.marker` in the policy, or the Worker's NONCE_MARKER secret " +
  `(\`wrangler secret put NONCE_MARKER\`; .dev.vars locally), ${MARKER_HOWTO.replace("e.g.", "drawn e.g. with")}`;

/** `field.key` for the first of `keys` this layer sets, else `field`: an issue names what the layer wrote. */
function firstPresent(field: string, layer: object, keys: readonly string[]): string {
  const key = keys.find((k) => k in layer);
  return key === undefined ? field : `${field}.${key}`;
}
