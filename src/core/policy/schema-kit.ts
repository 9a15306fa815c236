// The valibot building blocks of the policy schema: alternatives picked from the input (so an error names
// the one the input meant), strict objects with did-you-mean, JSON-object checks, and issue paths.

import * as v from "valibot";
import { didYouMean, isObject, joinPath, renderValue } from "../shared/result.js";

/** Schemas that validate by picking one alternative from the input (precise errors); JSON Schema lists them all. */
export const ALTERNATIVES = new WeakMap<object, readonly v.GenericSchema[]>();

type Picked<A extends readonly v.GenericSchema[]> = A[number] | v.GenericSchema<unknown, never>;

/** A schema that validates with the alternative `pick` chooses from the input. */
export function choose<const A extends readonly v.GenericSchema[]>(alternatives: A, pick: (input: unknown) => Picked<A>) {
  const schema = v.lazy(pick);
  ALTERNATIVES.set(schema, alternatives);
  return schema;
}

const rejections = new Map<string, v.GenericSchema<unknown, never>>();

/** A schema that rejects every input with the message `what` (valibot reads arrays as objects otherwise). */
function reject(what: string): v.GenericSchema<unknown, never> {
  let schema = rejections.get(what);
  if (schema === undefined) {
    schema = v.custom<never>(() => false, what);
    rejections.set(what, schema);
  }
  return schema;
}

/** Keys valibot's records skip without a word; a key that vanished silently would be an ignored typo. */
const RESERVED_KEYS = ["__proto__", "constructor", "prototype"];

function reservedKey(input: object): string | undefined {
  return RESERVED_KEYS.find((key) => Object.prototype.hasOwnProperty.call(input, key));
}

/** Only a JSON object (not an array, not null, no reserved key) reaches `inner`. */
export function plain<S extends v.GenericSchema>(inner: S, what: string) {
  return choose([inner], (input) => {
    if (!isObject(input)) return reject(what);
    const reserved = reservedKey(input);
    return reserved === undefined ? inner : reject(`${what}, without the key "${reserved}" (reserved in JavaScript objects)`);
  });
}

/** A strict object: unknown keys are errors, with the closest known key offered as the likely fix. */
export function strict<const E extends v.ObjectEntries>(entries: E, what: string) {
  const keys = Object.keys(entries);
  return plain(strictObjectOf(entries, keys, what), what);
}

function strictObjectOf<const E extends v.ObjectEntries>(entries: E, keys: string[], what: string) {
  return v.strictObject(entries, (issue) => {
    const key = issue.path?.at(-1)?.key;
    if (issue.expected === "never" && typeof key === "string") {
      return `a known field (${keys.join(", ")})${didYouMean(key, keys)}`;
    }
    if (issue.received === "undefined" && typeof issue.expected === "string" && issue.expected.startsWith('"')) {
      return `the required field ${issue.expected}`;
    }
    return what;
  });
}

export type Ctx<T = Record<string, unknown>> = v.RawCheckContext<T>;

/** Report an issue at `input[key]`, or deeper along `extra`, with the path valibot would give it. */
export function addAt(
  addIssue: Ctx["addIssue"],
  input: Record<string, unknown>,
  key: string,
  message: string,
  received: unknown,
  extra: (string | number)[] = [],
) {
  // valibot paths are built from items; one item per step keeps the rendered path exact.
  const path: v.IssuePathItem[] = [{ type: "object", origin: "value", input, key, value: input[key] }];
  let parent: unknown = input[key];
  for (const step of extra) {
    const value = parent !== null && typeof parent === "object" ? (parent as Record<string | number, unknown>)[step] : undefined;
    path.push(
      typeof step === "number"
        ? { type: "array", origin: "value", input: parent as unknown[], key: step, value }
        : { type: "object", origin: "value", input: parent as Record<string, unknown>, key: step, value },
    );
    parent = value;
  }
  addIssue({ message, received: renderValue(received), path: path as [v.IssuePathItem, ...v.IssuePathItem[]] });
}

/** Render a valibot issue path the way policy issues name fields: `headers["X-Frame-Options"].action`. */
export function renderIssuePath(path: readonly v.IssuePathItem[] | undefined): string {
  let out = "";
  for (const item of path ?? []) {
    const key = item.key;
    out = typeof key === "number" || typeof key === "string" ? joinPath(out, key) : out;
  }
  return out;
}
