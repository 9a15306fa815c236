// The `strip-version` header action: keep the product names an origin announces, drop their versions
// (`Server: nginx/1.24.0 (Ubuntu)` → `nginx`), so a response does not tell attackers which known
// vulnerabilities to try. Pure; applied per response to the origin's value.

/** Headers the built-in defaults strip versions from (X-Powered-By and the ASP.NET ones are removed whole). */
export const VERSION_HEADERS: readonly string[] = ["Server", "Via", "X-Generator", "X-Mod-Pagespeed", "X-Page-Speed"];

/** A token that is a version rather than a product: "1.24.0", "v2", "10". */
const VERSION_TOKEN = /^v?\d/i;

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

/** `Server`, `X-Generator`, …: product tokens without their `/version`, version-only tokens dropped. */
function productsOnly(value: string): string {
  return withoutComments(value)
    .split(/[\s,]+/)
    .map((token) => token.split("/", 1)[0] ?? "")
    .filter((token) => token !== "" && !VERSION_TOKEN.test(token))
    .join(" ");
}

/** `Via`: each hop keeps its received-protocol and received-by (both required); the comment naming the software goes. */
function viaWithoutComments(value: string): string {
  return value
    .split(",")
    .map((hop) => withoutComments(hop).trim().split(/\s+/).slice(0, 2).join(" "))
    .filter((hop) => hop !== "")
    .join(", ");
}

/** The value with its version details dropped; "" when nothing but versions was left (drop the header). */
export function stripVersion(name: string, value: string): string {
  return name.toLowerCase() === "via" ? viaWithoutComments(value) : productsOnly(value);
}

/** True when the value names no version: stripping would change nothing but spacing. */
export function isVersionFree(name: string, value: string): boolean {
  const spaced =
    name.toLowerCase() === "via"
      ? value
          .split(",")
          .map((hop) => hop.trim().split(/\s+/).join(" "))
          .join(", ")
      : value
          .split(/[\s,]+/)
          .filter((t) => t !== "")
          .join(" ");
  return stripVersion(name, value) === spaced;
}
