// JSON for people: two-space indentation like JSON.stringify, but short lists and flat objects on one
// line, the way examples/policy.json is written.

import { escapeJsonText } from "./printable.js";
import { jsonText } from "../../src/core/shared/result.js";

const INLINE_MAX = 72;

/** Render a JSON value, keeping short arrays and objects of scalars on one line; DEL, C1 and bidi controls as \u escapes. */
export function prettyJson(value: unknown): string {
  return escapeJsonText(render(value, ""));
}

function render(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    if (value.every((item) => item === null || typeof item !== "object")) {
      const inline = `[${value.map((item) => JSON.stringify(item)).join(", ")}]`;
      if (inline.length <= INLINE_MAX) return inline;
    }
    const inner = `${indent}  `;
    return `[\n${value.map((item) => `${inner}${render(item, inner)}`).join(",\n")}\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    if (entries.length === 0) return "{}";
    if (entries.every(([, item]) => item === null || typeof item !== "object")) {
      const inline = `{ ${entries.map(([key, item]) => `${JSON.stringify(key)}: ${JSON.stringify(item)}`).join(", ")} }`;
      if (inline.length <= INLINE_MAX) return inline;
    }
    const inner = `${indent}  `;
    return `{\n${entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${render(item, inner)}`).join(",\n")}\n${indent}}`;
  }
  return jsonText(value) ?? "null";
}
