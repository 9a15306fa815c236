// Minimal edits to a JSON file the user wrote: change the values at some paths and leave every other
// byte (indentation, key order, how other arrays wrap) as it was, so a tool's change is a small diff.

import { applyEdits, findNodeAtLocation, getNodeValue, modify, parseTree, type JSONPath, type Node } from "jsonc-parser";
import { isDeepStrictEqual } from "node:util";
import { prettyJson } from "./json.js";

/**
 * `text` with each path set to its value in `target` (or removed where `target` has none), editing only
 * those values: a changed value is rewritten in place, a missing one inserted at its deepest existing
 * parent. New text is laid out as prettyJson does, in the file's own indentation unit.
 */
export function editJson(text: string, target: unknown, paths: readonly JSONPath[]): string {
  let current = text;
  for (const path of paths) current = editOne(current, target, path);
  return current;
}

function editOne(text: string, target: unknown, path: JSONPath): string {
  const tree = parseTree(text);
  if (tree === undefined) throw new Error("not a JSON document");
  const wanted = valueAt(target, path);
  const node = findNodeAtLocation(tree, path);
  if (node !== undefined) {
    if (isDeepStrictEqual(getNodeValue(node), wanted)) return text;
    if (wanted === undefined) return applyEdits(text, modify(text, path, undefined, {}));
    return replaceNode(text, node, wanted);
  }
  if (wanted === undefined) return text;
  // Insert at the first level that is missing, with the whole subtree the target has there.
  const depth = firstMissing(tree, path);
  const parent = findNodeAtLocation(tree, path.slice(0, depth));
  if (parent === undefined) throw new Error("not a JSON document");
  const value = valueAt(target, path.slice(0, depth + 1));
  const key = path[depth];
  const fits = (parent.type === "object" && typeof key === "string") || (parent.type === "array" && key === (parent.children ?? []).length);
  if (!fits) {
    // Not the container the path needs (`"csp": false` gaining an add): that whole value is what changes.
    return replaceNode(text, parent, valueAt(target, path.slice(0, depth)));
  }
  const inserted = insertChild(text, parent, typeof key === "string" ? key : undefined, value);
  // A one-line container that would gain a wrapped member is laid out anew instead: only its lines change.
  return inserted ?? replaceNode(text, parent, valueAt(target, path.slice(0, depth)));
}

function replaceNode(text: string, node: Node, value: unknown): string {
  return splice(text, node.offset, node.length, render(value, lineIndent(text, node.offset), indentUnit(text), newlineOf(text)));
}

/**
 * Add a member (`key` for objects) after the container's last one, on its own line unless the container is
 * on one line; undefined when a one-line container's new member would span several lines.
 */
function insertChild(text: string, parent: Node, key: string | undefined, value: unknown): string | undefined {
  const newline = newlineOf(text);
  const children = parent.children ?? [];
  const last = children[children.length - 1];
  const label = key === undefined ? "" : `${JSON.stringify(key)}: `;
  const oneLine = !text.slice(parent.offset, parent.offset + parent.length).includes("\n");
  if (last === undefined || oneLine) {
    const indent = lineIndent(text, parent.offset);
    const member = `${label}${render(value, indent, indentUnit(text), newline)}`;
    if (oneLine && member.includes("\n")) return undefined;
    const close = parent.offset + parent.length - 1;
    if (last === undefined) return splice(text, parent.offset + 1, close - parent.offset - 1, oneLine ? ` ${member} ` : member);
    return splice(text, last.offset + last.length, 0, `, ${member}`);
  }
  // An object's last child is its property node; its line's indentation is the members' indentation.
  const indent = lineIndent(text, last.offset);
  const member = `${label}${render(value, indent, indentUnit(text), newline)}`;
  return splice(text, last.offset + last.length, 0, `,${newline}${indent}${member}`);
}

function firstMissing(tree: Node, path: JSONPath): number {
  let depth = 0;
  while (depth < path.length && findNodeAtLocation(tree, path.slice(0, depth + 1)) !== undefined) depth++;
  return depth;
}

function valueAt(value: unknown, path: JSONPath): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** prettyJson's layout, its two-space steps turned into the file's unit and every line after the first indented like the value's line. */
function render(value: unknown, base: string, unit: string, newline: string): string {
  const lines = prettyJson(value).split("\n");
  return lines
    .map((line, i) => {
      if (i === 0) return line;
      const spaces = /^ */.exec(line)?.[0].length ?? 0;
      return `${base}${unit.repeat(spaces / 2)}${line.slice(spaces)}`;
    })
    .join(newline);
}

function splice(text: string, offset: number, length: number, replacement: string): string {
  return text.slice(0, offset) + replacement + text.slice(offset + length);
}

/** The leading whitespace of the line holding `offset`. */
function lineIndent(text: string, offset: number): string {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start, offset))?.[0] ?? "";
}

/** The file's indentation step: a tab, or the smallest run of leading spaces (two when nothing is indented). */
function indentUnit(text: string): string {
  let smallest = Infinity;
  for (const match of text.matchAll(/\n([ \t]+)\S/g)) {
    const lead = match[1] ?? "";
    if (lead.startsWith("\t")) return "\t";
    smallest = Math.min(smallest, lead.length);
  }
  return " ".repeat(Number.isFinite(smallest) ? smallest : 2);
}

function newlineOf(text: string): string {
  return text.includes("\r\n") ? "\r\n" : "\n";
}
