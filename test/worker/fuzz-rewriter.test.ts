// Fuzzing blanket-mode stamping through the real handler, with HTMLRewriter as the tokenizing oracle: hostile HTML in any charset and chunking comes out whole, with only script/style/link start tags changed.

import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env.js";
import { createHandler, DEFAULT_DEPS } from "../../src/handler.js";
import { concatBytes, splitBytes } from "../support/bytes.js";
import { workerFuzzParameters } from "./fuzz-support.js";
import { ORIGIN_URL } from "./support.js";

const concat = concatBytes;
const split = splitBytes;
const BLANKET = JSON.stringify({ nonce: { scripts: true, styles: true, mode: "blanket" } });
const READ_LIMIT_MS = 5000;
const encoder = new TextEncoder();

const latin1 = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
const asLatin1 = (bytes: Uint8Array): string => {
  let out = "";
  for (let i = 0; i < bytes.byteLength; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
};



// ---------------------------------------------------------------------------------------------------------
// Generated HTML: start tags the rewriter stamps (no `<` or `>` inside them), and every context that could
// make a tokenizer disagree about what is a tag: raw text, comments, CDATA, foreign content, attributes.

const STAMPED = [
  "<script>",
  "<script src=/a.js async>",
  "<SCRIPT type=module>",
  "<script  src='a\"b'  defer >",
  "<script\tdata-x=y\n>",
  "<script nonce=old>",
  "<script nonce>",
  '<script NONCE="old" src=x>',
  "<script/src=x>",
  "<script src=x/>",
  "<script a b=1 a=2>",
  "<script src=x />",
  "<style>",
  '<style media="screen and (min-width: 1px)">',
  "<STYLE nonce=old>",
  "<link rel=stylesheet href=/a.css>",
  '<link rel="preload" as="script" href=x>',
  "<link rel=modulepreload href=m.js>",
  "<link rel=icon href=f.ico>",
] as const;

const CONTEXTS = [
  "</script>",
  "</style>",
  "</SCRIPT >",
  "</script\n>",
  "</scr",
  "</ script>",
  "</style x=1>",
  "<textarea>",
  "</textarea>",
  "<title>",
  "</title>",
  "<!--",
  "-->",
  "--!>",
  "<!-- <script> -->",
  "<![CDATA[",
  "]]>",
  "<svg>",
  "</svg>",
  "<math>",
  "</math>",
  "<template>",
  "</template>",
  "<noscript>",
  "</noscript>",
  "<xmp>",
  "</xmp>",
  "<iframe srcdoc='<script>x</script>'>",
  "</iframe>",
  "<a title=\"<script>\" href='javascript:<script>'>",
  "<img alt='<style>' onerror=\"<script>alert(1)</script>\">",
  "<plaintext>",
  "<!doctype html>",
  '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN">',
  '<meta charset="shift_jis">',
  "<meta charset=utf-16>",
  '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">',
  '<?xml version="1.0"?>',
  "<p",
  "<",
  "<script src=x",
  "<style",
  "<link rel=stylesheet",
  ">",
  "&lt;script&gt;",
  '"',
  "'",
  "=",
  '<p onclick="x()">',
  "<div>",
  "</div>",
  "<table><tr><td>",
  "<object><param>",
  "<noframes>",
  "<noembed>",
  "<script>//<!--\n</script>",
  "<script><!--<script></script>-->",
  "\u0000",
  "\r\n",
] as const;

/** Bytes that are not UTF-8: Latin-1, Shift-JIS, broken sequences, a BOM, NUL. */
const ODD_BYTES = ["caf\xe9", "\xc3\x28", "\xff\xfe", "\x82\xa0", "\xef\xbb\xbf", "\xe2\x80", "\x00", "\xa0"].map(latin1);

function html(options: { select: boolean }): fc.Arbitrary<Uint8Array> {
  const piece = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...STAMPED).map((s) => encoder.encode(s)) },
    { weight: 4, arbitrary: fc.constantFrom(...CONTEXTS).map((s) => encoder.encode(s)) },
    { weight: options.select ? 2 : 0, arbitrary: fc.constantFrom("<select>", "<select>", "</select>", "<option>").map((s) => encoder.encode(s)) },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 8 }).map((s) => encoder.encode(s)) },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_BYTES) },
  );
  return fc.array(piece, { maxLength: 30 }).map(concat);
}

const CONTENT_TYPES = [
  "text/html",
  "text/html; charset=utf-8",
  "TEXT/HTML; Charset=UTF-8",
  "text/html; charset=iso-8859-1",
  "text/html; charset=windows-1252",
  "text/html; charset=shift_jis",
  "text/html; charset=utf-16",
  "text/html; charset=bogus",
  "application/xhtml+xml",
] as const;

// ---------------------------------------------------------------------------------------------------------

interface Served {
  readonly status: number;
  readonly nonce: string | undefined;
  readonly body: Uint8Array;
}

/** Serve `bytes` (in these chunks, with this Content-Type) through the real handler, read the body to the end or fail. */
async function serve(bytes: Uint8Array, contentType: string, cuts: readonly number[]): Promise<Served> {
  const chunks = split(bytes, cuts);
  const response = new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    }),
    { headers: { "Content-Type": contentType } },
  );
  const handler = createHandler({ ...DEFAULT_DEPS, fetchOrigin: () => Promise.resolve({ kind: "response", response }) });
  const bindings = { ...env, ORIGIN_URL, POLICY: BLANKET } as unknown as Env;
  const res = await handler.fetch(new Request("https://www.example.com/page"), bindings, createExecutionContext());
  const nonce = /'nonce-([^']+)'/.exec(res.headers.get("content-security-policy") ?? "")?.[1];
  const reader = res.body?.getReader();
  if (reader === undefined) return { status: res.status, nonce, body: new Uint8Array() };
  const parts: Uint8Array[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the body did not finish within ${READ_LIMIT_MS} ms`)), READ_LIMIT_MS);
  });
  try {
    for (;;) {
      const { value, done } = await Promise.race([reader.read(), hang]);
      if (done) break;
      parts.push(value);
    }
  } catch (error) {
    const got = asLatin1(concat(parts));
    throw new Error(`the body failed after ${got.length} bytes (${JSON.stringify(got.slice(-60))}): ${error instanceof Error ? error.message.slice(0, 160) : String(error)}`);
  } finally {
    clearTimeout(timer);
  }
  return { status: res.status, nonce, body: concat(parts) };
}

/** How HTMLRewriter tokenizes a body: elements with their attributes (nonce apart), text, comments, doctypes, in order. */
async function tokens(bytes: Uint8Array, contentType: string): Promise<{ events: string[]; nonces: string[] }> {
  const events: string[] = [];
  const nonces: string[] = [];
  let text = "";
  const flush = (): void => {
    if (text !== "") events.push(`text ${JSON.stringify(text)}`);
    text = "";
  };
  const rewriter = new HTMLRewriter()
    .on("*", {
      element(element) {
        flush();
        const attributes = [...element.attributes].filter(([name]) => name?.toLowerCase() !== "nonce");
        events.push(`<${element.tagName} ${JSON.stringify(attributes)}`);
        if (element.tagName === "script" || element.tagName === "style") nonces.push(element.getAttribute("nonce") ?? "(none)");
      },
    })
    .onDocument({
      text(chunk) {
        text += chunk.text;
      },
      comments(comment) {
        flush();
        events.push(`comment ${JSON.stringify(comment.text)}`);
      },
      doctype(doctype) {
        flush();
        events.push(`doctype ${String(doctype.name)} ${String(doctype.publicId)}`);
      },
    });
  // The oracle reads ASCII structure only; an unknown charset (which lol-html refuses) is read as
  // windows-1252, a byte-transparent single-byte encoding, so the tokens still line up byte for byte.
  const oracleType = /charset\s*=\s*"?bogus/i.test(contentType) ? "text/html; charset=windows-1252" : contentType;
  await rewriter.transform(new Response(bytes, { headers: { "Content-Type": oracleType } })).arrayBuffer();
  flush();
  return { events, nonces };
}

/** A rewritten start tag: where it ends (the `>` after the nonce), and where it may start (`<name` before the nonce). */
interface Stamped {
  readonly starts: readonly { readonly at: number; readonly name: string }[];
  readonly end: number;
}

/**
 * The start tags the rewriter wrote a nonce into. An attribute may itself be named `<script` (`<script a
 * <script>` is one tag), so every `<script`, `<style` or `<link` between the previous stamped tag and the
 * nonce is a candidate start; the alignment below decides which one it was.
 */
function stampedTags(output: string, nonce: string): Stamped[] {
  const tags: Stamped[] = [];
  // The attribute keeps the name's case the page wrote (`NONCE=old` becomes `NONCE="…"`).
  const attribute = new RegExp(`nonce="${nonce.replace(/[+/=]/g, "\\$&")}"`, "gi");
  let from = 0;
  for (const match of output.matchAll(attribute)) {
    const at = match.index;
    const starts = [...output.slice(from, at).matchAll(/<(script|style|link)/gi)].map((m) => ({ at: from + m.index, name: m[1] ?? "" }));
    const end = output.indexOf(">", at);
    if (starts.length === 0 || end === -1) throw new Error(`a nonce outside a start tag at ${at}: ${JSON.stringify(output.slice(Math.max(0, at - 40), at + 40))}`);
    tags.push({ starts, end: end + 1 });
    from = end + 1;
  }
  return tags;
}

/**
 * True when `input` becomes `output` by replacing, for each stamped tag in order, one start tag of the same
 * name (from its `<name` to some `>`) and nothing else: every other byte is passed through unchanged.
 */
function onlyTagsDiffer(input: string, output: string, tags: readonly Stamped[]): boolean {
  const align = (inAt: number, outAt: number, k: number): boolean => {
    const tag = tags[k];
    if (tag === undefined) return input.slice(inAt) === output.slice(outAt);
    for (const start of [...tag.starts].reverse()) {
      const same = output.slice(outAt, start.at);
      if (input.slice(inAt, inAt + same.length) !== same) continue;
      const open = inAt + same.length;
      if (input.slice(open, open + 1 + start.name.length).toLowerCase() !== `<${start.name.toLowerCase()}`) continue;
      for (let close = input.indexOf(">", open); close !== -1; close = input.indexOf(">", close + 1)) {
        if (align(close + 1, tag.end, k + 1)) return true;
      }
    }
    return false;
  };
  return align(0, 0, 0);
}

// The handler logs each charset the rewriter refuses; hundreds of runs would drown the report.
beforeEach(() => {
  vi.spyOn(console, "error").mockImplementation(() => undefined);
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("blanket stamping of generated HTML", () => {
  it("always delivers the whole body within the time limit: no exception escapes mid-stream", async () => {
    await fc.assert(
      fc.asyncProperty(html({ select: true }), fc.constantFrom(...CONTENT_TYPES), fc.array(fc.nat(), { maxLength: 6 }), async (bytes, contentType, cuts) => {
        const served = await serve(bytes, contentType, cuts);
        expect(served.status).toBe(200);
      }),
      workerFuzzParameters(60, 2000),
    );
  });

  it("changes nothing but script, style and link start tags, and stamps every script and style", async () => {
    await fc.assert(
      fc.asyncProperty(html({ select: false }), fc.constantFrom(...CONTENT_TYPES), fc.array(fc.nat(), { maxLength: 6 }), async (bytes, contentType, cuts) => {
        const served = await serve(bytes, contentType, cuts);
        expect(served.status).toBe(200);
        const input = asLatin1(bytes);
        const output = asLatin1(served.body);
        if (served.nonce === undefined) {
          // A charset that is not ASCII-compatible (UTF-16): the body goes out untouched, under a nonce-free CSP.
          expect(output).toBe(input);
          return;
        }
        if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
          // A UTF-16 byte order mark wins over the declared charset in a browser; ASCII bytes inserted there
          // would corrupt the page, so it passes untouched (its scripts stay blocked: the safe side).
          expect(output).toBe(input);
          return;
        }
        const tags = stampedTags(output, served.nonce);
        expect({ input, output, aligned: onlyTagsDiffer(input, output, tags) }).toEqual({ input, output, aligned: true });
        const before = await tokens(bytes, contentType);
        const after = await tokens(served.body, contentType);
        expect(after.events).toEqual(before.events);
        expect(after.nonces).toEqual(after.nonces.map(() => served.nonce));
      }),
      workerFuzzParameters(100, 3000),
    );
  });
});

describe("pages HTMLRewriter could not finish", () => {
  // Found by the first property: lol-html refuses to guess whether a text-content tag inside <select> is raw text.
  // The same holds for <title>, <noscript>, <iframe>, <xmp>, <noembed> and <plaintext> inside <select>.
  it("delivers <select><style> whole", async () => {
    const page = "<select><style>a</style></select>";
    const served = await serve(encoder.encode(page), "text/html; charset=utf-8", []);
    expect(served.status).toBe(200);
    expect(new TextDecoder().decode(served.body).replace(/ nonce="[^"]*"/g, "")).toBe(page);
  });

  it("delivers a long page whole when the <select><style> comes late, after the first bytes have gone out", async () => {
    const head = `<!doctype html><script>a()</script>${"<p>filler</p>\n".repeat(20_000)}`;
    const page = `${head}<form><select><option>1<style>x{}</style></select></form>`;
    const served = await serve(encoder.encode(page), "text/html", [head.length]);
    expect(new TextDecoder().decode(served.body).replace(/ nonce="[^"]*"/g, "")).toBe(page);
  });
});
