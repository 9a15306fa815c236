// The valid rest of an invalid policy document: every part an issue points at taken out, so the CLI can
// compile what remains and report the issues only compiling shows in the same run as the schema's.

import * as v from "valibot";
import { isObject } from "../shared/result.js";
import { PolicyDocumentSchema, type PolicyDocument } from "./policy-schema.js";

/** Each round takes out what the last one's issues pointed at; taking out a required field flags its parent next. */
const MAX_ROUNDS = 8;

type Key = string | number;

/**
 * The document with every invalid part removed (a broken rule becomes an empty rule on "/", so the rules
 * after it keep their index and their issue paths), or undefined when nothing valid remains.
 */
export function parsePruned(input: unknown): PolicyDocument | undefined {
  let current: unknown = structuredClone(input);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const result = v.safeParse(PolicyDocumentSchema, current, { abortEarly: false, abortPipeEarly: false });
    if (result.success) return result.output;
    const paths = result.issues.map((issue) => (issue.path ?? []).map((item) => item.key)).filter(isKeyPath);
    // Deepest first, and the higher index first within one array, so a splice never moves a path still to prune.
    paths.sort(deeperFirst);
    for (const path of paths) {
      const next = prune(current, path);
      if (next === undefined) return undefined;
      current = next;
    }
  }
  return undefined;
}

function isKeyPath(keys: unknown[]): keys is Key[] {
  return keys.every((key) => typeof key === "string" || typeof key === "number");
}

function deeperFirst(a: readonly Key[], b: readonly Key[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return y - x;
    return String(x) < String(y) ? -1 : 1;
  }
  return b.length - a.length;
}

/** The root with the value at `path` taken out; a missing value takes out its parent; undefined: the root itself. */
function prune(root: unknown, path: readonly Key[]): unknown {
  if (path.length === 0) return undefined;
  let parent: unknown = root;
  for (const key of path.slice(0, -1)) {
    if (!isContainer(parent)) return root; // already taken out with an ancestor
    parent = (parent as Record<Key, unknown>)[key];
  }
  const last = path[path.length - 1] as Key;
  if (!isContainer(parent)) return root;
  if (!Object.prototype.hasOwnProperty.call(parent, last)) return prune(root, path.slice(0, -1));
  if (Array.isArray(parent) && typeof last === "number") {
    if (path.length === 2 && path[0] === "rules") parent[last] = { path: "/" };
    else parent.splice(last, 1);
  } else if (Array.isArray(parent)) return prune(root, path.slice(0, -1));
  else Reflect.deleteProperty(parent, String(last));
  return root;
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return Array.isArray(value) || isObject(value);
}
