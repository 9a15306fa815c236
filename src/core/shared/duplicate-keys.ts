// Duplicate keys in a policy document's JSON: JSON.parse keeps the last silently, so a document with two
// "add" in one object says less than its author wrote (and hashes would edit the copy nobody reads). The
// Worker parses as JSON.parse does; the CLI refuses such a document, naming each repeated key's path.

import { joinPath, type PolicyIssue } from "./result.js";

type Container =
  | { readonly kind: "object"; readonly path: string; readonly keys: Set<string>; key: string | undefined; wantKey: boolean }
  | { readonly kind: "array"; readonly path: string; index: number };

/** The message of a duplicate-key issue: the Worker would read the document, but not as its author meant. */
export const DUPLICATE_KEY =
  "each key once in an object (JSON keeps only the last copy of a repeated key, so the Worker would ignore the others; push refuses it)";

/** True when every issue is a repeated key: the Worker would apply the document, only the CLI refuses it. */
export function onlyDuplicateKeys(issues: readonly PolicyIssue[]): boolean {
  return issues.length > 0 && issues.every((issue) => issue.message === DUPLICATE_KEY);
}

/** Where the value about to start sits, from the container it is in. */
function valuePath(top: Container | undefined): string {
  if (top === undefined) return "";
  return top.kind === "array" ? joinPath(top.path, top.index) : joinPath(top.path, top.key ?? "");
}

/** The end of the JSON string literal starting at `start` (the index after its closing quote). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text.charAt(i) !== '"') i += text.charAt(i) === "\\" ? 2 : 1;
  return i + 1;
}

/** One issue per key repeated in the same object; `text` is JSON that JSON.parse accepts. Iterative, so
 *  nesting depth costs no stack. */
export function duplicateKeyIssues(text: string): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const stack: Container[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    const top = stack[stack.length - 1];
    if (c === "{" || c === "[") {
      const path = valuePath(top);
      stack.push(c === "{" ? { kind: "object", path, keys: new Set(), key: undefined, wantKey: true } : { kind: "array", path, index: 0 });
    } else if (c === "}" || c === "]") stack.pop();
    else if (c === ",") {
      if (top?.kind === "array") top.index++;
      else if (top?.kind === "object") top.wantKey = true;
    } else if (c === '"') {
      const end = stringEnd(text, i);
      if (top?.kind === "object" && top.wantKey) {
        const key = JSON.parse(text.slice(i, end)) as string;
        if (top.keys.has(key))
          issues.push({
            path: joinPath(top.path, key),
            message: DUPLICATE_KEY,
            received: `${JSON.stringify(key)} again`,
          });
        top.keys.add(key);
        top.key = key;
        top.wantKey = false;
      }
      i = end;
      continue;
    }
    i++;
  }
  return issues;
}
