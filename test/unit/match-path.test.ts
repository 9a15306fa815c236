// Path patterns: what each pattern matches, how paths are decoded, and which patterns are refused.

import { describe, expect, it } from "vitest";
import { compilePathIndex, pathPatternProblem, patternSpecificity, rulePath } from "../../src/core/match-path.js";

const PATTERNS = ["/embed/*", "/users/:id", "/users/:id/settings", "/login", "/*", "/assets/*.js", "/", "/about/", "/Case"];

function matches(path: string): string[] {
  return compilePathIndex(PATTERNS)
    .match(path)
    .map((i) => PATTERNS[i] ?? "?");
}

describe("compilePathIndex", () => {
  it.each([
    ["/embed/x", ["/embed/*", "/*"]],
    ["/embed/", ["/embed/*", "/*"]],
    ["/embed", ["/*"]],
    ["/embed/a/b", ["/embed/*", "/*"]],
    ["/users/42", ["/users/:id", "/*"]],
    ["/users/42/", ["/users/:id", "/*"]],
    ["/users/", ["/*"]],
    ["/users/42/settings", ["/users/:id/settings", "/*"]],
    ["/users/42/other", ["/*"]],
    ["/login", ["/login", "/*"]],
    ["/login/", ["/login", "/*"]],
    ["/loginx", ["/*"]],
    ["/assets/app.js", ["/*", "/assets/*.js"]],
    ["/assets/app.css", ["/*"]],
    ["/", ["/*", "/"]],
    ["/about", ["/*", "/about/"]],
    ["/case", ["/*"]],
    ["/Case", ["/*", "/Case"]],
  ])("%s matches %j", (path, expected) => {
    expect(matches(path).sort()).toEqual([...expected].sort());
  });

  it("returns indices in ascending order without repeats", () => {
    const index = compilePathIndex(["/a/*", "/a/:x", "/*", "/a/b"]);
    expect(index.match("/a/b")).toEqual([0, 1, 2, 3]);
  });

  it("matches nothing when there are no patterns", () => {
    expect(compilePathIndex([]).match("/x")).toEqual([]);
  });
});

describe("rulePath", () => {
  it("decodes each segment", () => {
    expect(rulePath("/caf%C3%A9/%7Euser")).toBe("/café/~user");
  });

  it("keeps an encoded slash or backslash inside its segment", () => {
    expect(rulePath("/embed%2F..%2Fadmin")).toBe("/embed%2F..%2Fadmin");
    expect(rulePath("/a%5cb%2fc")).toBe("/a%5cb%2fc");
  });

  it("leaves a malformed escape as it is", () => {
    expect(rulePath("/bad%E0%A4%A")).toBe("/bad%E0%A4%A");
  });
});

describe("pathPatternProblem", () => {
  it.each(["/", "/*", "/embed/*", "/users/:id", "/users/:id/settings", "/assets/*.js", "/a-b_c.d~e"])("accepts %s", (p) => {
    expect(pathPatternProblem(p)).toBeUndefined();
  });

  it.each([
    ["embed/*", "starting with /"],
    ["/x?y=1", "query"],
    ["/a b", "whitespace"],
    ["/**", "single *"],
    ["/users/:", "placeholder"],
    ["/users/id-:id", "whole segment"],
  ])("refuses %s", (p, hint) => {
    expect(pathPatternProblem(p)).toContain(hint);
  });
});

describe("patternSpecificity", () => {
  const rank = (patterns: string[]) =>
    [...patterns].sort((a, b) => {
      const [la, wa] = patternSpecificity(a);
      const [lb, wb] = patternSpecificity(b);
      return la - lb || wa - wb;
    });

  it("ranks more literal characters as more specific, then fewer wildcards", () => {
    expect(rank(["/users/:id/settings", "/*", "/users/*", "/users/:id", "/users/42"])).toEqual([
      "/*",
      "/users/*",
      "/users/:id",
      "/users/42",
      "/users/:id/settings",
    ]);
  });
});
