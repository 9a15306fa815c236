// A browser with JavaScript disabled parses <noscript>'s contents as markup (the scripting flag is off);
// one with it enabled reads them as raw text. A nonce must never land where either parse sees text: the
// stamper follows both from the first <noscript> on, stamps where both create a stampable element, and
// gives up (the rest passes untouched) where they disagree on where tags are. Checked against parse5 with
// scriptingEnabled true and false (differential.ts); the regression cases fail on main.

import { describe, expect, it } from "vitest";
import { bytesOf, check, chunkings, latin1, NONCE, stamp } from "./differential.js";
import { seeded } from "./budget.js";

const N = ` nonce="${NONCE}"`;

/** The output of one read of `html`. */
function output(html: string): string {
  return latin1(stamp([bytesOf(html)]).output);
}

function run(html: string): ReturnType<typeof check> {
  const bytes = bytesOf(html);
  return check(bytes, chunkings(bytes.length, seeded(bytes.length)));
}

describe("noscript contents that change the tokenizer's state with scripting disabled", () => {
  it.each([
    [
      "a textarea (the red team's form: the nonce would be in its value)",
      "<form><noscript><textarea name=c></noscript>",
      "</textarea></form>",
    ],
    ["a comment", "<noscript><!--</noscript>", "-->"],
    ["a style element", "<p><noscript><style></noscript>", "</style>"],
    ["xmp", "<noscript><xmp></noscript>", "</xmp>"],
    ["plaintext", "<noscript><plaintext></noscript>", ""],
    ["a style in head", "<!doctype html><head><noscript><style></noscript>", "</style>"],
    ["an unclosed attribute value", '<noscript><img alt="</noscript>', '">'],
  ])("gives up at the script after %s", (_, before, after) => {
    const html = `<script>a()</script>${before}<script>b()</script>${after}<script>c()</script>`;
    const result = run(html);
    expect(result.problems).toEqual([]);
    expect(result.outcome).toMatchObject({ stamped: 1, gaveUp: { at: html.indexOf("<script>b()") + "<script".length } });
    expect(result.outcome.gaveUp?.reason).toMatch(/scripting disabled/);
    expect(output(html)).toBe(html.replace("<script>a()", `<script${N}>a()`));
  });
});

describe("noscript contents both parses agree on", () => {
  it.each([
    ["a tag manager's iframe", '<body><noscript><iframe src="/ns" style="display:none"></iframe></noscript>'],
    ["a stylesheet link and a style in head", "<head><noscript><link rel=stylesheet href=a><style>s{}</style></noscript></head>"],
    ["an image in head (it ends the head)", "<head><noscript><img src=x></noscript>"],
    ["a script inside", "<noscript><script>x()</script></noscript>"],
  ])("stamps the scripts after %s and none inside", (_, noscript) => {
    const html = `${noscript}<script>a()</script><style>b{}</style>`;
    const result = run(html);
    expect(result.problems).toEqual([]);
    expect(result.outcome.gaveUp).toBeNull();
    expect(result.stamped).toBe(2);
  });

  it("leaves the elements only the scripting-disabled parse creates unstamped", () => {
    const html = "<head><noscript><link rel=stylesheet href=a></noscript><link rel=stylesheet href=b>";
    const result = run(html);
    expect(result.problems).toEqual([]);
    expect(output(html)).toBe(html.replace("<link rel=stylesheet href=b", `<link${N} rel=stylesheet href=b`));
  });
});
