// What the policy knows about individual response headers: which are singletons or lists, what a valid
// value looks like, and which headers a policy may not own at all.

import { parseDictionary, parseItem, Token, type BareItem, type InnerList } from "structured-headers";

/** How a header's value is shaped, which decides whether `append` makes sense and how items are deduplicated. */
export type HeaderKind = "singleton" | "list" | "dictionary";

export interface HeaderSpec {
  readonly kind: HeaderKind;
  /** What a valid value looks like, for error messages. */
  readonly expected: string;
  /** True when a browser would act on this value (used for policy values and for origin values under `default`). */
  readonly isValid: (value: string) => boolean;
}

function tokenSet(kind: HeaderKind, tokens: readonly string[]): HeaderSpec {
  const allowed = new Set(tokens);
  const expected = `one of ${tokens.join(", ")}`;
  if (kind === "singleton") {
    return { kind, expected, isValid: (v) => allowed.has(v.trim().toLowerCase()) };
  }
  return {
    kind,
    expected: `a comma-separated list of ${tokens.join(", ")}`,
    isValid: (v) => {
      const items = v.split(",");
      for (const item of items) if (!allowed.has(item.trim().toLowerCase())) return false;
      return items.length > 0;
    },
  };
}

/** A Structured Field Item that is one of the tokens, with any parameters (COOP's `report-to`, for example). */
function sfTokenItem(tokens: readonly string[]): HeaderSpec {
  const allowed = new Set(tokens);
  return {
    kind: "singleton",
    expected: `one of ${tokens.join(", ")} (a structured-field token, parameters allowed)`,
    isValid: (v) => {
      try {
        const [bare] = parseItem(v);
        return bare instanceof Token && allowed.has(bare.toString());
      } catch {
        return false;
      }
    },
  };
}

/**
 * True for a structured-field dictionary with at least one member, each member's value (a bare item, or
 * an inner list's items) accepted by `valid`; false for anything that does not parse as one.
 */
function isDictionaryOf(v: string, valid: (value: BareItem | InnerList[0]) => boolean): boolean {
  try {
    const dict = parseDictionary(v);
    for (const [value] of dict.values()) if (!valid(value)) return false;
    return dict.size > 0;
  } catch {
    return false;
  }
}

function isAllowlistMember(bare: unknown): boolean {
  if (bare instanceof Token) return ["*", "self", "src"].includes(bare.toString());
  return typeof bare === "string" && /^https?:\/\/[^\s"]+$/.test(bare);
}

const PERMISSIONS_POLICY: HeaderSpec = {
  kind: "dictionary",
  expected: 'a structured-field dictionary such as `geolocation=(), camera=(self "https://a.example")`',
  isValid: (v) =>
    isDictionaryOf(v, (value) => (Array.isArray(value) ? value.every(([bare]) => isAllowlistMember(bare)) : isAllowlistMember(value))),
};

const REPORTING_ENDPOINTS: HeaderSpec = {
  kind: "dictionary",
  expected: 'a structured-field dictionary of endpoint names to URL strings, e.g. `csp="https://r.example/csp"`',
  isValid: (v) => isDictionaryOf(v, (value) => typeof value === "string"),
};

const CLEAR_SITE_DATA_TYPES = new Set([
  '"cache"',
  '"cookies"',
  '"storage"',
  '"executioncontexts"',
  '"clienthints"',
  '"prefetchcache"',
  '"prerendercache"',
  '"*"',
]);

const HSTS_DIRECTIVE = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(?:=\s*("[^"]*"|[^\s;"]*)\s*)?$/;

/** Parse an HSTS value the way RFC 6797 §6.1 asks: one max-age, no directive twice; null when invalid. */
export function parseHsts(value: string): { maxAge: number; includeSubDomains: boolean; preload: boolean } | null {
  const seen = new Set<string>();
  let maxAge: number | undefined;
  for (const part of value.split(";")) {
    if (part.trim() === "") continue;
    const m = HSTS_DIRECTIVE.exec(part);
    if (m === null) return null;
    const name = (m[1] ?? "").toLowerCase();
    if (seen.has(name)) return null;
    seen.add(name);
    if (name === "max-age") {
      const raw = (m[2] ?? "").replace(/^"(.*)"$/, "$1");
      if (!/^\d{1,10}$/.test(raw)) return null;
      maxAge = Number(raw);
    } else if (m[2] !== undefined && (name === "includesubdomains" || name === "preload")) {
      return null;
    }
  }
  if (maxAge === undefined) return null;
  return { maxAge, includeSubDomains: seen.has("includesubdomains"), preload: seen.has("preload") };
}

/** Known headers, by lower-case name. Headers not listed are treated as comma lists with any visible value. */
export const KNOWN_HEADERS: ReadonlyMap<string, HeaderSpec> = new Map<string, HeaderSpec>([
  ["x-frame-options", tokenSet("singleton", ["deny", "sameorigin"])],
  ["x-content-type-options", tokenSet("singleton", ["nosniff"])],
  [
    "referrer-policy",
    tokenSet("list", [
      "no-referrer",
      "no-referrer-when-downgrade",
      "origin",
      "origin-when-cross-origin",
      "same-origin",
      "strict-origin",
      "strict-origin-when-cross-origin",
      "unsafe-url",
    ]),
  ],
  ["permissions-policy", PERMISSIONS_POLICY],
  ["reporting-endpoints", REPORTING_ENDPOINTS],
  ["cross-origin-opener-policy", sfTokenItem(["same-origin", "same-origin-allow-popups", "noopener-allow-popups", "unsafe-none"])],
  [
    "cross-origin-opener-policy-report-only",
    sfTokenItem(["same-origin", "same-origin-allow-popups", "noopener-allow-popups", "unsafe-none"]),
  ],
  ["cross-origin-embedder-policy", sfTokenItem(["require-corp", "credentialless", "unsafe-none"])],
  ["cross-origin-embedder-policy-report-only", sfTokenItem(["require-corp", "credentialless", "unsafe-none"])],
  ["cross-origin-resource-policy", tokenSet("singleton", ["same-site", "same-origin", "cross-origin"])],
  [
    "x-permitted-cross-domain-policies",
    tokenSet("singleton", ["none", "master-only", "by-content-type", "by-ftp-filename", "all", "none-this-response"]),
  ],
  ["x-dns-prefetch-control", tokenSet("singleton", ["on", "off"])],
  ["x-download-options", tokenSet("singleton", ["noopen"])],
  [
    "x-xss-protection",
    {
      kind: "singleton",
      expected: '"0" (recommended), or "1" with optional `mode=block` / `report=<uri>`',
      isValid: (v) => /^\s*(0|1(\s*;\s*(mode=block|report=[^\s;,]+))*)\s*$/i.test(v),
    },
  ],
  ["origin-agent-cluster", { kind: "singleton", expected: "?1 or ?0", isValid: (v) => /^\s*\?[01]\s*$/.test(v) }],
  [
    "clear-site-data",
    {
      kind: "list",
      expected: 'a comma-separated list of quoted types such as "cache", "cookies", "storage", "*"',
      isValid: (v) => v.split(",").every((t) => CLEAR_SITE_DATA_TYPES.has(t.trim().toLowerCase())),
    },
  ],
  [
    "strict-transport-security",
    { kind: "singleton", expected: "max-age=<seconds> with optional includeSubDomains and preload", isValid: (v) => parseHsts(v) !== null },
  ],
]);

/** Headers a policy may not own: owning them would change the body's meaning, the framing, or the cookies. */
export const FORBIDDEN_HEADERS: ReadonlyMap<string, string> = new Map([
  ["set-cookie", "cookies belong to the origin; the Worker never rewrites Set-Cookie"],
  ["content-type", "it decides how the body is read, and the body is the origin's"],
  ["content-length", "the runtime derives it from the body"],
  ["content-encoding", "it describes the body's bytes, which pass through untouched"],
  ["content-range", "it describes the body's bytes, which pass through untouched"],
  ["transfer-encoding", "it is hop-by-hop framing, set by the runtime"],
  ["connection", "it is hop-by-hop, set by the runtime"],
  ["keep-alive", "it is hop-by-hop, set by the runtime"],
  ["upgrade", "it is hop-by-hop, set by the runtime"],
  ["te", "it is hop-by-hop, set by the runtime"],
  ["trailer", "it is hop-by-hop, set by the runtime"],
  ["proxy-connection", "it is hop-by-hop, set by the runtime"],
  ["location", "redirects are the origin's and pass through unchanged"],
]);

/** Headers with a field of their own in the policy document, so they are written one way only. */
export const DEDICATED_HEADERS: ReadonlyMap<string, string> = new Map([
  ["strict-transport-security", "hsts"],
  ["content-security-policy", "csp"],
  ["content-security-policy-report-only", "cspReportOnly"],
]);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** True for a syntactically valid HTTP field name. */
export function isHeaderName(name: string): boolean {
  return TOKEN.test(name);
}

/**
 * The reason a configured header value may not be sent, or undefined when it may.
 * Control characters (CR, LF, NUL and the rest) and non-ASCII are refused: workerd throws on the first
 * kind at request time and mangles the second across browsers.
 */
export function headerValueProblem(value: string): string | undefined {
  if (value.trim() === "") return "a non-empty value";
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0x00) return "a value without CR, LF or NUL (header injection)";
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return "a value without control characters";
    if (c > 0x7e) return "a value in printable ASCII (non-ASCII is sent differently by each runtime)";
  }
  if (value !== value.trim()) return "a value without leading or trailing whitespace";
  return undefined;
}

/** The spec for a header, or the generic "comma list, any visible value" spec. */
export function specFor(lowerName: string): HeaderSpec {
  return KNOWN_HEADERS.get(lowerName) ?? GENERIC;
}

const GENERIC: HeaderSpec = {
  kind: "list",
  expected: "a non-empty value",
  isValid: (v) => v.trim() !== "",
};

/** The key that identifies a list item for deduplication: the member name for dictionaries, else the item. */
export function itemKey(kind: HeaderKind, item: string): string {
  const trimmed = item.trim();
  if (kind === "dictionary") {
    const eq = trimmed.search(/[=;]/);
    return (eq === -1 ? trimmed : trimmed.slice(0, eq)).trim().toLowerCase();
  }
  return trimmed.toLowerCase();
}

/** Split a list or dictionary header value at its top-level commas (not inside quotes or parentheses). */
export function splitListValue(value: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === "(") depth++;
    else if (c === ")") depth = Math.max(0, depth - 1);
    else if (c === "," && depth === 0) {
      items.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  items.push(value.slice(start).trim());
  return items.filter((item) => item !== "");
}
