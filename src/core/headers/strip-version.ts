// The `strip-version` header action: keep the product names an origin announces, drop their versions
// (`Server: nginx/1.24.0 (Ubuntu)` → `nginx`), so a response does not tell attackers which known
// vulnerabilities to try. Pure; applied per response to the origin's value.

/** Headers the built-in defaults strip versions from (X-Powered-By and the ASP.NET ones are removed whole). */
export const VERSION_HEADERS: readonly string[] = ["Server", "Via", "X-Generator", "X-Mod-Pagespeed", "X-Page-Speed"];

/** Words a version may end with after a separator, though they hold no digit (`5.2.3.RELEASE`, `2.0-beta`). */
const RELEASE_WORDS = new Set(["alpha", "beta", "rc", "dev", "pre", "final", "release", "snapshot", "stable", "lts", "ga"]);

/** The number a version starts with: `1.24.0`, `v18`, `11g`, `1.1.1k` (one lower-case letter: `4D` and `3Com` are names). */
const VERSION_HEAD = /^[vV]?\d+(?:\.\d+)*[a-z]?/;

/**
 * True when `token` is a version rather than a name: the number above, then any number of chunks after
 * `-`, `+`, `.`, `~` or `_`, each holding a digit or being a release word: `1.13.35.2-0`, `2.0-rc1`,
 * `9.4.43.v20210629`, `2023-03-30`.
 */
export function isVersionToken(token: string): boolean {
  const head = VERSION_HEAD.exec(token);
  if (head === null) return false;
  const rest = token.slice(head[0].length);
  if (rest === "") return true;
  if (!/^(?:[-+.~_][A-Za-z\d]+)+$/.test(rest)) return false;
  return rest
    .slice(1)
    .split(/[-+.~_]/)
    .every((chunk) => /\d/.test(chunk) || RELEASE_WORDS.has(chunk.toLowerCase()));
}

/** The text with every (comment) taken out, nested ones and \-escaped parentheses included (RFC 9110 §5.6.5). */
function withoutComments(value: string): string {
  let out = "";
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    if (c === "\\" && depth > 0) {
      i++;
      continue;
    }
    if (c === "(") depth++;
    else if (c === ")") depth = Math.max(0, depth - 1);
    else if (depth === 0) out += c;
    // A comment separates what is on either side of it.
    if ((c === "(" && depth === 1) || (c === ")" && depth === 0)) out += " ";
  }
  return out;
}

/** `name` without a `-<version>` or `_<version>` tail (`nginx-1.24.0`, `Oracle-HTTP-Server-11g`, `4D_v17`);
 *  `keep` says which tails are not versions here. */
function withoutVersionTail(name: string, keep: (tail: string) => boolean = () => false): string {
  for (let i = 1; i < name.length; i++) {
    const c = name.charAt(i);
    const tail = name.slice(i + 1);
    if ((c === "-" || c === "_") && isVersionToken(tail) && !keep(tail)) return name.slice(0, i);
  }
  return name;
}

/** A product token's name (`nginx/1.24.0` → `nginx`); "" when the token is nothing but a version. */
function productName(token: string): string {
  const name = token.split("/", 1)[0] ?? "";
  return isVersionToken(name.replace(/^[-_]+/, "")) ? "" : withoutVersionTail(name);
}

/** Words and `,`/`;` separators rejoined with single spaces, a separator kept only between two words. */
function render(pieces: readonly string[]): string {
  let out = "";
  let separator = "";
  for (const piece of pieces) {
    if (piece === "," || piece === ";") {
      if (out !== "" && separator === "") separator = piece;
    } else if (piece !== "") {
      out += out === "" ? piece : `${separator} ${piece}`;
      separator = "";
    }
  }
  return out;
}

/** The words and separators of a product list. */
function pieces(value: string): string[] {
  return value.match(/[,;]|[^\s,;]+/g) ?? [];
}

/** Via's received-by: a host keeps its name and port; a pseudonym loses `/version` and a dotted or
 *  lettered `-version` tail (`squid/3.5`, `nginx-1.24.0`), but not a bare number (`edge-01` is a host). */
function receivedBy(token: string): string {
  const name = token.split("/", 1)[0] ?? "";
  return name === "" ? token : withoutVersionTail(name, (tail) => /^\d+$/.test(tail));
}

/** `Via`: each hop keeps its received-protocol (an HTTP version, not software) and received-by; comments go. */
function viaHops(value: string, strip: boolean): string {
  return value
    .split(",")
    .map((hop) => {
      const words = (strip ? withoutComments(hop) : hop).trim().split(/\s+/);
      if (!strip) return words.join(" ");
      const [protocol = "", by] = words;
      return by === undefined ? protocol : `${protocol} ${receivedBy(by)}`;
    })
    .filter((hop) => hop !== "")
    .join(", ");
}

/** The value with its version details dropped; "" when nothing but versions was left (drop the header). */
export function stripVersion(name: string, value: string): string {
  if (name.toLowerCase() === "via") return viaHops(value, true);
  return render(pieces(withoutComments(value)).map((piece) => (piece === "," || piece === ";" ? piece : productName(piece))));
}

/** True when the value names no version: stripping would change nothing but spacing. */
export function isVersionFree(name: string, value: string): boolean {
  const spaced = name.toLowerCase() === "via" ? viaHops(value, false) : render(pieces(value));
  return stripVersion(name, value) === spaced;
}
