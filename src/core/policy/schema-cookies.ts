// The schema of a layer's `cookies` field: which attributes the origin's Set-Cookie lines must carry, by
// cookie name or glob pattern (core/headers/cookies.ts applies them).

import * as v from "valibot";
import { didYouMean, isObject, renderValue } from "../shared/result.js";
import { addAt, choose, strict, type Ctx } from "./schema-kit.js";

export const SAME_SITE_VALUES = ["Strict", "Lax", "None"] as const;
export type SameSite = (typeof SAME_SITE_VALUES)[number];

/** A cookie-name token (RFC 6265 §4.1.1); byte-exact, so `SessionID` and `sessionid` are different cookies. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const CookieName = v.pipe(
  v.string("a cookie name (a string)"),
  v.check((s) => COOKIE_NAME.test(s) && !s.includes("*"), "a cookie name (letters, digits and !#$%&'+-.^_`|~; no * outside a pattern)"),
);

const CookiePattern = v.pipe(
  v.string("a cookie name pattern (a string)"),
  v.check((s) => COOKIE_NAME.test(s), "a cookie name pattern: cookie-name characters, with * for any run of them (e.g. __Host-*)"),
);

const SameSiteSchema = v.picklist(SAME_SITE_VALUES, (issue) => {
  const hint = typeof issue.input === "string" ? didYouMean(issue.input, SAME_SITE_VALUES) : "";
  return `Strict, Lax or None, spelt so${hint}`;
});

const BOOLEAN = "true or false";

const CookieRuleObject = strict(
  {
    name: v.optional(v.pipe(CookieName, v.description("The cookie this entry is for, compared byte for byte (names are case-sensitive)."))),
    pattern: v.optional(
      v.pipe(CookiePattern, v.description("The cookies this entry is for: * matches any run of characters, e.g. __Host-*.")),
    ),
    description: v.optional(v.pipe(v.string("a string (shown by the explain command)"), v.description("Why the entry exists."))),
    secure: v.optional(
      v.pipe(v.boolean(BOOLEAN), v.description("true: add Secure when missing, over https only (false: do not require it here).")),
    ),
    httpOnly: v.optional(
      v.pipe(v.boolean(BOOLEAN), v.description("true: add HttpOnly when missing (scripts can no longer read the cookie).")),
    ),
    sameSite: v.optional(
      v.pipe(
        SameSiteSchema,
        v.description("Add SameSite=… when the line has none (or an invalid one); override decides for a weaker one."),
      ),
    ),
    override: v.optional(
      v.pipe(v.boolean(BOOLEAN), v.description("true: the sameSite given here also replaces a different SameSite the origin sent.")),
    ),
  },
  "a cookie entry { name or pattern, secure, httpOnly, sameSite, override, description }",
);
type CookieRuleOut = v.InferOutput<typeof CookieRuleObject>;

/** Checks across the fields of one entry: what it is for, and that what it requires makes sense. */
function checkCookieRule({ dataset, addIssue }: Ctx<CookieRuleOut>): void {
  if (!isObject(dataset.value)) return;
  const entry = dataset.value;
  const hasName = "name" in entry;
  const hasPattern = "pattern" in entry;
  if (hasName === hasPattern) {
    const message = hasName ? "either name or pattern, not both" : "a name (one cookie) or a pattern (e.g. __Host-*) saying which cookies";
    addAt(addIssue, entry, hasName ? "pattern" : "name", message, hasName ? entry.pattern : undefined);
  }
  // An entry with a misspelled field ("httponly") is reported for that field alone.
  const unknownField = dataset.issues?.some((issue) => issue.expected === "never") === true;
  if (!unknownField && !("secure" in entry) && !("httpOnly" in entry) && !("sameSite" in entry)) {
    addIssue({
      message: "secure, httpOnly, sameSite or some of them: an entry that requires nothing does nothing",
      received: renderValue(entry),
    });
  }
  if (entry.sameSite === "None" && entry.secure === false) {
    addAt(addIssue, entry, "secure", "secure: true (or left out) with sameSite None: browsers reject SameSite=None without Secure", false);
  }
  if ("override" in entry && !("sameSite" in entry)) {
    addAt(addIssue, entry, "override", "a sameSite beside override: it says what replaces the origin's SameSite", entry.override);
  }
}

export const CookieRuleSchema = v.pipe(CookieRuleObject, v.rawCheck<CookieRuleOut>(checkCookieRule));

const CookieList = v.array(CookieRuleSchema, 'a list of cookie entries, e.g. [{ "pattern": "*", "secure": true }]');

/** The `cookies` field: entries (this layer's first, then those below), or false to leave every Set-Cookie as the origin sent it. */
const FALSE = v.literal(false);
export const CookiesField = choose([CookieList, FALSE], (input) => (input === false ? FALSE : CookieList));

export type CookieRule = v.InferOutput<typeof CookieRuleSchema>;

/** The `cookies` entry of a layer's fields (policy-schema.ts's LAYER_ENTRIES). */
export const COOKIES_ENTRY = v.optional(
  v.pipe(
    CookiesField,
    v.description(
      "Attributes the origin's Set-Cookie lines must carry, by cookie name or pattern: this layer's entries come before those below; false: none.",
    ),
  ),
);
