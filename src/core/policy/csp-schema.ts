// The policy schema's CSP fields: directive names and sources, additions, removals and source bundles,
// with the checks that need a directive's name.

import * as v from "valibot";
import { CSP_DIRECTIVES } from "../csp/directives.js";
import { sourceListProblems } from "../csp/parse-csp.js";
import { didYouMean, isObject, renderValue, suggest } from "../shared/result.js";
import { BUNDLE_NAMES, SOURCE_BUNDLES } from "../csp/bundles.js";
import { addAt, choose, plain, strict, type Ctx } from "./schema-kit.js";
import { WholeValueAction } from "./header-schema.js";

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

export type CspLayer = v.InferOutput<typeof CspLayerSchema>;
