// The policy document's schema: one definition that validates documents (eval-free, with valibot) and
// that the JSON Schema for editors is generated from.

import * as v from "valibot";
import { CSP_DIRECTIVES } from "../csp/directives.js";
import { sourceListProblems } from "../csp/parse-csp.js";
import { DEDICATED_HEADERS, FORBIDDEN_HEADERS, headerValueProblem, isHeaderName, specFor } from "../headers/known-headers.js";
import { pathPatternProblem } from "./match-path.js";
import { MARKER_PATTERN, markerProblem } from "../nonce/nonce-marker.js";
import { didYouMean, isObject, renderValue, suggest } from "../shared/result.js";
import { BUNDLE_NAMES, SOURCE_BUNDLES } from "../csp/bundles.js";
import { addAt, choose, plain, strict, type Ctx } from "./schema-kit.js";
import { CUSTOM_FIELD, featureMisses, headerNameMiss, reportGroupMisses } from "./schema-near-misses.js";
import { COOKIES_ENTRY } from "./schema-cookies.js";

export const HEADER_ACTIONS = ["set", "default", "append", "remove", "strip-version"] as const;
export type HeaderAction = (typeof HEADER_ACTIONS)[number];
export const WHOLE_VALUE_ACTIONS = ["set", "default"] as const;

const HeaderName = v.pipe(v.string("a header name"), v.check(isHeaderName, "an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)"));

const HeaderValue = v.pipe(
  v.string("a header value (a string)"),
  v.check(
    (s) => headerValueProblem(s) === undefined,
    (issue) => headerValueProblem(issue.input) ?? "a valid header value",
  ),
);

const HeaderActionSchema = v.picklist(HEADER_ACTIONS, (issue) => {
  const hint = typeof issue.input === "string" ? didYouMean(issue.input, HEADER_ACTIONS) : "";
  return `one of ${HEADER_ACTIONS.join(", ")}${hint}`;
});

const WholeValueAction = v.picklist(
  WHOLE_VALUE_ACTIONS,
  "set (the edge's value replaces the origin's) or default (the origin's valid value wins)",
);

export const HeaderEntryObject = strict(
  {
    value: v.optional(HeaderValue),
    action: v.optional(HeaderActionSchema),
    add: v.optional(
      v.pipe(
        HeaderValue,
        v.description("List headers: members added to the value below (defaults, lower layers); a member with the same key replaces it."),
      ),
    ),
    [CUSTOM_FIELD]: v.optional(
      v.pipe(
        v.literal(true, "true (the header is your own, not a misspelling of one browsers know)"),
        v.description("true: a header of your own whose name is one edit from a known one (X-Frame-Option would be refused)."),
      ),
    ),
  },
  "a header value string, an object { value, action, add, custom }, or null to stop owning the header",
);

/** A header entry: a value string, { value, action }, or null (the header is no longer owned). */
const NULL = v.null();
export const HeaderEntry = choose([HeaderValue, HeaderEntryObject, NULL], (input) =>
  typeof input === "string" ? HeaderValue : input === null ? NULL : HeaderEntryObject,
);

/** Checks that need the header's name: what it may be, and what its value and action must look like. */
function checkHeaderEntries({ dataset, addIssue }: Ctx<HeadersOut>): void {
  // Also when some entry is malformed (the dataset is then untyped): every issue shows in one run.
  if (!isObject(dataset.value)) return;
  const entries = dataset.value;
  const seen = new Map<string, string>();
  for (const [name, entry] of Object.entries(entries)) {
    const lower = name.toLowerCase();
    const previous = seen.get(lower);
    if (previous !== undefined) {
      addAt(addIssue, entries, name, `each header once: "${previous}" is the same header (names are case-insensitive)`, name);
    }
    seen.set(lower, name);
    const forbidden = FORBIDDEN_HEADERS.get(lower);
    if (forbidden !== undefined) {
      addAt(addIssue, entries, name, `a header the policy may own: ${name} cannot be, because ${forbidden}`, name);
      continue;
    }
    const dedicated = DEDICATED_HEADERS.get(lower);
    if (dedicated !== undefined) {
      addAt(addIssue, entries, name, `the \`${dedicated}\` field for ${name}, which validates it`, name);
      continue;
    }
    const miss = isObject(entry) && entry[CUSTOM_FIELD] === true ? undefined : headerNameMiss(name, "headers");
    if (miss !== undefined) addAt(addIssue, entries, name, miss, name);
    if (entry === null || (typeof entry !== "string" && !isObject(entry))) continue;
    const spec = specFor(lower);
    const object = typeof entry === "string" ? { value: entry } : { value: entry.value, action: entry.action };
    // A value of the wrong type is reported by the entry's own schema.
    const value = typeof object.value === "string" ? object.value : undefined;
    const valuePath = typeof entry === "string" ? [] : ["value"];
    if (value !== undefined && !spec.isValid(value)) {
      addAt(addIssue, entries, name, `a valid ${name} value: ${spec.expected}`, value, valuePath);
    } else if (value !== undefined && (lower === "permissions-policy" || lower === "permissions-policy-report-only")) {
      for (const message of featureMisses(value)) addAt(addIssue, entries, name, message, value, valuePath);
    }
    if (typeof entry === "object") {
      // An entry with a misspelled field ("valeu") is reported for that field alone.
      const fieldIssue = dataset.issues?.some((issue) => issue.path?.[0]?.key === name) === true;
      if (object.action === undefined && object.value === undefined && entry.add === undefined && !fieldIssue) {
        addAt(addIssue, entries, name, "a value, an action, an add, or some of them (null stops owning the header)", entry);
      }
      if ((object.action === "remove" || object.action === "strip-version") && value !== undefined) {
        addAt(addIssue, entries, name, `no value with action ${object.action}`, value, ["value"]);
      }
      if (object.action === "append" && spec.kind === "singleton") {
        addAt(addIssue, entries, name, `set or default: ${name} takes one value, so append would make it invalid`, "append", ["action"]);
      }
      checkAdd(entries, name, entry.add, object.action, addIssue);
    }
  }
}

/** `add` only on list headers, with members the header accepts, and never beside remove or strip-version. */
function checkAdd(
  entries: Record<string, unknown>,
  name: string,
  add: unknown,
  action: unknown,
  addIssue: Ctx<HeadersOut>["addIssue"],
): void {
  if (typeof add !== "string") return;
  const lower = name.toLowerCase();
  const spec = specFor(lower);
  if (spec.kind === "singleton") {
    addAt(addIssue, entries, name, `value: ${name} takes one value, so there is no list to add to`, add, ["add"]);
  } else if (action === "remove" || action === "strip-version") {
    addAt(addIssue, entries, name, `no add with action ${action}`, add, ["add"]);
  } else if (!spec.isValid(add)) {
    addAt(addIssue, entries, name, `members of a valid ${name} value: ${spec.expected}`, add, ["add"]);
  } else if (lower === "permissions-policy" || lower === "permissions-policy-report-only") {
    for (const message of featureMisses(add)) addAt(addIssue, entries, name, message, add, ["add"]);
  }
}

/** The directive-name schema (exported so the JSON Schema can list the names for completion). */
export const DIRECTIVE_NAME = v.pipe(
  v.string("a CSP directive name"),
  v.check(
    (s) => CSP_DIRECTIVES.has(s),
    (issue) => `a CSP directive in its spec spelling${didYouMean(issue.input, CSP_DIRECTIVES.keys())}`,
  ),
);

const DirectiveName = DIRECTIVE_NAME;

const SourceList = v.array(v.string("a source (a string)"), 'a list of sources, e.g. ["\'self\'", "https:"]');

/** A directive's value: a list of sources, or true for a directive without one (upgrade-insecure-requests). */
const TRUE = v.literal(true);
export const DirectiveValueSchema = choose([SourceList, TRUE], (input) => (input === true ? TRUE : SourceList));

/** Checks that need the directive's name: the shape of its value and each source in it. */
function checkDirectiveValues<T extends Readonly<Record<string, true | string[]>>>(mode: "replace" | "add") {
  return ({ dataset, addIssue }: Ctx<T>): void => {
    if (!isObject(dataset.value)) return;
    const directives = dataset.value;
    for (const [name, value] of Object.entries(directives)) {
      // A misspelled name is reported by the key check; its sources are still checked, as the directive it
      // most likely meant (or as a plain source list), so fixing the name reveals nothing new.
      const kind = CSP_DIRECTIVES.get(name) ?? CSP_DIRECTIVES.get(suggest(name, CSP_DIRECTIVES.keys()) ?? "") ?? "sources";
      if (kind === "flag") {
        if (value !== true) addAt(addIssue, directives, name, `true: ${name} takes no sources`, value);
        continue;
      }
      if (!Array.isArray(value)) {
        addAt(addIssue, directives, name, `a list of sources: only flag directives take true`, value);
        continue;
      }
      if (!value.every((source) => typeof source === "string")) continue; // reported by the source schema
      const sources = value;
      for (const { index, message } of sourceListProblems(kind, sources, mode)) {
        if (index === undefined) addAt(addIssue, directives, name, message, value);
        else addAt(addIssue, directives, name, message, sources[index], [index]);
      }
    }
  };
}

const DirectivesRecord = plain(
  v.record(DirectiveName, DirectiveValueSchema, "an object of CSP directive name to sources"),
  "an object of CSP directive name to sources",
);
const Directives = v.pipe(DirectivesRecord, v.rawCheck<v.InferOutput<typeof DirectivesRecord>>(checkDirectiveValues("replace")));

const AdditionsRecord = plain(
  v.record(DirectiveName, SourceList, "an object of CSP directive name to sources to add"),
  "an object of CSP directive name to sources to add",
);
const DirectiveAdditions = v.pipe(AdditionsRecord, v.rawCheck<v.InferOutput<typeof AdditionsRecord>>(checkDirectiveValues("add")));

/** A source bundle's name (src/core/csp/bundles.ts), with the closest one offered for a typo. */
const BUNDLE_NAME = v.pipe(
  v.string("a source bundle name (a string)"),
  v.check(
    (s) => SOURCE_BUNDLES.has(s),
    (issue) => `a known source bundle${didYouMean(issue.input, BUNDLE_NAMES)}: one of ${BUNDLE_NAMES.join(", ")}`,
  ),
);

/** Each bundle once: a repeat adds nothing, and is most likely a different one misremembered. */
function checkBundleList({ dataset, addIssue }: Ctx<string[]>): void {
  // Also when another item is invalid (a number, say): every issue is reported in one pass.
  const names: unknown = dataset.value;
  if (!Array.isArray(names)) return;
  const seen = new Set<unknown>();
  names.forEach((name: unknown, index) => {
    if (typeof name === "string" && seen.has(name))
      addIssue({
        message: "each bundle once",
        received: renderValue(name),
        path: [{ type: "array", origin: "value", input: names, key: index, value: name }],
      });
    seen.add(name);
  });
}

/** The `allow` array (exported so the JSON Schema can list the names for completion). */
export const BUNDLE_ARRAY = v.array(BUNDLE_NAME, 'a list of source bundle names, e.g. ["stripe", "google-fonts"]');

const BundleList = v.pipe(
  BUNDLE_ARRAY,
  v.minLength(1, "at least one bundle (leave allow out to allow none)"),
  v.rawCheck<string[]>(checkBundleList),
);

export const CspLayerSchema = strict(
  {
    action: v.optional(WholeValueAction),
    replace: v.optional(v.boolean("true or false")),
    directives: v.optional(Directives),
    add: v.optional(DirectiveAdditions),
    remove: v.optional(v.array(DirectiveName, "a list of directive names")),
    allow: v.optional(v.pipe(BundleList, v.description('Source bundles of well-known services to allow, e.g. ["stripe"]: docs/csp.md.'))),
  },
  "a CSP object { action, replace, directives, add, remove, allow }, or false to send none",
);

/** A CSP layer, or false: this layer sends no policy (an origin's own policy then passes). */
const FALSE = v.literal(false);
export const CspField = choose([CspLayerSchema, FALSE], (input) => (input === false ? FALSE : CspLayerSchema));

export const HstsLayerSchema = strict(
  {
    action: v.optional(WholeValueAction),
    maxAge: v.optional(
      v.pipe(
        v.number("a number of seconds"),
        v.integer("a whole number of seconds"),
        v.minValue(0, "0 or more seconds (0 tells browsers to forget the host)"),
        v.maxValue(2 ** 31 - 1, "at most 2147483647 seconds"),
      ),
    ),
    includeSubDomains: v.optional(v.boolean("true or false")),
    preload: v.optional(v.boolean("true or false")),
  },
  "an HSTS object { action, maxAge, includeSubDomains, preload }, or false to send none",
);

export const HstsField = choose([HstsLayerSchema, FALSE], (input) => (input === false ? FALSE : HstsLayerSchema));

export const NONCE_MODES = ["marked", "blanket"] as const;

/**
 * The marker an origin writes where the nonce goes (`<script nonce="…">`): the site's secret, so there is
 * no default; one check gives the one message that says what is wrong (published, short, too plain).
 */
export const NonceMarkerSchema = v.pipe(
  v.string("a marker string"),
  v.check(
    (marker) => markerProblem(marker) === undefined,
    (issue) => markerProblem(issue.input) ?? "a secret marker",
  ),
  // The length and alphabet have a JSON Schema form (for editors); the variety and published checks do not.
  v.metadata({
    pattern: MARKER_PATTERN,
    description:
      "The secret the origin writes as the nonce's value in marked mode (32-64 characters drawn at random: `npx security-headers-worker marker`); unset: the Worker's NONCE_MARKER secret.",
  }),
);

export const NonceLayerSchema = strict(
  {
    scripts: v.optional(v.boolean("true or false")),
    styles: v.optional(v.boolean("true or false")),
    mode: v.optional(v.picklist(NONCE_MODES, "marked (only elements the origin marked get the nonce) or blanket (every script and style)")),
    strictDynamic: v.optional(v.boolean("true or false")),
    marker: v.optional(NonceMarkerSchema),
  },
  "a nonce object { scripts, styles, mode, strictDynamic, marker }, or false",
);

/** Per-response nonces: on (an object), or false (off). */
export const NonceField = choose([NonceLayerSchema, FALSE], (input) => (input === false ? FALSE : NonceLayerSchema));

const HeadersRecord = plain(v.record(HeaderName, HeaderEntry, "an object of header name to entry"), "an object of header name to entry");
type HeadersOut = v.InferOutput<typeof HeadersRecord>;
export const HeadersSchema = v.pipe(HeadersRecord, v.rawCheck<HeadersOut>(checkHeaderEntries));

export const RemoveSchema = v.array(HeaderName, "a list of header names to strip");

/** The fields a layer of policy may carry: the document base today, and per-path rules later. */
export const LAYER_ENTRIES = {
  headers: v.optional(
    v.pipe(
      HeadersSchema,
      v.description("Header name → value, { value, action: set | default | append | remove | strip-version }, or null to stop owning it."),
    ),
  ),
  remove: v.optional(v.pipe(RemoveSchema, v.description("Headers to strip, e.g. X-Powered-By."))),
  csp: v.optional(
    v.pipe(CspField, v.description("The enforced Content-Security-Policy: { action, replace, directives, add, remove }, or false.")),
  ),
  cspReportOnly: v.optional(v.pipe(CspField, v.description("Content-Security-Policy-Report-Only, same shape as csp; sent beside it."))),
  hsts: v.optional(
    v.pipe(HstsField, v.description("Strict-Transport-Security (https only): { action, maxAge, includeSubDomains, preload }, or false.")),
  ),
  nonce: v.optional(
    v.pipe(
      NonceField,
      v.description("A fresh nonce per HTML response, in the CSP and on marked (or all) script/style elements, or false."),
    ),
  ),
  cookies: COOKIES_ENTRY,
};

/** Checks across fields of one layer. */
function checkLayer<T extends { headers?: Record<string, unknown>; remove?: string[] }>({ dataset, addIssue }: Ctx<T>): void {
  // Also when another field is malformed (the dataset is then untyped): every issue shows in one run.
  if (!isObject(dataset.value)) return;
  const input = dataset.value;
  const headers = isObject(input.headers) ? input.headers : {};
  const remove = Array.isArray(input.remove) ? (input.remove as unknown[]) : [];
  const owned = new Map(Object.keys(headers).map((n) => [n.toLowerCase(), n]));
  const seen = new Set<string>();
  remove.forEach((name, i) => {
    if (typeof name !== "string") return; // reported by the list's schema
    const lower = name.toLowerCase();
    const reason = FORBIDDEN_HEADERS.get(lower);
    const dedicated = DEDICATED_HEADERS.get(lower);
    if (reason !== undefined) {
      addAt(addIssue, input, "remove", `a header the policy may own: ${name} cannot be removed, because ${reason}`, name, [i]);
    } else if (dedicated !== undefined) {
      addAt(addIssue, input, "remove", `\`${dedicated}: false\` to stop sending ${name}`, name, [i]);
    } else if (owned.has(lower)) {
      addAt(addIssue, input, "remove", `one place per header: ${name} also has an entry in headers["${owned.get(lower) ?? name}"]`, name, [
        i,
      ]);
    } else if (seen.has(lower)) {
      addAt(addIssue, input, "remove", "each header once", name, [i]);
    } else {
      const miss = headerNameMiss(name, "remove");
      if (miss !== undefined) addAt(addIssue, input, "remove", miss, name, [i]);
    }
    seen.add(lower);
  });
  for (const { field, group, hit } of reportGroupMisses(input)) {
    const message = `a reporting group this policy defines (did you mean \`${hit}\`?): browsers drop reports to an unknown group`;
    addAt(addIssue, input, field, message, group, ["directives", "report-to", 0]);
  }
}

const PathPattern = v.pipe(
  v.string("a path pattern (a string)"),
  v.check(
    (s) => pathPatternProblem(s) === undefined,
    (issue) => pathPatternProblem(issue.input) ?? "a path pattern",
  ),
);

const MEDIA_RANGE = /^[a-z0-9!#$&^_.+-]+\/(?:[a-z0-9!#$&^_.+-]+|\*)$/;
const MediaRange = v.pipe(
  v.string("a media type (a string)"),
  v.check((s) => MEDIA_RANGE.test(s), "a lower-case media type without parameters: text/html, application/json or text/*"),
);
const ContentTypes = v.pipe(
  v.array(MediaRange, 'a list of media types, e.g. ["text/html"]'),
  v.minLength(1, "at least one media type (leave contentType out to match every response)"),
);

const RuleObject = strict(
  {
    path: v.pipe(
      PathPattern,
      v.description(
        "Path pattern: /login, /users/:id, /embed/* (matched on the canonical path; case-insensitive unless paths.caseSensitive).",
      ),
    ),
    description: v.optional(v.pipe(v.string("a string (shown by the explain command)"), v.description("Why the rule exists."))),
    contentType: v.optional(v.pipe(ContentTypes, v.description('Only for responses of these media types, e.g. ["text/html"].'))),
    ...LAYER_ENTRIES,
  },
  "a rule object { path, contentType, headers, remove, csp, cspReportOnly, hsts, nonce }",
);
type RuleOut = v.InferOutput<typeof RuleObject>;
export const PathRuleSchema = v.pipe(RuleObject, v.rawCheck<RuleOut>(checkLayer));

const PathsObject = strict(
  {
    caseSensitive: v.optional(
      v.pipe(
        v.boolean("true or false"),
        v.description("true: /Admin and /admin are different pages to the rules, for an origin known to be case-sensitive. Default false."),
      ),
    ),
  },
  "a paths object { caseSensitive }",
);

const DocumentObject = strict(
  {
    $schema: v.optional(v.string("a string (the path to policy.schema.json)")),
    paths: v.optional(v.pipe(PathsObject, v.description("How request paths are compared with rule patterns (docs/policy-format.md)."))),
    ...LAYER_ENTRIES,
    rules: v.optional(
      v.pipe(
        v.array(PathRuleSchema, "a list of rules"),
        v.description("Per-path rules; all matching rules apply, the most specific last."),
      ),
    ),
  },
  "a policy document (a JSON object)",
);
type DocumentOut = v.InferOutput<typeof DocumentObject>;
export const PolicyDocumentSchema = v.pipe(DocumentObject, v.rawCheck<DocumentOut>(checkLayer));

export type PolicyDocument = v.InferOutput<typeof PolicyDocumentSchema>;
export type PolicyLayer = Pick<PolicyDocument, keyof typeof LAYER_ENTRIES>;
export type PathRule = v.InferOutput<typeof PathRuleSchema>;
export type CspLayer = v.InferOutput<typeof CspLayerSchema>;
export type HstsLayer = v.InferOutput<typeof HstsLayerSchema>;
export type NonceLayer = v.InferOutput<typeof NonceLayerSchema>;
export type HeaderEntryValue = v.InferOutput<typeof HeaderEntry>;
