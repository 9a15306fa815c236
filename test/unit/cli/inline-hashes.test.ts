// Hashes of inline scripts and styles, computed exactly as a browser computes them.

import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { inlineHashes, sha256Source, withRuleHashes } from "../../../bin/support/inline-hashes.js";

const expected = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

describe("inlineHashes", () => {
  it("hashes each inline script and style's exact text, skipping external and non-executable scripts", async () => {
    const html = `<!doctype html><html><head>
<style>body { color: red }</style>
<script src="/app.js"></script>
<script type="application/json">{"not":"code"}</script>
</head><body onload="x()">
<script>
  console.log("é &amp; <b>");
</script>
<script type="module">import "/m.js";</script>
<template><script>inTemplate()</script></template>
<button onclick="go()">go</button>
</body></html>`;
    const result = await inlineHashes(html);
    expect(result.scripts).toEqual([expected('\n  console.log("é &amp; <b>");\n'), expected('import "/m.js";'), expected("inTemplate()")]);
    expect(result.styles).toEqual([expected("body { color: red }")]);
    expect(result.handlers).toBe(2);
  });

  it("lists a repeated script once", async () => {
    const result = await inlineHashes("<script>a()</script><script>a()</script>");
    expect(result.scripts).toEqual([expected("a()")]);
  });

  it("hashes an empty inline script", async () => {
    expect((await inlineHashes("<script></script>")).scripts).toEqual([expected("")]);
  });
});

describe("sha256Source", () => {
  it("is the quoted CSP source of the UTF-8 bytes' sha256", async () => {
    expect(await sha256Source("")).toBe("'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
  });
});

describe("withRuleHashes", () => {
  const hashes = { scripts: ["'sha256-AAA='"], styles: ["'sha256-BBB='"] };

  it("creates a rule for the path when there is none", () => {
    expect(withRuleHashes({ rules: [{ path: "/other" }] }, "/docs/*", hashes).rules).toEqual([
      { path: "/other" },
      { path: "/docs/*", csp: { add: { "script-src": ["'sha256-AAA='"], "style-src": ["'sha256-BBB='"] } } },
    ]);
  });

  it("replaces the hashes of an earlier run and keeps the rule's other sources and fields", () => {
    const document = {
      rules: [
        {
          path: "/docs/*",
          headers: { "X-A": "1" },
          csp: { action: "set", add: { "script-src": ["https://cdn.example.com", "'sha256-OLD='"] } },
        },
      ],
    };
    expect(withRuleHashes(document, "/docs/*", { scripts: ["'sha256-NEW='"], styles: [] }).rules).toEqual([
      {
        path: "/docs/*",
        headers: { "X-A": "1" },
        csp: { action: "set", add: { "script-src": ["https://cdn.example.com", "'sha256-NEW='"] } },
      },
    ]);
    expect(document.rules[0]?.csp.add["script-src"]).toContain("'sha256-OLD='");
  });
});
