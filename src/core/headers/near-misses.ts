// Names a policy is likely to have misspelled: response headers and Permissions-Policy features the project
// knows. A name close to a known one (and not itself known) is taken for a typo, since a misspelled header is
// sent and silently ignored by every browser.

import { DEDICATED_HEADERS, FORBIDDEN_HEADERS, KNOWN_HEADERS } from "./known-headers.js";

/** Response headers worth naming in a policy, beyond those with a validated value (lower case). */
// prettier-ignore -- a word list, wrapped by hand
const OTHER_HEADERS = [
  "server",
  "via",
  "x-powered-by",
  "x-aspnet-version",
  "x-aspnetmvc-version",
  "x-generator",
  "x-mod-pagespeed",
  "x-page-speed",
  "x-robots-tag",
  "report-to",
  "nel",
  "document-policy",
  "document-policy-report-only",
  "permissions-policy-report-only",
  "cache-control",
  "expires",
  "pragma",
  "vary",
  "etag",
  "last-modified",
  "access-control-allow-origin",
  "access-control-allow-credentials",
  "access-control-allow-methods",
  "access-control-allow-headers",
  "access-control-expose-headers",
  "access-control-max-age",
  "timing-allow-origin",
  "content-disposition",
  "content-language",
  "link",
  "refresh",
  "retry-after",
  "alt-svc",
  "accept-ch",
  "critical-ch",
  "speculation-rules",
  "supports-loading-mode",
  "no-vary-search",
  "service-worker-allowed",
  "sourcemap",
  "x-ua-compatible",
  "expect-ct",
  "feature-policy",
  "public-key-pins",
  "integrity-policy",
  "integrity-policy-report-only",
];

/** Every response header name the project knows, lower case. */
export const KNOWN_HEADER_NAMES: ReadonlySet<string> = new Set([
  ...KNOWN_HEADERS.keys(),
  ...FORBIDDEN_HEADERS.keys(),
  ...DEDICATED_HEADERS.keys(),
  ...OTHER_HEADERS,
]);

/** Permissions-Policy features browsers ship or have shipped (W3C registry and Chromium's list). */
// prettier-ignore -- a word list, wrapped by hand
export const PERMISSIONS_FEATURES: ReadonlySet<string> = new Set([
  "accelerometer",
  "ambient-light-sensor",
  "attribution-reporting",
  "autoplay",
  "battery",
  "bluetooth",
  "browsing-topics",
  "camera",
  "captured-surface-control",
  "ch-device-memory",
  "ch-downlink",
  "ch-dpr",
  "ch-ect",
  "ch-prefers-color-scheme",
  "ch-prefers-reduced-motion",
  "ch-rtt",
  "ch-save-data",
  "ch-ua",
  "ch-ua-arch",
  "ch-ua-bitness",
  "ch-ua-full-version",
  "ch-ua-full-version-list",
  "ch-ua-mobile",
  "ch-ua-model",
  "ch-ua-platform",
  "ch-ua-platform-version",
  "ch-ua-wow64",
  "ch-viewport-height",
  "ch-viewport-width",
  "ch-width",
  "clipboard-read",
  "clipboard-write",
  "compute-pressure",
  "cross-origin-isolated",
  "deferred-fetch",
  "digital-credentials-get",
  "direct-sockets",
  "display-capture",
  "document-domain",
  "encrypted-media",
  "execution-while-not-rendered",
  "execution-while-out-of-viewport",
  "fullscreen",
  "gamepad",
  "geolocation",
  "gyroscope",
  "hid",
  "identity-credentials-get",
  "idle-detection",
  "interest-cohort",
  "join-ad-interest-group",
  "keyboard-map",
  "language-detector",
  "local-fonts",
  "magnetometer",
  "microphone",
  "midi",
  "navigation-override",
  "otp-credentials",
  "payment",
  "picture-in-picture",
  "private-aggregation",
  "private-state-token-issuance",
  "private-state-token-redemption",
  "publickey-credentials-create",
  "publickey-credentials-get",
  "run-ad-auction",
  "screen-wake-lock",
  "serial",
  "shared-storage",
  "shared-storage-select-url",
  "smart-card",
  "speaker-selection",
  "storage-access",
  "summarizer",
  "sync-xhr",
  "translator",
  "unload",
  "usb",
  "vertical-scroll",
  "web-share",
  "window-management",
  "writer",
  "rewriter",
  "xr-spatial-tracking",
]);

/** Names this long get two edits of slack: "Refferer-Policy" is two edits from the real name (one swap, as in
 *  "X-Frame-Otpions", counts as one). Shorter names get one, or "te" would be a typo of "nel". */
const LONG_NAME = 10;

/** How many edits from `known` (a header name or Permissions-Policy feature) a name may be and still be taken
 *  for its typo. */
export function typoSlack(known: string): number {
  return known.length >= LONG_NAME ? 2 : 1;
}

/** Edit distance where swapping two neighbouring characters is one edit (optimal string alignment). */
export function typoDistance(a: string, b: string): number {
  // Three rows: a swap looks two rows back.
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const same = a[i - 1] === b[j - 1];
      let d = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (same ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] ?? 0) + 1);
      row.push(d);
    }
    before = prev;
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** Lower case with `_` read as `-`: `X_Frame_Options` is how some servers spell `X-Frame-Options`, and nginx
 *  drops such headers. */
function fold(name: string): string {
  return name.toLowerCase().replaceAll("_", "-");
}

/** The known name `name` is probably a typo of, when `name` is not itself known; matching is case-insensitive
 *  and reads `_` as `-`. `slack` says how many edits from a known name still count as its typo: one unless
 *  the caller knows its names are far apart (see the tests), since a near name may be a real one of its own. */
export function nearMiss(name: string, known: ReadonlySet<string>, slack: (known: string) => number = () => 1): string | undefined {
  if (known.has(name.toLowerCase())) return undefined;
  const folded = fold(name);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = typoDistance(folded, fold(candidate));
    if (distance <= slack(candidate) && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
