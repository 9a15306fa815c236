// Request paths as origin servers route them: each spelling read every way a mainstream origin reads it, so
// that a rule written for a page holds for every spelling an origin serves as that page.
//
// Merged in every reading (docs/policy-format.md has the table, per origin): percent-escapes decoded once
// (nginx, Apache, Tomcat and IIS match on the decoded path); `\` read as `/`; `;params` dropped from each
// segment (Tomcat, Spring); empty segments merged (nginx merge_slashes, Apache MergeSlashes); trailing dots
// and spaces dropped from each segment (Win32, so IIS); letter case folded unless the policy says its origin
// is case-sensitive. Merging more than one origin does only ever gives a spelling more rules, never fewer.
//
// Read several ways, because origins disagree and each reading is some origin's page: an encoded / or \
// (a separator to nginx, a character to Express and Tomcat); a %25 before two hex digits (IIS decodes
// twice); escapes that are not UTF-8 (kept as bytes, or Latin-1 / overlong to a legacy decoder); a segment
// that is a dot segment only without its ;params or trailing dots (Tomcat and Win32 step up, nginx sees a
// name); and a script followed by more path (`/login.php/x.css` runs login.php on Apache + mod_php, nginx's
// fastcgi_split_path_info and IIS). The caller (match-path.ts) matches every reading and refuses the path
// only when they select different rules.
// Refused outright: an invalid escape (`%zz`, IIS's `%u0061`), which origins answer 400, and NUL.

import { PathBuilder, type PathFeatures, type PathWork, type ReadingSwitches } from "./path-builder.js";

export { foldCodePoint, foldPathCase, type PathWork } from "./path-builder.js";

/** Another way an origin reads the path: the path it routes, and which origins read it so. */
export interface PathReading {
  readonly path: string;
  readonly how: string;
}

/** A path's readings, or why it has none. */
export type CanonicalPath =
  | {
      readonly ok: true;
      /** The main reading: what `explain` shows and what rules match. */
      readonly path: string;
      /** The other readings, each distinct from the main one; empty for almost every path. */
      readonly readings: readonly PathReading[];
    }
  | { readonly ok: false; readonly reason: string };

const SLASH = 0x2f;
const PERCENT = 0x25;
const SEMICOLON = 0x3b;
const BACKSLASH = 0x5c;
const DOT = 0x2e;

/** A %25 that an origin decoding twice (IIS without allowDoubleEscaping's check) reads as another escape. */
const DOUBLE_ESCAPE = /%25([0-9a-f]{2})/gi;

/**
 * A script followed by more path: the extensions of handlers that accept PATH_INFO (PHP, CGI, ASP.NET,
 * ColdFusion, ISAPI). The first one wins, as in nginx's `^(.+?\.php)(/.+)$` and Apache's file walk.
 */
const SCRIPT = /^(.*?\.(?:php[3-8]?|phtml|phar|cgi|pl|aspx?|ashx|asmx|axd|svc|cfm|dll|exe))\/[^/]/i;

/** Which switches each feature needs: reading every combination of the ones present. */
const SWITCHES: readonly (keyof ReadingSwitches)[] = ["keepEncoded", "legacyBytes", "dotNames"];
const FEATURE_OF: Readonly<Record<keyof ReadingSwitches, keyof PathFeatures>> = {
  keepEncoded: "encodedSeparator",
  legacyBytes: "nonUtf8",
  dotNames: "dotLike",
};
const HOW: Readonly<Record<keyof ReadingSwitches, string>> = {
  keepEncoded: "with the encoded / or \\ kept in its segment (Express, Tomcat, Apache)",
  legacyBytes: "with non-UTF-8 escapes as Latin-1 or overlong forms (legacy decoders)",
  dotNames: "with ..; or ... as a name, not a step up (nginx, Apache)",
};
const NO_READINGS: readonly PathReading[] = [];
const MAIN: ReadingSwitches = { keepEncoded: false, legacyBytes: false, dotNames: false };

/**
 * Every reading of a request path (the URL's pathname, still percent-encoded). `foldCase` folds letters so
 * /Admin and /admin are one page. A path needing no change is returned as is after one scan, without
 * building a string; one that only needs lower-casing costs one more native pass. At most 16 readings,
 * each one pass: O(path length). `work`, when given, counts characters examined and strings built.
 */
export function canonicalPath(raw: string, foldCase: boolean, work?: PathWork): CanonicalPath {
  const tally = work ?? { chars: 0, builds: 0 };
  tally.chars += raw.length;
  const scan = scanPath(raw, foldCase);
  if (scan !== Scan.Other) {
    const path = scan === Scan.Canonical ? raw : lower(raw, tally);
    return { ok: true, path, readings: SCRIPT.test(path) ? scriptReadings(path, "", []) : NO_READINGS };
  }
  const sources: { text: string; how: string }[] = [{ text: raw, how: "" }];
  DOUBLE_ESCAPE.lastIndex = 0;
  if (DOUBLE_ESCAPE.test(raw)) sources.push({ text: raw.replace(DOUBLE_ESCAPE, "%$1"), how: "decoded twice (IIS)" });
  const main = new PathBuilder(raw, foldCase, MAIN, tally).build();
  if (!main.ok) return main;
  const readings: PathReading[] = [];
  for (const [s, source] of sources.entries()) {
    const first = s === 0 ? main : new PathBuilder(source.text, foldCase, MAIN, tally).build();
    if (!first.ok) return first;
    const present = SWITCHES.filter((name) => first.features[FEATURE_OF[name]]);
    for (let mask = 0; mask < 1 << present.length; mask++) {
      const reading = mask === 0 ? first : buildVariant(source.text, foldCase, present, mask, tally);
      if (!reading.ok) return reading;
      const how = describe(source.how, present, mask);
      if (s > 0 || mask > 0) add(readings, main.path, { path: reading.path, how });
      scriptReadings(reading.path, how, readings, main.path);
    }
  }
  return { ok: true, path: main.path, readings };
}

function buildVariant(
  text: string,
  foldCase: boolean,
  present: readonly (keyof ReadingSwitches)[],
  mask: number,
  tally: PathWork,
): ReturnType<PathBuilder["build"]> {
  const switches = { ...MAIN };
  present.forEach((name, bit) => {
    if ((mask & (1 << bit)) !== 0) switches[name] = true;
  });
  return new PathBuilder(text, foldCase, switches, tally).build();
}

function describe(source: string, present: readonly (keyof ReadingSwitches)[], mask: number): string {
  const parts = source === "" ? [] : [source];
  present.forEach((name, bit) => {
    if ((mask & (1 << bit)) !== 0) parts.push(HOW[name]);
  });
  return parts.join(", ");
}

/** Add a reading unless it is the main path or already there. */
function add(readings: PathReading[], main: string, reading: PathReading): void {
  if (reading.path !== main && !readings.some((r) => r.path === reading.path)) readings.push(reading);
}

/** The script reading of `path`, when a script is followed by more path; added to `readings`. */
function scriptReadings(path: string, how: string, readings: PathReading[], main = path): PathReading[] {
  const script = SCRIPT.exec(path)?.[1];
  if (script === undefined) return readings;
  const label = `as the script ${script} with the rest as PATH_INFO (Apache + mod_php, nginx fastcgi_split_path_info, IIS)`;
  add(readings, main, { path: script, how: how === "" ? label : `${how}, ${label}` });
  return readings;
}

function lower(raw: string, work: PathWork): string {
  work.builds += 1;
  work.chars += raw.length;
  return raw.toLowerCase();
}

/** What one scan found: nothing to change, only upper-case ASCII letters to fold, or more. */
const enum Scan {
  Canonical,
  UpperCaseOnly,
  Other,
}

/**
 * One scan for the fast path. Any `%`, `\`, `;`, control, space or non-ASCII character, an empty segment
 * or a segment ending in `.` (dot segments and trailing dots) needs the builder; upper-case letters
 * alone (when folding) only need lower-casing.
 */
function scanPath(raw: string, foldCase: boolean): Scan {
  if (raw.charCodeAt(0) !== SLASH) return Scan.Other;
  let previous = SLASH;
  let upper = false;
  for (let i = 1; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === SLASH) {
      if (previous === SLASH || previous === DOT) return Scan.Other;
    } else if (c <= 0x20 || c >= 0x7f || c === PERCENT || c === BACKSLASH || c === SEMICOLON) {
      return Scan.Other;
    } else if (foldCase && c >= 0x41 && c <= 0x5a) {
      upper = true;
    }
    previous = c;
  }
  if (previous === DOT) return Scan.Other;
  return upper ? Scan.UpperCaseOnly : Scan.Canonical;
}
