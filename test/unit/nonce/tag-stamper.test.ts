// Blanket-mode stamping as a byte stream: the right start tags get the nonce, comments and raw text are
// left alone, the output never depends on how the body was chunked, and nothing else changes.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { transformChunks } from "../../../src/core/nonce/body-driver.js";
import { MAX_TAG_BYTES, tagStampTransformer, type StampTargets } from "../../../src/core/nonce/tag-stamper.js";
import { concatBytes, drive, slices, splitBytes } from "../../support/bytes.js";

const N = "bm9uY2Vub25jZW5vbmNlMQ==";
const BOTH: StampTargets = { scripts: true, styles: true };

const run = (chunks: Uint8Array[], targets: StampTargets = BOTH) => drive(chunks, tagStampTransformer(targets, N));
const split = splitBytes;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const stamp = async (html: string, targets: StampTargets = BOTH) => dec(await run([enc(html)], targets));

describe("tagStampTransformer through the stream driver", () => {
  it.each([
    ["<script>a()</script>", `<script nonce="${N}">a()</script>`],
    ["<SCRIPT src=/a.js></SCRIPT>", `<SCRIPT nonce="${N}" src=/a.js></SCRIPT>`],
    ["<style>p{}</style>", `<style nonce="${N}">p{}</style>`],
    ['<link rel="stylesheet" href="/a.css">', `<link nonce="${N}" rel="stylesheet" href="/a.css">`],
    ['<link rel="preload" as="script" href="/p.js">', `<link nonce="${N}" rel="preload" as="script" href="/p.js">`],
    ["<link rel=modulepreload href=/m.js>", `<link nonce="${N}" rel=modulepreload href=/m.js>`],
    ['<script/src="x">', `<script nonce="${N}"/src="x">`],
  ])("stamps %s", async (input, output) => {
    expect(await stamp(input)).toBe(output);
  });

  it.each([
    '<link rel="icon" href="/favicon.ico">',
    '<link rel="preload" as="font" href="/f.woff2">',
    "<scripts>not a script</scripts>",
    '<p onclick="x()">text</p>',
    "<!-- <script>commented()</script> -->",
    "<!--><script>after an abrupt comment end</script>".slice(0, 5),
    "<textarea><script>text</script></textarea>",
    "<title><style>text</style></title>",
    "<plaintext><script>text",
    "a < b && c > d",
    '<div title="<script>">x</div>',
  ])("leaves %s alone", async (input) => {
    expect(await stamp(input)).toBe(input);
  });

  it("does not stamp what raw text holds: a <script> inside a script's text", async () => {
    const html = '<script>document.write("<script>x()<\\/script>")</script><script>y()</script>';
    expect(await stamp(html)).toBe(
      `<script nonce="${N}">document.write("<script>x()<\\/script>")</script><script nonce="${N}">y()</script>`,
    );
  });

  it("finds the end of raw text case-insensitively and only at a real end tag", async () => {
    const html = "<style>a{content:'</styles>'}</STYLE ><script>z()</script>";
    expect(await stamp(html)).toBe(`<style nonce="${N}">a{content:'</styles>'}</STYLE ><script nonce="${N}">z()</script>`);
  });

  it("keeps a nonce the origin wrote: the first of duplicate attributes, ours, is the one that counts", async () => {
    const html = '<script nonce="old" src="/a.js" NONCE=older></script>';
    expect(await stamp(html)).toBe(html.replace("<script", `<script nonce="${N}"`));
  });

  it("stamps only scripts, or only styles, as asked", async () => {
    const html = '<script></script><style></style><link rel="stylesheet" href="/a.css">';
    expect(await stamp(html, { scripts: true, styles: false })).toBe(
      `<script nonce="${N}"></script><style></style><link rel="stylesheet" href="/a.css">`,
    );
    expect(await stamp(html, { scripts: false, styles: true })).toBe(
      `<script></script><style nonce="${N}"></style><link nonce="${N}" rel="stylesheet" href="/a.css">`,
    );
  });

  it("survives what made HTMLRewriter abort: <select><style>", async () => {
    expect(await stamp("<select><style>a</style></select>")).toBe(`<select><style nonce="${N}">a</style></select>`);
  });

  it("passes a UTF-16 body through untouched", async () => {
    const utf16 = new Uint8Array([0xff, 0xfe, 0x3c, 0x00, 0x73, 0x00]);
    expect(await run([utf16])).toEqual(utf16);
  });

  it("passes a start tag that never ends through as it is", async () => {
    const html = `<script src="${"x".repeat(MAX_TAG_BYTES + 10)}`;
    expect(await stamp(html)).toBe(html);
  });

  it("gives the same output however the body is chunked", async () => {
    const piece = fc.constantFrom(
      "<script>a()</script>",
      "<SCRIPT src='x'>",
      "</script>",
      "<style>",
      "</style >",
      '<link rel="stylesheet" href="a">',
      "<!--",
      "-->",
      "<!-->",
      "<textarea>",
      "</textarea>",
      '<p class="a>b">',
      "<",
      ">",
      "é",
      "漢",
      "<!doctype html>",
      "</",
      " nonce=x ",
    );
    const html = fc.array(fc.oneof(piece, fc.string({ maxLength: 5 })), { maxLength: 25 }).map((parts) => parts.join(""));
    await fc.assert(
      fc.asyncProperty(html, fc.array(fc.nat(), { maxLength: 10 }), async (text, cuts) => {
        const bytes = enc(text);
        const whole = await run([bytes]);
        expect(await run(split(bytes, cuts))).toEqual(whole);
      }),
      { seed: 20261125, numRuns: 300 },
    );
  });

  it("changes nothing but the stamped start tags", async () => {
    const html = fc
      .array(
        fc.oneof(fc.constantFrom("<script>x</script>", "<style>y</style>", "<p>", "<!-- c -->", "<b>é</b>"), fc.string({ maxLength: 8 })),
        { maxLength: 20 },
      )
      .map((p) => p.join(""));
    await fc.assert(
      fc.asyncProperty(html, async (text) => {
        const out = await stamp(text);
        expect(out.replaceAll(` nonce="${N}"`, "")).toBe(text);
      }),
      { seed: 1125, numRuns: 300 },
    );
  });
});

describe("foreign content", () => {
  it("treats script and style inside <svg> and <math> as elements, not raw text, and stamps only SVG's", async () => {
    // MathML has no script element: a <script> there is an unknown MathML element and never runs.
    expect(await stamp("<math><script><script></math><script>x</script>")).toBe(
      `<math><script><script></math><script nonce="${N}">x</script>`,
    );
    expect(await stamp("<svg><style><script>a()</script></style></svg>")).toBe(
      `<svg><style nonce="${N}"><script nonce="${N}">a()</script></style></svg>`,
    );
  });

  it("returns to raw text after the foreign element ends, and ignores a self-closing one", async () => {
    expect(await stamp("<svg/><script><b></script>")).toBe(`<svg/><script nonce="${N}"><b></script>`);
    expect(await stamp("<svg></svg><script><script></script>")).toBe(`<svg></svg><script nonce="${N}"><script></script>`);
  });
});

describe("script text in its escape states", () => {
  it.each([
    // After <!--, a nested <script> makes the next </script> text, until -->.
    ["<script><!--<script></script>--><script></script>", `<script nonce="${N}"><!--<script></script>--><script></script>`],
    [
      "<script><!--<script></script>--></script><script></script>",
      `<script nonce="${N}"><!--<script></script>--></script><script nonce="${N}"></script>`,
    ],
    // <!--> and <!---> close again at once.
    ["<script><!--><script></script><script></script>", `<script nonce="${N}"><!--><script></script><script nonce="${N}"></script>`],
    // Without a nested <script>, the escaped text still ends at </script>.
    ["<script><!-- a() </script><script></script>", `<script nonce="${N}"><!-- a() </script><script nonce="${N}"></script>`],
  ])("%s", async (input, output) => {
    expect(await stamp(input)).toBe(output);
  });
});

describe("leaving foreign content", () => {
  it("returns to HTML rules at a breakout tag or inside an integration point", async () => {
    expect(await stamp("<svg><p><script><script></script>")).toBe(`<svg><p><script nonce="${N}"><script></script>`);
    expect(await stamp("<svg><foreignObject><script><b></script></foreignObject></svg>")).toBe(
      `<svg><foreignObject><script nonce="${N}"><b></script></foreignObject></svg>`,
    );
    expect(await stamp('<math><font color="red"><style><script></style>')).toBe(
      `<math><font color="red"><style nonce="${N}"><script></style>`,
    );
  });
});

describe("a UTF-16 byte order mark", () => {
  it("is recognised when it arrives one byte at a time", async () => {
    const utf16 = new Uint8Array([0xff, 0xfe, 0x3c, 0x73, 0x63, 0x72, 0x69, 0x70, 0x74, 0x3e]);
    expect(await run([utf16.slice(0, 1), utf16.slice(1)])).toEqual(utf16);
  });
});

describe("comments", () => {
  it.each([
    ["<!-- a --!><script></script>", `<!-- a --!><script nonce="${N}"></script>`],
    ["<!----><script></script>", `<!----><script nonce="${N}"></script>`],
    ["<!-- <script> -- still a comment --><script></script>", `<!-- <script> -- still a comment --><script nonce="${N}"></script>`],
  ])("%s", async (input, output) => {
    expect(await stamp(input)).toBe(output);
  });
});

describe("CDATA", () => {
  it("is text inside foreign content and a bogus comment outside it", async () => {
    expect(await stamp("<svg><![CDATA[<script>]]></svg><script></script>")).toBe(
      `<svg><![CDATA[<script>]]></svg><script nonce="${N}"></script>`,
    );
    expect(await stamp("<![CDATA[x]]><script></script>")).toBe(`<![CDATA[x]]><script nonce="${N}"></script>`);
  });
});

describe("end tags", () => {
  it("skip a quoted > inside an end tag's attributes, as the tokenizer does", async () => {
    const html = `</scr<img alt='<style>' onerror="<script>alert(1)</script>"><script></script>`;
    expect(await stamp(html)).toBe(html.replace("><script></script>", `><script nonce="${N}"></script>`));
  });
});

describe("issue 8: the stamper sees the page as the browser's parser does", () => {
  it("closes an unclosed <svg> with the </div> that closes its div, so a JS string keeps its bytes", async () => {
    const html = '<div><svg></div><script>var s = "<style>";</script>';
    expect(await stamp(html)).toBe(`<div><svg></div><script nonce="${N}">var s = "<style>";</script>`);
  });

  it("closes an unclosed <svg> with </p>, so a textarea's value keeps its bytes", async () => {
    const html = "<p><svg></p><textarea><style></textarea><script>x()</script>";
    expect(await stamp(html)).toBe(`<p><svg></p><textarea><style></textarea><script nonce="${N}">x()</script>`);
  });

  it("stamps the SVG script in <svg><math><mi><noscript><script>: math is an SVG element there, mi no integration point", async () => {
    expect(await stamp("<svg><math><mi><noscript><script>run()</script>")).toBe(
      `<svg><math><mi><noscript><script nonce="${N}">run()</script>`,
    );
  });

  it("leaves an unclosed <svg> open after a </div> with no div to close", async () => {
    // The svg is still open: <script> is an SVG script whose text is markup, and its <style> an SVG style.
    expect(await stamp('<svg></div><script>"<style>"</script>')).toBe(`<svg></div><script nonce="${N}">"<style nonce="${N}">"</script>`);
  });
});

describe("giving up, where the model cannot be certain", () => {
  /** Stamp one-byte-per-character `text`; the output as such a string, and the outcome. */
  function run1(text: string): { out: string; outcome: ReturnType<ReturnType<typeof tagStampTransformer>["outcome"]>; calls: string[] } {
    const calls: string[] = [];
    const stamper = tagStampTransformer(BOTH, N, { onGiveUp: (reason, at) => calls.push(`${at}: ${reason}`) });
    const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
    const out = concatBytes(transformChunks(slices(bytes, 7), stamper));
    return { out: String.fromCharCode(...out), outcome: stamper.outcome(), calls };
  }

  it.each([
    ["an ISO-2022-JP escape", "<script>a()</script>\x1b$B<script>b()</script>", /ISO-2022-JP/],
    ["]]> right after a non-ASCII byte in CDATA", "<svg><![CDATA[\x81]]><script>b()</script>", /CDATA/],
    ["an end tag whose non-ASCII name may or may not close an element", "<x\xe9><span></y\xe9><script>b()</script>", /which element/],
    [
      "a fourth formatting element whose attributes hold a character reference",
      '<b title="&amp;"><b title="&amp;"><b title="&#38;"><b title="&"><script>b()</script>',
      /attributes/,
    ],
    ["a stack deeper than 1024", `${"<div>".repeat(1100)}<script>b()</script>`, /deeper/],
  ])("gives up on %s, says so once, and passes the rest untouched", (_, text, reason) => {
    const { out, outcome, calls } = run1(text);
    expect(outcome.gaveUp?.reason).toMatch(reason);
    expect(calls).toHaveLength(1);
    expect(out.replaceAll(` nonce="${N}"`, "")).toBe(text);
    // Nothing after the point where it gave up was stamped.
    const at = outcome.gaveUp?.at ?? 0;
    expect(out.slice(out.length - (text.length - at))).toBe(text.slice(at));
  });

  it("counts what it stamped when it does not give up", () => {
    const { outcome, calls } = run1("<script>a()</script><svg><style>b</style></svg><link rel=stylesheet href=c>");
    expect(outcome).toEqual({ stamped: 3, gaveUp: null, utf16: false });
    expect(calls).toEqual([]);
  });

  it("stamps what came before the point where it gave up", () => {
    const { out } = run1("<script>a()</script>\x1b(B<script>b()</script>");
    expect(out).toBe(`<script nonce="${N}">a()</script>\x1b(B<script>b()</script>`);
  });
});
