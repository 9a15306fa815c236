// The README's example is real: its policy validates and produces exactly the headers it shows.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { applyHeaders } from "../../src/core/headers/apply-headers.js";
import { planHeaders } from "../../src/core/policy/plan-headers.js";
import { parsePolicy } from "../../src/core/policy/parse-policy.js";
import { compile } from "./support.js";

const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

function blockAfter(marker: string): string {
  const start = README.indexOf(`<!-- readme-example:${marker} -->`);
  const match = /```\w*\n([\s\S]*?)```/.exec(README.slice(start));
  if (start === -1 || match?.[1] === undefined) throw new Error(`no block after ${marker}`);
  return match[1];
}

describe("the README", () => {
  it("shows the headers its example policy produces", () => {
    const policy = compile([JSON.parse(blockAfter("policy")) as unknown]);
    const headers = new Headers([
      ["X-Frame-Options", "SAMEORIGIN"],
      ["X-Powered-By", "PHP/8.3"],
      ["Server", "Apache"],
    ]);
    applyHeaders(headers, planHeaders(policy, { https: true, path: "/", contentType: "text/html" }).ops);
    const shown = blockAfter("headers").trim().split("\n");
    expect([...headers].map(([k, v]) => `${k}: ${v}`)).toEqual(shown);
  });

  it("keeps its example policy within ten lines", () => {
    expect(blockAfter("policy").trim().split("\n").length).toBeLessThanOrEqual(10);
  });
});

describe("examples/policy.json", () => {
  it("validates and compiles", () => {
    const document: unknown = JSON.parse(readFileSync(new URL("../../examples/policy.json", import.meta.url), "utf8"));
    expect(parsePolicy(document).ok).toBe(true);
    expect(() => compile([document])).not.toThrow();
  });
});
