// Path patterns: what each pattern matches, how paths are decoded, and which patterns are refused.

import { describe, expect, it } from "vitest";
import { compilePathIndex, pathPatternProblem, patternSpecificity } from "../../../src/core/policy/match-path.js";

const PATTERNS = ["/embed/*", "/users/:id", "/users/:id/settings", "/login", "/*", "/assets/*.js", "/", "/about/", "/Case"];

function matches(path: string, caseSensitive = false): string[] {
  const route = compilePathIndex(PATTERNS, { caseSensitive }).route(path);
  if (!route.ok) throw new Error(`refused: ${route.reason}`);
  return route.rules.map((i) => PATTERNS[i] ?? "?");
}

describe("compilePathIndex", () => {
  it.each([
    ["/embed/x", ["/embed/*", "/*"]],
    ["/embed/", ["/embed/*", "/*"]],
    ["/embed", ["/embed/*", "/*"]],
    ["/embed.json", ["/embed/*", "/*"]],
    ["/embed/a/b", ["/embed/*", "/*"]],
    ["/users/42", ["/users/:id", "/*"]],
    ["/users/42/", ["/users/:id", "/*"]],
    ["/users/", ["/*"]],
    ["/users/42/settings", ["/users/:id", "/users/:id/settings", "/*"]],
    ["/users/42/other", ["/users/:id", "/*"]],
    ["/users/42.json", ["/users/:id", "/*"]],
    ["/login", ["/login", "/*"]],
    ["/login/", ["/login", "/*"]],
    ["/login/x", ["/login", "/*"]],
    ["/login.html", ["/login", "/*"]],
    ["/login.json", ["/login", "/*"]],
    ["/login.do", ["/login", "/*"]],
    ["/login.tar.gz", ["/login", "/*"]],
    ["/login.php/x", ["/login", "/*"]],
    ["/loginx", ["/*"]],
    ["/.login", ["/*"]],
    ["/x", ["/*"]],
    ["/assets/app.js", ["/*", "/assets/*.js"]],
    ["/assets/app.css", ["/*"]],
    ["/", ["/*", "/"]],
    ["/.well-known/x", ["/*"]],
    ["/about", ["/*", "/about/"]],
    ["/case", ["/*", "/Case"]],
    ["/CASE", ["/*", "/Case"]],
    ["/EMBED/X", ["/embed/*", "/*"]],
  ])("%s matches %j", (path, expected) => {
    expect(matches(path).sort()).toEqual([...expected].sort());
  });

  it("tells /Case from /case when the policy says paths are case-sensitive", () => {
    expect(matches("/Case", true).sort()).toEqual(["/*", "/Case"]);
    expect(matches("/case", true)).toEqual(["/*"]);
    expect(matches("/EMBED/x", true)).toEqual(["/*"]);
  });

  it("returns indices in ascending order without repeats", () => {
    const index = compilePathIndex(["/a/*", "/a/:x", "/*", "/a/b", "/a", "/a.b"]);
    expect(index.match("/a/b")).toEqual([0, 1, 2, 3, 4]);
    expect(index.match("/a.b.c/d")).toEqual([0, 2, 4, 5]);
  });

  it("tries only the stems that end a pattern, in a segment of many dots", () => {
    const index = compilePathIndex(["/login", `/${"a".repeat(50)}`]);
    expect(index.match(`/login${".".repeat(100_000)}`)).toEqual([0]);
    expect(index.match(`/${".a".repeat(50_000)}`)).toEqual([]);
  });

  it("matches nothing, and refuses nothing, when there are no patterns", () => {
    expect(compilePathIndex([]).route("/x%zz")).toMatchObject({ ok: true, rules: [] });
  });

  it("matches patterns by their decoded characters", () => {
    const index = compilePathIndex(["/café/*", "/~user"]);
    expect(index.route("/caf%C3%A9/x")).toMatchObject({ ok: true, path: "/café/x", rules: [0] });
    expect(index.route("/CAF%C3%89/x")).toMatchObject({ ok: true, path: "/café/x", rules: [0] });
    expect(index.route("/%7Euser")).toMatchObject({ ok: true, path: "/~user", rules: [1] });
  });
});

describe("route and an encoded slash", () => {
  const index = compilePathIndex(["/api/*", "/api/projects/:id", "/admin/*"]);

  it("accepts it when both readings match the same rules", () => {
    expect(index.route("/api/files/a%2Fb")).toMatchObject({ ok: true, path: "/api/files/a/b", rules: [0] });
    // /api/projects/:id covers what lies below the project, so both readings select the same two rules.
    expect(index.route("/api/projects/group%2Fproject")).toMatchObject({ ok: true, rules: [0, 1] });
  });

  it.each(["/admin%2Fsettings", "/admin%5Csettings", "/api%2Fx"])("refuses %s, whose rules depend on the reading", (path) => {
    const route = index.route(path);
    expect(route.ok).toBe(false);
    expect(route.ok ? "" : route.reason).toContain("encoded /");
  });
});

describe("route and the other readings", () => {
  const PATTERNS_PHP = ["/admin/*", "/login", "/login.php", "/*.css", "/café", "/wiki/*"];
  const index = compilePathIndex(PATTERNS_PHP);
  const routed = (path: string) => {
    const route = index.route(path);
    return route.ok ? route.rules.map((i) => PATTERNS_PHP[i]) : `refused: ${route.reason}`;
  };

  it.each([
    ["/login.php/x.css", "as the script /login.php"],
    ["/LOGIN.PHP/a/b.css", "as the script /login.php"],
    ["/caf%E9", "Latin-1"],
    ["/%2561dmin/x", "decoded twice"],
    ["/wiki/..;/admin/x", "as a name"],
    ["/x%C0%AF..%C0%AFadmin/y", "overlong"],
  ])("refuses %s, whose readings select different rules", (path, how) => {
    expect(routed(path)).toContain(how);
  });

  it.each([
    ["/vouchers/10%25DEAL", []],
    ["/produits/%E9t%E9", []],
    ["/wiki/...", ["/wiki/*"]],
    ["/wiki/100%25BE", ["/wiki/*"]],
    ["/files/a%2Fb", []],
    ["/search/%0A", []],
    ["/tree/%20", []],
    ["/index.php/blog/x", []],
    ["/login.php/step2", ["/login", "/login.php"]],
    ["/assets/v1.2/app.css", ["/*.css"]],
  ])("forwards %s with the rules every reading selects", (path, expected) => {
    expect(routed(path)).toEqual(expected);
  });

  it("says which readings it checked", () => {
    expect(index.route("/produits/%E9t%E9")).toMatchObject({ ok: true, path: "/produits/%e9t%e9", readings: [{ path: "/produits/été" }] });
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
    ["/caf%C3%A9", "percent-escapes"],
    ["/a;jsessionid=1", "path parameters"],
    ["/a\\b", "backslash"],
    ["/a//b", "empty segment"],
    ["/a/../b", ". or .. segment"],
    ["/a/./b", ". or .. segment"],
    ["/admin./*", "ending in a dot"],
    ["/a\u0000b", "control characters"],
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
