// One Set-Cookie line hardened: read just enough of it to know which attributes it lacks, then append
// them. The output is the input line followed by `; Attr` pieces, so the cookie's name, value and own
// attributes are byte-identical by construction; a line the Worker cannot read passes through untouched.

import type { SameSite } from "../policy/schema-cookies.js";

/** What a cookie must carry, merged from the policy's entries that match its name. */
export interface CookieRequirement {
  readonly secure: boolean;
  readonly httpOnly: boolean;
  readonly sameSite: SameSite | undefined;
  /** The sameSite also replaces a different valid SameSite on the line (else only a missing or invalid one). */
  readonly override: boolean;
}

/** A line left alone because fixing it would change the cookie's scope, which is not the policy's to do. */
export interface CookieWarning {
  readonly name: string;
  readonly reason: string;
}

/** What the Worker read of one line: the name, and the attributes it decides on. */
export interface CookieLine {
  readonly name: string;
  readonly secure: boolean;
  readonly httpOnly: boolean;
  /** The last SameSite's value (lower case) as browsers read it: undefined when there is none or it is invalid. */
  readonly sameSite: "strict" | "lax" | "none" | undefined;
  readonly domain: boolean;
  /** The last Path's value (trimmed); undefined when there is none. */
  readonly path: string | undefined;
}

/** Characters no readable line has: controls other than tab (CR, LF and NUL cannot reach a Headers object anyway). */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
const WSP = /^[ \t]+|[ \t]+$/g;
const trim = (s: string): string => s.replace(WSP, "");

/** Read a Set-Cookie line as RFC 6265bis §5.6 does; null for a line the Worker will not touch (empty, nameless, controls). */
export function readCookieLine(line: string): CookieLine | null {
  if (CONTROL.test(line)) return null;
  const pieces = line.split(";");
  const pair = pieces[0] ?? "";
  const eq = pair.indexOf("=");
  const name = eq < 0 ? "" : trim(pair.slice(0, eq));
  if (name === "") return null;
  let secure = false;
  let httpOnly = false;
  let sameSite: CookieLine["sameSite"];
  let domain = false;
  let path: string | undefined;
  for (let i = 1; i < pieces.length; i++) {
    const piece = pieces[i] ?? "";
    const at = piece.indexOf("=");
    const key = trim(at < 0 ? piece : piece.slice(0, at)).toLowerCase();
    const value = at < 0 ? "" : trim(piece.slice(at + 1));
    if (key === "secure") secure = true;
    else if (key === "httponly") httpOnly = true;
    // An empty Domain is ignored by browsers (RFC 6265bis §5.6.3).
    else if (key === "domain") domain ||= value !== "";
    else if (key === "path") path = value;
    else if (key === "samesite") {
      const lower = value.toLowerCase();
      // The last SameSite decides (§5.7, step 22), and an invalid value there means the browser's default.
      sameSite = lower === "strict" || lower === "lax" || lower === "none" ? lower : undefined;
    }
  }
  return { name, secure, httpOnly, sameSite, domain, path };
}

const HOST_PREFIX = "__host-";
const SECURE_PREFIX = "__secure-";

/** The line with the attributes `required` (and the name's prefix) ask for appended; a warning when it is left alone. */
export function hardenCookieLine(
  line: string,
  required: (name: string) => CookieRequirement,
  https: boolean,
): { line: string; warning?: CookieWarning } {
  const read = readCookieLine(line);
  if (read === null) return { line };
  // Prefixes match case-insensitively, as RFC 6265bis now has browsers check them.
  const lowerName = read.name.toLowerCase();
  const host = lowerName.startsWith(HOST_PREFIX);
  if (host && read.domain) return { line, warning: { name: read.name, reason: "a __Host- cookie with Domain (browsers reject it)" } };
  if (host && read.path !== undefined && read.path !== "/") {
    return { line, warning: { name: read.name, reason: "a __Host- cookie with a Path other than / (browsers reject it)" } };
  }
  const want = required(read.name);
  const added: string[] = [];
  const sameSite = sameSiteToAdd(read, want);
  const finalSameSite = sameSite?.toLowerCase() ?? read.sameSite;
  const secure = want.secure || host || lowerName.startsWith(SECURE_PREFIX) || finalSameSite === "none";
  // A Secure cookie set over http is refused by the browser: Secure goes on over https only, as HSTS does.
  if (https && secure && !read.secure) added.push("Secure");
  if (want.httpOnly && !read.httpOnly) added.push("HttpOnly");
  if (sameSite !== undefined) added.push(`SameSite=${sameSite}`);
  if (https && host && read.path === undefined) added.push("Path=/");
  if (added.length === 0) return { line };
  return { line: `${line}; ${added.join("; ")}` };
}

/** The SameSite to append: when the line has no valid one, or (with override) a different one. Browsers read the last. */
function sameSiteToAdd(read: CookieLine, want: CookieRequirement): SameSite | undefined {
  if (want.sameSite === undefined) return undefined;
  if (read.sameSite === undefined) return want.sameSite;
  return want.override && read.sameSite !== want.sameSite.toLowerCase() ? want.sameSite : undefined;
}
