// The nonce marker is the site's secret, like a password: what makes one acceptable, how a new one is drawn,
// and how its value is kept out of every issue and log line.

/** Shortest marker accepted: 22 random characters of the 64 allowed carry 132 bits, more than a nonce's 128. */
export const MARKER_MIN_LENGTH = 22;
/** Longest marker accepted; the scrubber holds back at most four times this many bytes between chunks. */
export const MARKER_MAX_LENGTH = 64;
/** What a marker is made of: the characters a nonce attribute's value may carry without escaping. */
export const MARKER_PATTERN = `^[A-Za-z0-9_-]{${MARKER_MIN_LENGTH},${MARKER_MAX_LENGTH}}$`;
const MARKER_CHARS = /^[A-Za-z0-9_-]*$/;
/** A marker uses at least this many different characters: "aaaa…" or "abab…" is a guess, not a secret. */
const MIN_DISTINCT = 10;

/**
 * Markers that anyone can read: the old built-in default and any value our docs, examples or tests ever
 * showed. A policy that keeps one is defeated by whoever reads them, so it is refused whatever its length.
 */
export const PUBLISHED_MARKERS: ReadonlySet<string> = new Set(["__CSP_NONCE__", "Zq7-secret-marker"]);

/** How to draw a good marker, for messages. */
export const MARKER_HOWTO = "e.g. `openssl rand -base64 24 | tr '+/' '-_'`";

/** Why `marker` cannot be the site's secret marker, or undefined when it can. */
export function markerProblem(marker: string): string | undefined {
  if (PUBLISHED_MARKERS.has(marker)) {
    return `a secret marker of your own: this one is published in this project's docs, so an attacker can write it into an injected script too (draw one, ${MARKER_HOWTO})`;
  }
  if (!MARKER_CHARS.test(marker)) return "a marker of letters, digits, _ and - only (it is written as a nonce attribute's value)";
  if (marker.length < MARKER_MIN_LENGTH) {
    return `a secret marker of at least ${MARKER_MIN_LENGTH} characters, random like a password (${MARKER_HOWTO})`;
  }
  if (marker.length > MARKER_MAX_LENGTH) return `a marker of at most ${MARKER_MAX_LENGTH} characters`;
  if (new Set(marker).size < MIN_DISTINCT || isRepetitive(marker)) {
    return `a marker with variety: at least ${MIN_DISTINCT} different characters and no short pattern repeated (draw one, ${MARKER_HOWTO})`;
  }
  return undefined;
}

/** True when the marker repeats itself with a period of at most half its length ("abcabcabc…"). */
function isRepetitive(marker: string): boolean {
  for (let period = 1; period <= marker.length / 2; period++) {
    let repeats = true;
    for (let i = period; i < marker.length && repeats; i++) repeats = marker[i] === marker[i - period];
    if (repeats) return true;
  }
  return false;
}

/** What an issue shows instead of a marker's value: its length, never its characters. */
export function redactedMarker(value: unknown): string {
  return typeof value === "string" ? `(secret, ${value.length} characters)` : "(not a string)";
}

/** A fresh marker that meets the rules: 24 random bytes as base64url, 32 characters. */
export function createMarker(random: (bytes: Uint8Array) => Uint8Array = (bytes) => crypto.getRandomValues(bytes)): string {
  for (;;) {
    const bytes = random(new Uint8Array(24));
    let binary = "";
    for (const byte of bytes) binary += String.fromCharCode(byte);
    const marker = btoa(binary).replaceAll("+", "-").replaceAll("/", "_");
    // A draw with under ten distinct characters has odds below 1 in 10^14; drawing again keeps the promise.
    if (markerProblem(marker) === undefined) return marker;
  }
}

/**
 * `value` with every string equal to one of `markers` replaced by its redaction, through objects and
 * arrays: what an issue renders as "received" must not carry the secret, not even cut short.
 */
export function redactMarkers(value: unknown, markers: ReadonlySet<string>, depth = 0): unknown {
  if (markers.size === 0) return value;
  if (typeof value === "string") return markers.has(value) ? redactedMarker(value) : value;
  if (value === null || typeof value !== "object" || depth > 8) return value;
  if (Array.isArray(value)) return value.map((item) => redactMarkers(item, markers, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactMarkers(v, markers, depth + 1)]));
}

/**
 * Every marker string a raw policy document names (`nonce.marker` on its base and its rules), valid or
 * not; strings under 8 characters are left out, as redacting them would blank out ordinary words.
 */
export function markersIn(document: unknown): Set<string> {
  const found = new Set<string>();
  const take = (layer: unknown): void => {
    if (layer === null || typeof layer !== "object") return;
    const nonce: unknown = (layer as { nonce?: unknown }).nonce;
    if (nonce === null || typeof nonce !== "object") return;
    const marker: unknown = (nonce as { marker?: unknown }).marker;
    if (typeof marker === "string" && marker.length >= 8) found.add(marker);
  };
  take(document);
  const rules: unknown = document !== null && typeof document === "object" ? (document as { rules?: unknown }).rules : undefined;
  if (Array.isArray(rules)) for (const rule of rules) take(rule);
  return found;
}
