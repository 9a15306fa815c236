// The policy schema's header fields: `headers` entries (value, action, add, custom) and the `remove` list,
// with the checks that need a header's name.

import * as v from "valibot";
import { DEDICATED_HEADERS, FORBIDDEN_HEADERS, headerValueProblem, isHeaderName, specFor } from "../headers/known-headers.js";
import { didYouMean, isObject } from "../shared/result.js";
import { addAt, choose, plain, strict, type Ctx } from "./schema-kit.js";
import { CUSTOM_FIELD, featureMisses, headerNameMiss } from "./schema-near-misses.js";

export const HEADER_ACTIONS = ["set", "default", "append", "remove", "strip-version"] as const;
export type HeaderAction = (typeof HEADER_ACTIONS)[number];
export const WHOLE_VALUE_ACTIONS = ["set", "default"] as const;

export const HeaderName = v.pipe(
  v.string("a header name"),
  v.check(isHeaderName, "an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)"),
);

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

/** set or default: the actions of a field whose whole value the edge writes (csp, hsts). */
export const WholeValueAction = v.picklist(
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

const HeadersRecord = plain(v.record(HeaderName, HeaderEntry, "an object of header name to entry"), "an object of header name to entry");
type HeadersOut = v.InferOutput<typeof HeadersRecord>;
export const HeadersSchema = v.pipe(HeadersRecord, v.rawCheck<HeadersOut>(checkHeaderEntries));

export const RemoveSchema = v.array(HeaderName, "a list of header names to strip");

export type HeaderEntryValue = v.InferOutput<typeof HeaderEntry>;
