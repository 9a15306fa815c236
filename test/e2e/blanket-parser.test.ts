// The oracle of the differential tests (test/html/oracle.ts: parse5 with the current <select> rules)
// against the browser itself: Chromium parses every hand-written case and every select divergence into
// the same tree the oracle builds. For the select divergences, stock parse5 must differ (else the oracle's
// patch would be pointless). Served straight from an origin: this is about the parser, not the Worker.

import { readdirSync, readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { html, type DefaultTreeAdapterTypes } from "parse5";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { latin1 } from "../html/differential.js";
import { BROWSER_DIVERGENCES, parseDocument } from "../html/oracle.js";
import { launchBrowser } from "./support/browser.js";
import { startPagesOrigin, type Server2 } from "./support/site.js";

type Node = DefaultTreeAdapterTypes.ChildNode;

const DIR = new URL("../html/cases/", import.meta.url);
const CASES = readdirSync(DIR)
  .filter((name) => name.endsWith(".html"))
  .sort()
  .map((name) => ({ name, bytes: new Uint8Array(readFileSync(new URL(name, DIR))) }));
const DIVERGENCES = BROWSER_DIVERGENCES.map((d, i) => ({
  name: `divergence-${i}`,
  rule: d.rule,
  bytes: Uint8Array.from(d.html, (c) => c.charCodeAt(0)),
}));

/**
 * Where Chromium departs from the standard and the model keeps the standard, because that is the safe
 * side (docs/csp.md says why): a U+FFFD character (from &#0;, or a byte the decoder could not read) does
 * not set frameset-ok to "not ok" in Chromium, so a later <frameset> still replaces the body there. The
 * model then stamps elements Chromium drops unparsed: no nonce lands in anything the browser shows.
 */
const CHROMIUM_DEPARTS = new Map([["t49-charref-zero.html", { oracle: "<body>", chromium: "<frameset>" }]]);

/** Non-ASCII text differs only by the decoder (the oracle reads bytes as Latin-1): print any run of it as "?". */
const ascii = (text: string): string => text.replace(/[^\x00-\x7f]+/g, "?");

/** The oracle's tree, printed the way the browser side prints its DOM. */
function printOracle(nodes: readonly Node[], depth = 0): string {
  let out = "";
  for (const node of nodes) {
    const pad = " ".repeat(depth);
    if ("tagName" in node) {
      const ns = node.namespaceURI === html.NS.SVG ? "svg " : node.namespaceURI === html.NS.MATHML ? "math " : "";
      const attrs = node.attrs
        .map((a) => ` ${a.prefix !== undefined && a.prefix !== "" ? `${a.prefix}:` : ""}${a.name}=${JSON.stringify(ascii(a.value))}`)
        .join("");
      out += `${pad}<${ns}${node.tagName}${attrs}>\n`;
      const children =
        node.tagName === "template" && ns === "" ? (node as DefaultTreeAdapterTypes.Template).content.childNodes : node.childNodes;
      out += printOracle(children, depth + 1);
    } else if (node.nodeName === "#text") {
      out += `${pad}${JSON.stringify(ascii(node.value))}\n`;
    } else if (node.nodeName === "#comment") {
      // Chromium makes <?target …> a ProcessingInstruction node: it ends at the same ">", so print both as <?>.
      const data = node.data;
      out += data.startsWith("?") ? `${pad}<?>\n` : `${pad}<!--${JSON.stringify(ascii(data))}-->\n`;
    } else {
      out += `${pad}<!doctype ${JSON.stringify(node.name)}>\n`;
    }
  }
  return out;
}

function oracleTree(bytes: Uint8Array, current = true): string {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return printOracle(parseDocument(latin1(bytes.subarray(bom)), current).childNodes);
}

/** Chromium's DOM of the page at `url`, printed as printOracle prints. */
async function browserTree(page: Page, url: string): Promise<string> {
  await page.goto(url, { waitUntil: "load" });
  return page.evaluate(() => {
    const ascii = (text: string): string => text.replace(/[^\x00-\x7f]+/g, "?");
    const print = (nodes: NodeListOf<ChildNode>, depth: number): string => {
      let out = "";
      for (const node of Array.from(nodes)) {
        const pad = " ".repeat(depth);
        if (node instanceof Element) {
          const ns =
            node.namespaceURI === "http://www.w3.org/2000/svg"
              ? "svg "
              : node.namespaceURI === "http://www.w3.org/1998/Math/MathML"
                ? "math "
                : "";
          const attrs = Array.from(node.attributes)
            .map((a) => ` ${a.prefix !== null ? `${a.prefix}:` : ""}${a.localName}=${JSON.stringify(ascii(a.value))}`)
            .join("");
          out += `${pad}<${ns}${node.localName}${attrs}>\n`;
          out += print(node instanceof HTMLTemplateElement ? node.content.childNodes : node.childNodes, depth + 1);
        } else if (node.nodeType === Node.TEXT_NODE) {
          out += `${pad}${JSON.stringify(ascii(node.textContent ?? ""))}\n`;
        } else if (node.nodeType === Node.PROCESSING_INSTRUCTION_NODE) {
          out += `${pad}<?>\n`;
        } else if (node.nodeType === Node.COMMENT_NODE) {
          const data = node.textContent ?? "";
          out += data.startsWith("?") ? `${pad}<?>\n` : `${pad}<!--${JSON.stringify(ascii(data))}-->\n`;
        } else if (node instanceof DocumentType) {
          out += `${pad}<!doctype ${JSON.stringify(node.name)}>\n`;
        }
      }
      return out;
    };
    return print(document.childNodes, 0);
  });
}

let origin: Server2;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const pages = new Map([...CASES, ...DIVERGENCES].map((c) => [`/${c.name}`, c.bytes]));
  // windows-1252 decodes every byte to one character, as the oracle's Latin-1 reading does.
  origin = await startPagesOrigin(pages, "text/html; charset=windows-1252");
  browser = await launchBrowser();
  page = await browser.newPage();
  page.on("pageerror", () => undefined);
}, 120_000);

// The `?.` stay: these are unassigned if beforeAll failed, whatever their declared types say.
/* eslint-disable @typescript-eslint/no-unnecessary-condition */
afterAll(async () => {
  await browser?.close();
  await origin?.close();
});
/* eslint-enable @typescript-eslint/no-unnecessary-condition */

describe("the oracle parses as Chromium does", () => {
  it.each(CASES.filter((c) => !CHROMIUM_DEPARTS.has(c.name)).map((c) => [c.name, c] as const))("%s", async (_, c) => {
    expect(await browserTree(page, `${origin.url}/${c.name}`)).toBe(oracleTree(c.bytes));
  });

  it.each([...CHROMIUM_DEPARTS].map(([name, d]) => [name, d] as const))(
    "%s: Chromium departs from the standard as docs/csp.md says",
    async (name, d) => {
      const c = CASES.find((x) => x.name === name);
      if (c === undefined) throw new Error(`no case ${name}`);
      expect(oracleTree(c.bytes)).toContain(d.oracle);
      expect(await browserTree(page, `${origin.url}/${name}`)).toContain(d.chromium);
    },
  );
});

describe("each divergence of parse5 8.1 from the browser", () => {
  it.each(DIVERGENCES.map((d) => [d.rule, d] as const))("%s: the oracle follows Chromium, stock parse5 does not", async (_, d) => {
    const chromium = await browserTree(page, `${origin.url}/${d.name}`);
    expect(chromium).toBe(oracleTree(d.bytes));
    expect(chromium).not.toBe(oracleTree(d.bytes, false));
  });
});
