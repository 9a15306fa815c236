// The nonce marker is the site's secret, like a password: what makes one acceptable, how a new one is drawn,
// and how its value is kept out of every issue and log line.

/** Shortest marker accepted: what the CLI's `marker` command draws, 24 random bytes as 32 base64url characters (192 bits). */
export const MARKER_MIN_LENGTH = 32;
/** Longest marker accepted; the scrubber holds back at most four times this many bytes between chunks. */
export const MARKER_MAX_LENGTH = 64;
/** What a marker is made of: the characters a nonce attribute's value may carry without escaping. */
export const MARKER_PATTERN = `^[A-Za-z0-9_-]{${MARKER_MIN_LENGTH},${MARKER_MAX_LENGTH}}$`;
const MARKER_CHARS = /^[A-Za-z0-9_-]*$/;
/**
 * A marker uses at least this many different characters. 32 random base64url characters use about 25;
 * fewer than 16 happens about once in 10^5 draws (createMarker draws again), and is what a phrase looks like.
 */
const MIN_DISTINCT = 16;
/** A character repeated this many times in a row, or a run this long of consecutive characters (abcd, 4321). */
const MAX_RUN = 4;
/**
 * Words people put in a made-up marker. A random marker holds one of these (in any case) less than once in
 * 10^3 draws, and createMarker draws again; a marker typed by hand that holds one is a guess, not a secret.
 */
const MARKER_WORDS = [
  "nonce",
  "marker",
  "secret",
  "script",
  "token",
  "passw",
  "change",
  "replace",
  "placeholder",
  "example",
  "default",
  "sample",
  "value",
  "admin",
  "qwert",
  "asdf",
  "test",
  "site",
  "page",
  "mark",
  "csp_",
  "csp-",
];

/**
 * Markers that anyone can read: the old built-in default and any value our docs, examples or tests ever
 * showed. A policy that keeps one is defeated by whoever reads them, so it is refused whatever its length.
 */
export const PUBLISHED_MARKERS: ReadonlySet<string> = new Set(["__CSP_NONCE__", "Zq7-secret-marker"]);

/** How to draw a good marker, for messages. */
export const MARKER_HOWTO = "draw one with `npx security-headers-worker marker`";

/** Why `marker` cannot be the site's secret marker, or undefined when it can. */
export function markerProblem(marker: string): string | undefined {
  if (PUBLISHED_MARKERS.has(marker)) {
    return `a secret marker of your own: this one is published in this project's docs, so an attacker can write it into an injected script too (${MARKER_HOWTO})`;
  }
  if (!MARKER_CHARS.test(marker)) return "a marker of letters, digits, _ and - only (it is written as a nonce attribute's value)";
  if (marker.length < MARKER_MIN_LENGTH) {
    return `a secret marker of at least ${MARKER_MIN_LENGTH} characters, random like a password (${MARKER_HOWTO})`;
  }
  if (marker.length > MARKER_MAX_LENGTH) return `a marker of at most ${MARKER_MAX_LENGTH} characters`;
  const weakness = weaknessOf(marker);
  return weakness === undefined ? undefined : `a random marker, not one made up by hand: this one has ${weakness} (${MARKER_HOWTO})`;
}

/** What makes a marker of the right shape guessable, or undefined: the traits of a phrase, a keyboard walk or a pattern. */
function weaknessOf(marker: string): string | undefined {
  if (!/[A-Z]/.test(marker) || !/[a-z]/.test(marker) || !/[0-9]/.test(marker)) {
    return "no mix of capitals, small letters and digits";
  }
  if (new Set(marker).size < MIN_DISTINCT) return `fewer than ${MIN_DISTINCT} different characters`;
  if (isRepetitive(marker)) return "a short pattern repeated";
  if (longestRun(marker) >= MAX_RUN) return `a run of ${MAX_RUN} or more repeated or consecutive characters`;
  const lower = marker.toLowerCase();
  const word = MARKER_WORDS.find((w) => lower.includes(w));
  if (word !== undefined) return "a word in it";
  if (readsLikeWords(marker)) return "long runs of small or capital letters, as words have";
  return undefined;
}

/**
 * True when far more neighbouring pairs are both small letters (or both capitals) than chance gives: in a
 * random marker each pair is so with odds 26/64 squared, and a count 4.5 standard deviations above that mean
 * turns up about once in 10^4 draws; a phrase ("MyWebsiteHasAGoodSecret…") is far above it.
 */
function readsLikeWords(marker: string): boolean {
  const pairs = marker.length - 1;
  const p = (26 / 64) ** 2;
  const limit = Math.ceil(pairs * p + 4.5 * Math.sqrt(pairs * p * (1 - p)));
  let lower = 0;
  let upper = 0;
  for (let i = 1; i < marker.length; i++) {
    const a = marker.charCodeAt(i - 1);
    const b = marker.charCodeAt(i);
    if (a >= 97 && a <= 122 && b >= 97 && b <= 122) lower++;
    else if (a >= 65 && a <= 90 && b >= 65 && b <= 90) upper++;
  }
  return lower >= limit || upper >= limit;
}

/** The longest run of equal characters, or of characters whose codes go up or down by one each step. */
function longestRun(marker: string): number {
  let longest = 1;
  let run = 1;
  let step = 0;
  for (let i = 1; i < marker.length; i++) {
    const d = marker.charCodeAt(i) - marker.charCodeAt(i - 1);
    run = Math.abs(d) <= 1 && (run === 1 || d === step) ? run + 1 : Math.abs(d) <= 1 ? 2 : 1;
    step = d;
    longest = Math.max(longest, run);
  }
  return longest;
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
    // About 1 draw in 100 fails a weakness test (no digit, mostly): drawing again keeps the promise.
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

/**
 * The markers a NONCE_MARKER value holds: one, or during a rotation several, separated by spaces or commas
 * (the new one first). Every one is scrubbed; every valid one is stamped (docs/csp.md, "Rotating the marker").
 */
export function splitMarkerList(raw: string): string[] {
  return raw.split(/[\s,]+/).filter((part) => part !== "");
}

/**
 * True when `text` can be scrubbed from bodies and redacted from logs as a marker even though it may not
 * validate: 8 to 256 printable ASCII characters without a quote or backslash (so a JSON log line holds it
 * verbatim). Shorter strings are left alone, as scrubbing them would blank out ordinary words.
 */
export function isScrubbable(text: string): boolean {
  return /^[\x21\x23-\x5b\x5d-\x7e]{8,256}$/.test(text);
}

/** What a raw policy document asks of markers: the markers it names, and whether some layer of it has a marked nonce. */
export interface MarkerIntent {
  readonly markers: readonly string[];
  readonly marked: boolean;
}

/**
 * The markers a policy document's text names and whether it asks for a marked nonce, read even from a
 * document that does not validate (or is not JSON): the marker it names is the site's secret all the same,
 * and must be scrubbed whatever layer serves instead.
 */
export function markerIntentOf(text: string): MarkerIntent {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // Not JSON: what it would have said, read from its text.
    const markers = [...text.matchAll(/"marker"\s*:\s*"([^"\\]*)"/g)].map((m) => m[1] ?? "").filter(isScrubbable);
    const nonces = text.match(/"nonce"\s*:\s*\{/g)?.length ?? 0;
    const blanket = text.match(/"mode"\s*:\s*"blanket"/g)?.length ?? 0;
    return { markers, marked: nonces > blanket };
  }
  return { markers: [...markersIn(document)].filter(isScrubbable), marked: markedIn(document) };
}

/** True when some layer of a raw document (its base or a rule) has a nonce object that is not in blanket mode. */
export function markedIn(document: unknown): boolean {
  const marks = (layer: unknown): boolean => {
    if (layer === null || typeof layer !== "object") return false;
    const nonce: unknown = (layer as { nonce?: unknown }).nonce;
    return nonce !== null && typeof nonce === "object" && (nonce as { mode?: unknown }).mode !== "blanket";
  };
  const rules: unknown = document !== null && typeof document === "object" ? (document as { rules?: unknown }).rules : undefined;
  return marks(document) || (Array.isArray(rules) && rules.some(marks));
}
