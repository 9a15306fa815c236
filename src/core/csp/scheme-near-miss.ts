// CSP sources whose scheme is misspelled: `https//cdn.example` (no colon) is a valid host-source, the host
// "https" with a path, so a browser silently allows nothing the author meant. Caught here with the fix.

import { editDistance } from "../shared/result.js";

/** The schemes people write in CSP sources (CSP3's scheme-source list and the fetchable ones). */
const KNOWN_SCHEMES: ReadonlySet<string> = new Set(["http", "https", "ws", "wss", "data", "blob", "mediastream", "filesystem"]);

/** A source read as scheme, colon, slashes, rest: `https//x`, `https:/x`, `htps://x`, `https:x`. */
const SCHEME_LIKE = /^([A-Za-z][A-Za-z0-9+.-]*)(:?)(\/*)(.*)$/s;

/** One edit (insert, delete, substitute, or swap two neighbours) away, as a hurried typist makes. */
function oneEditAway(a: string, b: string): boolean {
  if (editDistance(a, b) === 1) return true;
  if (a.length !== b.length) return false;
  const diff: number[] = [];
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) diff.push(k);
  const [i, j] = diff;
  return diff.length === 2 && i !== undefined && j === i + 1 && a[i] === b[j] && a[j] === b[i];
}

/** The longest known scheme, plus the one edit: nothing longer can be a near miss (and huge input costs nothing). */
const LONGEST = Math.max(...[...KNOWN_SCHEMES].map((s) => s.length)) + 1;

function knownSchemeFor(scheme: string): string | undefined {
  const lower = scheme.toLowerCase();
  if (KNOWN_SCHEMES.has(lower)) return lower;
  if (lower.length > LONGEST) return undefined;
  // Same length first: `wws` is a slip for `wss` (one key) more likely than for `ws` (an extra one).
  const candidates = [...KNOWN_SCHEMES].sort((a, b) => Math.abs(a.length - lower.length) - Math.abs(b.length - lower.length));
  return candidates.find((known) => oneEditAway(lower, known));
}

/**
 * The message for a source whose scheme is a near miss of a known one, with the source as meant; undefined
 * for a source that is not one (a well-formed `https://x` or `https:`, a host, a host with a path).
 */
export function schemeNearMiss(source: string): string | undefined {
  const match = SCHEME_LIKE.exec(source);
  if (match === null) return undefined;
  const [, scheme = "", colon = "", slashes = "", rest = ""] = match;
  // A bare host or token (most sources) has neither: no scheme was meant, and no edit distance is paid for.
  if (colon === "" && slashes === "") return undefined;
  const known = knownSchemeFor(scheme);
  if (known === undefined) return undefined;
  const exact = known === scheme.toLowerCase();
  const wellFormed = colon === ":" && ((slashes === "//" && rest !== "" && !rest.startsWith("/")) || (slashes === "" && rest === ""));
  if (exact && wellFormed) return undefined;
  // Without a colon, a near-miss needs `//` to look like a URL: `blog/feed` is a host with a path.
  if (!exact && colon === "" && slashes.length < 2) return undefined;
  const host = rest.replace(/^\/+/, "").slice(0, 200);
  const meant = host === "" ? `${known}:` : `${known}://${host}`;
  const read =
    colon === "" ? ` (as written it is the host "${scheme}" with a path)` : exact ? "" : ` ("${scheme}" is no scheme browsers know)`;
  return `a scheme spelled as URLs are (\`${known}://host\` or \`${known}:\`): did you mean \`${meant}\`?${read}`;
}
