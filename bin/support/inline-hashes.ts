// The sha256 of every inline script and style in an HTML page, as CSP hash sources. Parsed with parse5,
// the spec's own parsing algorithm, so the text hashed is exactly the text a browser hashes.

import { parse } from "parse5";
import type { DefaultTreeAdapterMap } from "parse5";

type Node = DefaultTreeAdapterMap["node"];
type Element = DefaultTreeAdapterMap["element"];

/** The hash sources found in one page. */
export interface InlineHashes {
  readonly scripts: readonly string[];
  readonly styles: readonly string[];
  /** Inline event handlers (`onclick=`): hashes cannot allow them without 'unsafe-hashes'. */
  readonly handlers: number;
}

/** Script `type` values browsers run as classic or module script (shared with scan). */
export const EXECUTABLE_TYPES = new Set([
  "",
  "text/javascript",
  "application/javascript",
  "module",
  "text/ecmascript",
  "application/ecmascript",
]);

/** A parse5 node that is an element. */
export function isElement(node: Node): node is Element {
  return "tagName" in node;
}

function* walk(node: Node): Generator<Element> {
  if (isElement(node)) yield node;
  const children = "childNodes" in node ? node.childNodes : [];
  for (const child of children) yield* walk(child);
  if (isElement(node) && node.tagName === "template" && "content" in node) {
    for (const child of node.content.childNodes) yield* walk(child);
  }
}

function attribute(element: Element, name: string): string | undefined {
  return element.attrs.find((a) => a.name === name)?.value;
}

function text(element: Element): string {
  return element.childNodes.map((n) => ("value" in n ? n.value : "")).join("");
}

/** `'sha256-…'` for a string, hashed as UTF-8 the way browsers do. */
export async function sha256Source(content: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(content)));
  let binary = "";
  for (const byte of digest) binary += String.fromCharCode(byte);
  return `'sha256-${btoa(binary)}'`;
}

/**
 * Hash every inline script (no `src`, an executable type; JSON and templates in other types are data,
 * not code) and every `<style>` element, in document order, without repeats.
 */
export async function inlineHashes(html: string): Promise<InlineHashes> {
  const scripts: string[] = [];
  const styles: string[] = [];
  let handlers = 0;
  for (const element of walk(parse(html))) {
    handlers += element.attrs.filter((a) => a.name.startsWith("on")).length;
    if (element.tagName === "script" && attribute(element, "src") === undefined) {
      const type = (attribute(element, "type") ?? "").trim().toLowerCase();
      if (EXECUTABLE_TYPES.has(type)) scripts.push(await sha256Source(text(element)));
    } else if (element.tagName === "style") {
      styles.push(await sha256Source(text(element)));
    }
  }
  return { scripts: [...new Set(scripts)], styles: [...new Set(styles)], handlers };
}

/** The CSP fields a rule's hashes go into. */
interface HashSources {
  readonly scripts: readonly string[];
  readonly styles: readonly string[];
}

const HASH_SOURCE = /^'sha(256|384|512)-/;

/** A rule as withRuleHashes reads it: its path, and whatever `csp` it has. */
interface HashedRule {
  readonly path: string;
  readonly csp?: unknown;
}

/**
 * A copy of the document whose rule for `path` allows exactly these hashes in `csp.add` (script-src,
 * style-src): hashes from an earlier run are replaced, other sources kept. The rule is created at the
 * end of `rules` when there is none for that path.
 */
export function withRuleHashes<D extends { rules?: readonly HashedRule[] }>(document: D, path: string, hashes: HashSources): D {
  const rules: HashedRule[] = [...(document.rules ?? [])];
  const index = rules.findIndex((rule) => rule.path === path);
  const rule = rules[index] ?? { path };
  const csp = typeof rule.csp === "object" && rule.csp !== null ? { ...(rule.csp as Record<string, unknown>) } : {};
  const add = Object.entries(typeof csp.add === "object" && csp.add !== null ? (csp.add as Record<string, string[]>) : {});
  for (const [directive, sources] of [
    ["script-src", hashes.scripts],
    ["style-src", hashes.styles],
  ] as const) {
    const at = add.findIndex(([name]) => name === directive);
    const next = [...(add[at]?.[1] ?? []).filter((s) => !HASH_SOURCE.test(s)), ...sources];
    if (at === -1) add.push([directive, next]);
    else add[at] = [directive, next];
  }
  // A hash directive left with no source goes; every other directive stays as it was, in its place.
  csp.add = Object.fromEntries(add.filter(([name, sources]) => sources.length > 0 || (name !== "script-src" && name !== "style-src")));
  const updated = { ...rule, csp };
  if (index === -1) rules.push(updated);
  else rules[index] = updated;
  return { ...document, rules };
}
