// What a page's HTML itself holds, read with parse5 (the HTML standard's parser): the scripts and styles
// the parser inserts, as opposed to those a script inserts later, and the nonce attributes the DOM hides.

import { html as spec, parse } from "parse5";
import type { DefaultTreeAdapterMap } from "parse5";
import { EXECUTABLE_TYPES, isElement } from "../inline-hashes.js";

type Node = DefaultTreeAdapterMap["node"];
type Element = DefaultTreeAdapterMap["element"];

/** A `<script>` in the markup: external (`src`, resolved) or inline (`text`). */
export interface MarkupScript {
  readonly src?: string | undefined;
  readonly text?: string | undefined;
  /** The nonce attribute as written: browsers hide it from the DOM, so only the markup shows it. */
  readonly nonce?: string | undefined;
  /** `script` or `script src=…` with its line, for people. */
  readonly label: string;
}

/** A `<style>` element or a stylesheet `<link>` in the markup. */
export interface MarkupStyle {
  readonly href?: string | undefined;
  readonly text?: string | undefined;
  readonly nonce?: string | undefined;
  readonly label: string;
}

/** The parser-inserted scripts and styles of a page, and its `<base href>`. */
export interface Markup {
  /** Executable scripts only: JSON and templates in other types are data, not code. */
  readonly scripts: readonly MarkupScript[];
  readonly styles: readonly MarkupStyle[];
  /** The `<base href>` (resolved), when the page has one. */
  readonly baseHref: string | undefined;
}

const SVG = spec.NS.SVG;
/** HTML and SVG both have script and style elements that run; MathML has none. */
const NAMESPACES = new Set<string>([spec.NS.HTML, SVG]);

/** Every element in tree order, template contents left out: they are inert, and run only if a script clones them in. */
function* walk(node: Node): Generator<Element> {
  if (isElement(node)) yield node;
  const children = "childNodes" in node ? node.childNodes : [];
  for (const child of children) yield* walk(child);
}

function attribute(element: Element, name: string): string | undefined {
  return element.attrs.find((a) => a.name === name)?.value;
}

function text(element: Element): string {
  return element.childNodes.map((n) => ("value" in n ? n.value : "")).join("");
}

function resolve(href: string, base: string): string | undefined {
  try {
    return new URL(href, base).href;
  } catch {
    return undefined;
  }
}

function where(element: Element): string {
  const line = element.sourceCodeLocation?.startLine;
  return line === undefined ? "" : ` on line ${line}`;
}

/** Read the scripts, styles and base URL a page's markup gives the parser. `url` is the page's own URL. */
export function readMarkup(html: string, url: string): Markup {
  const elements = [...walk(parse(html, { sourceCodeLocationInfo: true }))];
  const baseElement = elements.find((e) => e.tagName === "base" && attribute(e, "href") !== undefined);
  const baseHref = baseElement === undefined ? undefined : resolve(attribute(baseElement, "href") ?? "", url);
  const base = baseHref ?? url;
  const scripts: MarkupScript[] = [];
  const styles: MarkupStyle[] = [];
  for (const element of elements) {
    if (!NAMESPACES.has(element.namespaceURI)) continue;
    const nonce = attribute(element, "nonce");
    if (element.tagName === "script") {
      const type = (attribute(element, "type") ?? "").trim().toLowerCase();
      if (!EXECUTABLE_TYPES.has(type)) continue;
      // An SVG script names its file in href (parse5 gives xlink:href the local name href too).
      const src = attribute(element, element.namespaceURI === SVG ? "href" : "src");
      if (src === undefined) scripts.push({ text: text(element), nonce, label: `inline <script>${where(element)}` });
      else {
        const resolved = resolve(src, base);
        if (resolved !== undefined) scripts.push({ src: resolved, nonce, label: `<script src="${src}">${where(element)}` });
      }
    } else if (element.tagName === "style") {
      styles.push({ text: text(element), nonce, label: `inline <style>${where(element)}` });
    } else if (
      element.tagName === "link" &&
      element.namespaceURI !== SVG &&
      /(?:^|\s)stylesheet(?:\s|$)/i.test(attribute(element, "rel") ?? "")
    ) {
      const href = attribute(element, "href");
      const resolved = href === undefined ? undefined : resolve(href, base);
      if (resolved !== undefined)
        styles.push({ href: resolved, nonce, label: `<link rel="stylesheet" href="${href ?? ""}">${where(element)}` });
    }
  }
  return { scripts, styles, baseHref };
}
