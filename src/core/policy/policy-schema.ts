// The policy document's schema: one definition that validates documents (eval-free, with valibot) and
// that the JSON Schema for editors is generated from.

import * as v from "valibot";
import { DEDICATED_HEADERS, FORBIDDEN_HEADERS } from "../headers/known-headers.js";
import { pathPatternProblem } from "./match-path.js";
import { MARKER_PATTERN, markerProblem } from "../nonce/nonce-marker.js";
import { didYouMean, isObject } from "../shared/result.js";
import { PRESET_NAMES } from "./presets.js";
import { addAt, choose, strict, type Ctx } from "./schema-kit.js";
import { headerNameMiss, reportGroupMisses } from "./schema-near-misses.js";
import { CspField } from "./csp-schema.js";
import { HeadersSchema, RemoveSchema, WholeValueAction } from "./header-schema.js";
import { COOKIES_ENTRY } from "./schema-cookies.js";

export { HEADER_ACTIONS, WHOLE_VALUE_ACTIONS, HeaderEntry, HeaderEntryObject, HeadersSchema, RemoveSchema } from "./header-schema.js";
export type { HeaderAction, HeaderEntryValue } from "./header-schema.js";
export { BUNDLE_ARRAY, CspField, CspLayerSchema, DIRECTIVE_NAME, DirectiveValueSchema } from "./csp-schema.js";
export type { CspLayer } from "./csp-schema.js";

const FALSE = v.literal(false);

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

const PresetSchema = v.picklist(PRESET_NAMES, (issue) => {
  const hint = typeof issue.input === "string" ? didYouMean(issue.input, PRESET_NAMES) : "";
  return `a preset name: ${PRESET_NAMES.join(", ")}${hint}`;
});

const DocumentObject = strict(
  {
    $schema: v.optional(v.string("a string (the path to policy.schema.json)")),
    paths: v.optional(v.pipe(PathsObject, v.description("How request paths are compared with rule patterns (docs/policy-format.md)."))),
    preset: v.optional(
      v.pipe(PresetSchema, v.description('"strict": start from the strict preset instead of the defaults (docs/policy-format.md).')),
    ),
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
export type HstsLayer = v.InferOutput<typeof HstsLayerSchema>;
export type NonceLayer = v.InferOutput<typeof NonceLayerSchema>;
