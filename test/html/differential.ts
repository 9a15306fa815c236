// The differential check behind test/html: run the blanket stamper over a body in several chunkings and
// hold its output to the four properties of issue 8 against the oracle (parse5, see oracle.ts):
//   1. the output minus the inserted ` nonce="…"` attributes is the input, byte for byte;
//   2. the stamped start tags are exactly those of the script, style, stylesheet and preload elements the
//      parser creates (SVG script and style included), by byte offset; and every one of them is such an
//      element for the parse with scripting disabled too (where the two disagree, the stamper gives up);
//   3. parse5's tree of the output is its tree of the input but for the nonce on exactly those elements,
//      with scripting enabled and disabled;
//   4. the output does not depend on the chunking.
// A body the stamper gives up on must still meet 1, 3 and 4, and 2 up to the point where it gave up.

import { html, type DefaultTreeAdapterTypes } from "parse5";
import { transformChunks } from "../../src/core/nonce/body-driver.js";
import { tagStampTransformer, type StampOutcome, type StampTargets } from "../../src/core/nonce/tag-stamper.js";
import { concatBytes } from "../support/bytes.js";
import { createdElements, parseDocument } from "./oracle.js";

type Element = DefaultTreeAdapterTypes.Element;
type Node = DefaultTreeAdapterTypes.ChildNode;

export const NONCE = "dGVzdC1ub25jZS0xMjM0NQ==";
export const BOTH: StampTargets = { scripts: true, styles: true };
const ATTRIBUTE = ` nonce="${NONCE}"`;
const ASCII_SPACE = /[\t\n\f\r ]+/;

/** Bytes as a string of the same length, one character per byte (what the oracle parses). */
export function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

/** The bytes of a one-byte-per-character string. */
export function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

/** Whether the docs/csp.md rules stamp this element, created by the parser (the oracle's side of property 2). */
export function isStampable(el: Element, targets: StampTargets): boolean {
  if (el.namespaceURI === html.NS.SVG) return el.tagName === "script" ? targets.scripts : el.tagName === "style" && targets.styles;
  if (el.namespaceURI !== html.NS.HTML) return false;
  if (el.tagName === "script") return targets.scripts;
  if (el.tagName === "style") return targets.styles;
  if (el.tagName !== "link") return false;
  const attr = (name: string): string | undefined => el.attrs.find((a) => a.name === name)?.value;
  const rel = new Set((attr("rel") ?? "").toLowerCase().split(ASCII_SPACE));
  const asValue = attr("as")
    ?.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, "")
    .toLowerCase();
  const scriptish = asValue === undefined || asValue === "" || asValue === "script";
  return (
    (rel.has("stylesheet") && targets.styles) ||
    (rel.has("modulepreload") && targets.scripts && scriptish) ||
    (rel.has("preload") && ((targets.scripts && asValue === "script") || (targets.styles && asValue === "style")))
  );
}

/** Where a start tag's name ends, given the offset of its "<". */
function nameEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && !/[\t\n\f\r />]/.test(text[i] ?? "")) i++;
  return i;
}

interface Expected {
  /** name-end offset → offset just past the tag's ">" */
  readonly tags: Map<number, number>;
}

/** The oracle's stamped start tags for a body. */
export function expectedStamps(bytes: Uint8Array, targets: StampTargets, scripting = true): Expected {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const text = latin1(bytes.subarray(bom));
  const tags = new Map<number, number>();
  for (const el of createdElements(text, scripting).created) {
    const where = el.sourceCodeLocation?.startTag;
    if (where === undefined || !isStampable(el, targets)) continue;
    tags.set(nameEnd(text, where.startOffset) + bom, where.endOffset + bom);
  }
  return { tags };
}

export interface Run {
  readonly output: Uint8Array;
  readonly outcome: StampOutcome;
}

/** Stamp `bytes` cut into these chunks, one read each through the stream driver. */
export function stamp(chunks: readonly Uint8Array[], targets: StampTargets = BOTH): Run {
  const stamper = tagStampTransformer(targets, NONCE);
  const output = concatBytes(transformChunks(chunks, stamper));
  return { output, outcome: stamper.outcome() };
}

/** Cut `bytes` at the given offsets (sorted, deduplicated, within range). */
export function cut(bytes: Uint8Array, points: readonly number[]): Uint8Array[] {
  const sorted = [...new Set(points.map((p) => Math.max(0, Math.min(bytes.length, p))))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of sorted) {
    if (p > from) chunks.push(bytes.subarray(from, p));
    from = Math.max(from, p);
  }
  if (from < bytes.length || chunks.length === 0) chunks.push(bytes.subarray(from));
  return chunks;
}

/** The input offsets where the output carries an inserted attribute, or a complaint. */
function insertions(input: string, output: string): number[] | string {
  const found: number[] = [];
  let rebuilt = "";
  let from = 0;
  for (let i = output.indexOf(ATTRIBUTE); i !== -1; i = output.indexOf(ATTRIBUTE, i + ATTRIBUTE.length)) {
    rebuilt += output.slice(from, i);
    found.push(rebuilt.length);
    from = i + ATTRIBUTE.length;
  }
  rebuilt += output.slice(from);
  if (rebuilt === input) return found;
  let d = 0;
  while (d < input.length && input[d] === rebuilt[d]) d++;
  return `property 1: the output minus the nonces differs from the input at byte ${d}: ${JSON.stringify(input.slice(Math.max(0, d - 30), d + 30))} became ${JSON.stringify(rebuilt.slice(Math.max(0, d - 30), d + 30))}`;
}

/** A canonical print of a tree; stamped elements print without their nonce attribute, with a mark. */
function print(nodes: readonly Node[], stamped: (el: Element) => boolean, depth = 0): string {
  let out = "";
  for (const node of nodes) {
    const pad = " ".repeat(depth);
    if ("tagName" in node) {
      const mark = stamped(node);
      const attrs = node.attrs
        .filter((a) => !(mark && a.name === "nonce"))
        .map((a) => ` ${a.prefix ?? ""}${a.name}=${JSON.stringify(a.value)}`);
      out += `${pad}<${node.namespaceURI === html.NS.HTML ? "" : `${node.namespaceURI} `}${node.tagName}${attrs.join("")}>${mark ? " [nonce]" : ""}\n`;
      const children =
        node.tagName === "template" && node.namespaceURI === html.NS.HTML
          ? (node as DefaultTreeAdapterTypes.Template).content.childNodes
          : node.childNodes;
      out += print(children, stamped, depth + 1);
    } else if (node.nodeName === "#text") {
      out += `${pad}${JSON.stringify(node.value)}\n`;
    } else if (node.nodeName === "#comment") {
      out += `${pad}<!--${JSON.stringify(node.data)}-->\n`;
    } else {
      out += `${pad}<!doctype ${JSON.stringify(node.name)}>\n`;
    }
  }
  return out;
}

function treeOf(text: string, stamped: (el: Element, start: number) => boolean, scripting = true): string {
  const doc = parseDocument(text, true, scripting);
  return print(doc.childNodes, (el) => stamped(el, el.sourceCodeLocation?.startTag?.startOffset ?? -1)) + `mode ${doc.mode}`;
}

export interface Checked {
  readonly problems: string[];
  readonly outcome: StampOutcome;
  readonly stamped: number;
}

/** Check the four properties for one body and a set of chunkings (each a list of cut points). */
export function check(bytes: Uint8Array, chunkings: readonly (readonly number[])[], targets: StampTargets = BOTH): Checked {
  const problems: string[] = [];
  const runs = chunkings.map((points) => ({ points, run: stamp(cut(bytes, points), targets) }));
  const first = runs[0];
  if (first === undefined) throw new Error("no chunking");
  const output = latin1(first.run.output);
  for (const { points, run } of runs.slice(1)) {
    if (latin1(run.output) !== output)
      problems.push(
        `property 4: cutting at ${JSON.stringify(points.slice(0, 20))} gives another output than cutting at ${JSON.stringify(first.points.slice(0, 20))}`,
      );
  }
  const input = latin1(bytes);
  const found = insertions(input, output);
  if (typeof found === "string") return { problems: [...problems, found], outcome: first.run.outcome, stamped: 0 };
  const ours = new Set(found);
  const expected = expectedStamps(bytes, targets).tags;
  const gaveUpAt = first.run.outcome.gaveUp?.at ?? Number.POSITIVE_INFINITY;
  for (const at of ours)
    if (!expected.has(at))
      problems.push(
        `property 2: stamped a start tag the parser does not make a stampable element of, at ${at}: ${JSON.stringify(input.slice(Math.max(0, at - 40), at + 20))}`,
      );
  for (const [at, end] of expected) {
    if (!ours.has(at) && end <= gaveUpAt)
      problems.push(
        `property 2: did not stamp the stampable element at ${at}: ${JSON.stringify(input.slice(Math.max(0, at - 40), at + 20))}`,
      );
  }
  // A browser with JavaScript disabled parses noscript's contents as markup: every nonce we insert must
  // be on a stampable element of that parse too, and its tree must change by the nonces alone.
  const off = expectedStamps(bytes, targets, false).tags;
  for (const at of ours)
    if (!off.has(at))
      problems.push(
        `property 2 (scripting disabled): stamped a start tag that parse does not make a stampable element of, at ${at}: ${JSON.stringify(input.slice(Math.max(0, at - 40), at + 20))}`,
      );
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (const scripting of [true, false]) {
    const before = treeOf(input.slice(bom), (_el, start) => start >= 0 && ours.has(nameEnd(input, start + bom)), scripting);
    const after = treeOf(output.slice(bom), (el) => el.attrs.find((a) => a.name === "nonce")?.value === NONCE, scripting);
    if (before !== after)
      problems.push(
        `property 3${scripting ? "" : " (scripting disabled)"}: parse5's tree of the output is not the input's plus nonces:\n${firstDifference(before, after)}`,
      );
  }
  return { problems, outcome: first.run.outcome, stamped: ours.size };
}

function firstDifference(a: string, b: string): string {
  const x = a.split("\n");
  const y = b.split("\n");
  let i = 0;
  while (i < x.length && x[i] === y[i]) i++;
  return `  input tree:  ${x.slice(Math.max(0, i - 2), i + 3).join(" | ")}\n  output tree: ${y.slice(Math.max(0, i - 2), i + 3).join(" | ")}`;
}

/** The chunkings a body is checked with: whole, every single cut (for small bodies), 1-byte chunks, and random cuts. */
export function chunkings(length: number, random: () => number, everyCutUpTo = 200): number[][] {
  const all: number[][] = [[]];
  if (length <= everyCutUpTo) for (let p = 1; p < length; p++) all.push([p]);
  all.push(Array.from({ length: Math.max(0, length - 1) }, (_, i) => i + 1));
  for (let k = 0; k < 3; k++) {
    const n = 1 + Math.floor(random() * 8);
    all.push(Array.from({ length: n }, () => Math.floor(random() * (length + 1))));
  }
  return all;
}
