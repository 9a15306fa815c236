// Blanket mode end to end inside workerd: the real handler, through src/nonce/rewrite-body.ts and the core stream driver, stamps a page
// that holds the traps of issue 8, streamed in chunks and read whole, and stamps it as the browser's
// parser sees it (the parser model itself is checked against parse5 in test/html). It replaces the
// fuzzing against HTMLRewriter's tokenizer: lol-html is not the browser.

import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env.js";
import { createHandler, DEFAULT_DEPS } from "../../src/handler.js";
import { concatBytes, splitBytes } from "../support/bytes.js";
import { ORIGIN_URL } from "./support.js";

const BLANKET = JSON.stringify({ nonce: { scripts: true, styles: true, mode: "blanket" } });
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Serve `body` (in these chunks, with these headers) through the real handler; the status, the CSP's nonce and the body. */
async function serve(
  body: Uint8Array,
  cuts: readonly number[],
  headers: Record<string, string> = {},
): Promise<{ status: number; nonce: string; body: Uint8Array }> {
  const chunks = splitBytes(body, cuts);
  const response = new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    }),
    { headers: { "Content-Type": "text/html; charset=utf-8", ...headers } },
  );
  const handler = createHandler({ ...DEFAULT_DEPS, fetchOrigin: () => Promise.resolve({ kind: "response", response }) });
  const bindings = { ...env, ORIGIN_URL, POLICY: BLANKET } as unknown as Env;
  const res = await handler.fetch(new Request("https://www.example.com/page"), bindings, createExecutionContext());
  const nonce = /'nonce-([^']+)'/.exec(res.headers.get("content-security-policy") ?? "")?.[1] ?? "";
  return { status: res.status, nonce, body: new Uint8Array(await res.arrayBuffer()) };
}

/** The page, with {N} where the nonce goes. Each trap is commented with what it checks. */
const PAGE = [
  "<!doctype html><html><head><title>traps</title>",
  '<link{N} rel="stylesheet" href="/a.css"><link rel="icon" href="/i.ico"><script{N}>window.ran = 1;</script>',
  "</head><body>",
  // The </div> closes the div and the svg in it: the script is HTML, its "<style>" a JS string.
  '<div><svg></div><script{N}>var s = "<style>";</script>',
  // </p> pops the svg: the textarea is HTML, its "<style>" its value.
  "<p><svg></p><textarea><style></textarea>",
  // math inside svg is an SVG element: mi is no integration point, noscript no raw text, the script SVG.
  "<svg><math><mi><noscript><script{N}>b()</script></noscript></mi></math></svg>",
  // A select's contents are parsed as in body (current standard, Chromium).
  "<select><style{N}>option{color:red}</style><option>one</select>",
  // Script text that looks like markup, and a comment that looks like a script.
  "<script{N}><!--<script>x</script>--></script><!-- <script>no()</script> -->",
  "</body></html>",
].join("\n");

const expected = (nonce: string): string => PAGE.replaceAll("{N}", ` nonce="${nonce}"`);
const input = PAGE.replaceAll("{N}", "");

describe("blanket stamping through the Worker", () => {
  it("stamps exactly the elements the parser creates, streamed in chunks", async () => {
    const bytes = encoder.encode(input);
    for (const cuts of [[], [1], [7, 80, 81, 200], Array.from({ length: 40 }, (_, i) => i * 13)]) {
      const served = await serve(bytes, cuts);
      expect(served.status).toBe(200);
      expect(served.nonce).not.toBe("");
      expect(decoder.decode(served.body)).toBe(expected(served.nonce));
    }
  });

  it("stamps a small page it reads whole (a declared Content-Length) the same way", async () => {
    const bytes = encoder.encode(input);
    const served = await serve(bytes, [], { "Content-Length": String(bytes.length) });
    expect(decoder.decode(served.body)).toBe(expected(served.nonce));
  });

  it("passes a UTF-16 body untouched", async () => {
    const text = "<script>x</script>";
    const utf16 = concatBytes([
      new Uint8Array([0xff, 0xfe]),
      Uint8Array.from({ length: text.length * 2 }, (_, i) => (i % 2 === 0 ? text.charCodeAt(i / 2) : 0)),
    ]);
    const served = await serve(utf16, [1]);
    expect(served.body).toEqual(utf16);
  });

  it("delivers a long page whole when the <select><style> comes late, after the first bytes have gone out", async () => {
    const head = `<!doctype html><script>a()</script>${"<p>filler</p>\n".repeat(20_000)}`;
    const page = `${head}<form><select><option>1<style>x{}</style></select></form>`;
    const served = await serve(encoder.encode(page), [head.length]);
    expect(decoder.decode(served.body)).toBe(
      page.replace("<script>", `<script nonce="${served.nonce}">`).replace("<style>", `<style nonce="${served.nonce}">`),
    );
  });

  it("gives up on a page nested past the model's depth cap: the rest passes as it came, and one line says so", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const page = `<!doctype html><script>a()</script>${"<div>".repeat(1100)}<script>late()</script>`;
    const served = await serve(encoder.encode(page), [50, 3000]);
    expect(decoder.decode(served.body)).toBe(page.replace("<script>", `<script nonce="${served.nonce}">`));
    const lines = error.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
    expect(lines).toEqual([expect.objectContaining({ event: "blanket.gave_up", path: "/page" })]);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});
