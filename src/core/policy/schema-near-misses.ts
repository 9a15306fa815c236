// The policy schema's near-miss checks: a header name, a Permissions-Policy feature or a reporting group
// close to one the project knows is taken for a typo (it would be sent, and ignored by browsers).

import { parseDictionary } from "structured-headers";
import { REPORT_ENDPOINT_NAME } from "../csp/render-csp.js";
import { KNOWN_HEADER_NAMES, nearMiss, PERMISSIONS_FEATURES, typoSlack } from "../headers/near-misses.js";
import { isObject } from "../shared/result.js";

/** The field that says "this header is my own, not a misspelling of a known one". */
export const CUSTOM_FIELD = "custom";

/** `X-Frame-Options` from `x-frame-options`, for messages. */
function displayName(lower: string): string {
  return lower.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

/** The message for a header name close to a known one, or undefined. */
export function headerNameMiss(name: string, where: "headers" | "remove"): string | undefined {
  const hit = nearMiss(name, KNOWN_HEADER_NAMES, typoSlack);
  if (hit === undefined) return undefined;
  const escape =
    where === "headers"
      ? `or { "value": …, "${CUSTOM_FIELD}": true } for a header of your own`
      : `or headers["${name}"] = { "action": "remove", "${CUSTOM_FIELD}": true } for a header of your own`;
  return `a header name browsers know (did you mean \`${displayName(hit)}\`?), ${escape}`;
}

/** One message per Permissions-Policy feature close to a known one. */
export function featureMisses(value: string): string[] {
  let features: string[];
  try {
    features = [...parseDictionary(value).keys()];
  } catch {
    return []; // an invalid value is reported by the value check
  }
  return features.flatMap((feature) => {
    const hit = nearMiss(feature, PERMISSIONS_FEATURES, typoSlack);
    return hit === undefined ? [] : [`a Permissions-Policy feature browsers know: ${feature} (did you mean \`${hit}\`?)`];
  });
}

/** The reporting group names a layer defines: Reporting-Endpoints' keys, Report-To's groups, and the Worker's own. */
function reportGroups(headers: Readonly<Record<string, unknown>>): Set<string> {
  const groups = new Set([REPORT_ENDPOINT_NAME, "default"]);
  for (const [name, entry] of Object.entries(headers)) {
    const value = typeof entry === "string" ? entry : isObject(entry) && typeof entry.value === "string" ? entry.value : undefined;
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (lower === "reporting-endpoints") {
      try {
        for (const key of parseDictionary(value).keys()) groups.add(key);
      } catch {
        // reported by the value check
      }
    } else if (lower === "report-to") {
      for (const match of value.matchAll(/"group"\s*:\s*"([^"]*)"/g)) groups.add(match[1] ?? "");
    }
  }
  return groups;
}

/** For each CSP field of a layer: its report-to group, when it is one edit from a group the layer defines. */
export function reportGroupMisses(layer: Readonly<Record<string, unknown>>): { field: string; group: string; hit: string }[] {
  const groups = reportGroups(isObject(layer.headers) ? layer.headers : {});
  const out: { field: string; group: string; hit: string }[] = [];
  for (const field of ["csp", "cspReportOnly"]) {
    const csp = layer[field];
    const directives = isObject(csp) ? csp.directives : undefined;
    const value = isObject(directives) ? directives["report-to"] : undefined;
    const group = Array.isArray(value) && typeof value[0] === "string" ? value[0] : undefined;
    if (group === undefined) continue;
    const hit = nearMiss(group, groups);
    if (hit !== undefined) out.push({ field, group, hit });
  }
  return out;
}
