// The markup reader of `scan` and the sources it writes: parser-inserted scripts and styles as parse5 sees
// them, and exact origins, never a wildcard.

import { describe, expect, it } from "vitest";
import { readMarkup } from "../../../bin/support/scan/markup.js";
import { hashSource, sourceFor } from "../../../bin/support/scan/sources.js";
import { sha256Source } from "../../../bin/support/inline-hashes.js";

const PAGE = "https://www.example.com/shop/";

describe("readMarkup", () => {
  it("lists external and inline scripts with their resolved URLs and nonces", () => {
    const markup = readMarkup(
      `<!doctype html><script src="/app.js" nonce="abc"></script><script>go()</script>
<script type="application/json">{"data":1}</script><script type="module" src="m.js"></script>`,
      PAGE,
    );
    expect(markup.scripts.map((s) => [s.src, s.text, s.nonce])).toEqual([
      ["https://www.example.com/app.js", undefined, "abc"],
      [undefined, "go()", undefined],
      ["https://www.example.com/shop/m.js", undefined, undefined],
    ]);
    expect(markup.scripts[1]?.label).toBe("inline <script> on line 1");
  });

  it("resolves against <base href> and reports it", () => {
    const markup = readMarkup(`<base href="https://cdn.example.net/v2/"><script src="x.js"></script>`, PAGE);
    expect(markup.baseHref).toBe("https://cdn.example.net/v2/");
    expect(markup.scripts[0]?.src).toBe("https://cdn.example.net/v2/x.js");
  });

  it("leaves out template contents, which never run as parsed", () => {
    expect(readMarkup(`<template><script>never()</script><style>p{}</style></template>`, PAGE)).toEqual({
      scripts: [],
      styles: [],
      baseHref: undefined,
    });
  });

  it("takes SVG scripts and styles, which run and honour nonces as HTML's do", () => {
    const markup = readMarkup(`<svg><script href="/s.js"></script><script>svg()</script><style>rect{}</style></svg>`, PAGE);
    expect(markup.scripts.map((s) => s.src ?? s.text)).toEqual(["https://www.example.com/s.js", "svg()"]);
    expect(markup.styles.map((s) => s.text)).toEqual(["rect{}"]);
  });

  it("lists style elements and stylesheet links, not other links", () => {
    const markup = readMarkup(`<link rel="icon" href="/i.png"><link rel="Stylesheet alternate" href="/a.css"><style>b{}</style>`, PAGE);
    expect(markup.styles.map((s) => s.href ?? s.text)).toEqual(["https://www.example.com/a.css", "b{}"]);
  });

  it("hashes the text the browser hashes: CRLF is LF after parsing", async () => {
    const markup = readMarkup("<script>a();\r\nb();</script>", PAGE);
    const text = markup.scripts[0]?.text ?? "";
    expect(text).toBe("a();\nb();");
    expect(hashSource(text)).toBe(await sha256Source(text));
  });
});

describe("sourceFor", () => {
  const SITE = "https://www.example.com";

  it("says 'self' for the site's own origin and the exact origin otherwise", () => {
    expect(sourceFor("https://www.example.com/a.js", "script-src", SITE)).toEqual({ ok: true, source: "'self'" });
    expect(sourceFor("https://cdn.example.net:8443/lib/x.js?v=1", "script-src", SITE)).toEqual({
      ok: true,
      source: "https://cdn.example.net:8443",
    });
    expect(sourceFor("http://www.example.com/a.png", "img-src", SITE)).toEqual({ ok: true, source: "http://www.example.com" });
    expect(sourceFor("wss://live.example.net/socket", "connect-src", SITE)).toEqual({ ok: true, source: "wss://live.example.net" });
  });

  it("allows data: for images and fonts but never for scripts or styles", () => {
    expect(sourceFor("data", "img-src", SITE)).toEqual({ ok: true, source: "data:" });
    expect(sourceFor("data:font/woff2;base64,AAAA", "font-src", SITE)).toEqual({ ok: true, source: "data:" });
    expect(sourceFor("data", "script-src", SITE).ok).toBe(false);
    expect(sourceFor("data", "style-src", SITE).ok).toBe(false);
  });

  it("refuses extension and browser schemes", () => {
    expect(sourceFor("chrome-extension://abc/x.js", "script-src", SITE)).toEqual({
      ok: false,
      reason: expect.stringContaining("extension"),
    });
    expect(sourceFor("about:blank", "frame-src", SITE).ok).toBe(false);
  });
});
