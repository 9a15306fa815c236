// The canonical form of a request path: what each spelling becomes, what is refused and why, how letter case
// folds, and how much work it takes (counted, never timed).

import { describe, expect, it } from "vitest";
import { canonicalPath, foldPathCase, type PathWork } from "../../../src/core/policy/canonical-path.js";

function canonical(path: string, foldCase = true): string {
  const result = canonicalPath(path, foldCase);
  if (!result.ok) throw new Error(`refused ${path}: ${result.reason}`);
  return result.path;
}

function refusal(path: string): string {
  const result = canonicalPath(path, true);
  if (result.ok) throw new Error(`accepted ${path} as ${result.path}`);
  return result.reason;
}

describe("canonicalPath", () => {
  it.each([
    ["/", "/"],
    ["/admin/settings", "/admin/settings"],
    ["//admin///settings//", "/admin/settings/"],
    ["\\admin\\settings", "/admin/settings"],
    ["/ADMIN/Settings", "/admin/settings"],
    ["/admin;x/settings;jsessionid=0A1B", "/admin/settings"],
    ["/admin%3Bx/settings", "/admin/settings"],
    ["/;x/admin", "/admin"],
    ["/admin/;x", "/admin/"],
    ["/%61dmin/%73ettings", "/admin/settings"],
    ["/%41DMIN", "/admin"],
    ["/admin./settings..", "/admin/settings"],
    ["/admin%2e%20/settings", "/admin/settings"],
    ["/caf%C3%A9/CAF%C3%89", "/café/café"],
    ["/stra%C3%9Fe/STRASSE", "/strasse/strasse"],
    ["/%E2%84%AAelvin", "/kelvin"],
    ["/%CE%A3%CF%82%CF%83", "/σσσ"],
    ["/100%25", "/100%25"],
    ["/100%25off", "/100%25off"],
    ["/a%20b", "/a b"],
    ["/a%3Fb%23c", "/a?b#c"],
  ])("%s is %s", (path, expected) => {
    expect(canonical(path)).toBe(expected);
  });

  it("keeps case when not folding", () => {
    expect(canonical("/Admin/%C3%89", false)).toBe("/Admin/É");
  });

  it("reads an encoded / or \\ both ways", () => {
    expect(canonicalPath("/a%2Fb%5cc", true)).toEqual({
      ok: true,
      path: "/a/b/c",
      readings: [{ path: "/a%2fb%5cc", how: expect.stringContaining("kept in its segment") as unknown }],
    });
    expect(canonicalPath("/a/b", true)).toEqual({ ok: true, path: "/a/b", readings: [] });
  });

  function readings(path: string): string[] {
    const result = canonicalPath(path, true);
    if (!result.ok) throw new Error(`refused ${path}: ${result.reason}`);
    return [result.path, ...result.readings.map((r) => r.path)];
  }

  it.each([
    ["/caf%E9", ["/caf%e9", "/café"]],
    ["/%E9t%E9/%C3%A9", ["/%e9t%e9/é", "/été/é"]],
    ["/%FF", ["/%ff", "/ÿ"]],
    ["/%C3", ["/%c3", "/ã"]],
    ["/%E0%80%AF", ["/%e0%80%af", "/à\u0080¯"]],
    ["/%C0%AF", ["/%c0%af", "/"]],
    ["/a%C0%AE%C0%AE%C0%AFb", ["/a%c0%ae%c0%ae%c0%afb", "/a/b"]],
    ["/a%C0%AF%C0%AE%C0%AE%C0%AFb", ["/a%c0%af%c0%ae%c0%ae%c0%afb", "/b"]],
    ["/vouchers/10%25DEAL", ["/vouchers/10%25deal", "/vouchers/10%deal", "/vouchers/10þal"]],
    ["/%2561dmin", ["/%2561dmin", "/admin"]],
    ["/embed%2F..%2Fadmin", ["/admin", "/embed%2f..%2fadmin"]],
    ["/embed/..;/admin", ["/admin", "/embed/..;/admin"]],
    ["/embed/.;x/admin", ["/embed/admin", "/embed/.;x/admin"]],
    ["/a/./b", ["/a/b"]],
    ["/a/../b", ["/b"]],
    ["/../../b", ["/b"]],
    ["/a/.../b", ["/a/b", "/a/.../b"]],
    ["/a/..%20/b", ["/b", "/a/.. /b"]],
    ["/a/%20/b", ["/a/b", "/a/ /b"]],
    ["/a%0Ab", ["/a\nb"]],
    ["/a%7Fb", ["/a\u007fb"]],
    ["/login.php/x.css", ["/login.php/x.css", "/login.php"]],
    ["/app/index.PHP/a%2Fb", ["/app/index.php/a/b", "/app/index.php", "/app/index.php/a%2fb"]],
  ])("reads %j as %j", (path, expected) => {
    expect(readings(path)).toEqual(expected);
  });

  it.each([
    ["admin", "starting with /"],
    ["/a%zz", "two-digit hex"],
    ["/a%2", "two-digit hex"],
    ["/a%", "two-digit hex"],
    ["/%u0061dmin", "two-digit hex"],
    ["/%00", "NUL"],
    ["/a\u0000b", "NUL"],
    ["/%C0%80", "NUL"],
    ["/\ud800x", "surrogate"],
    ["/x\udc00", "surrogate"],
  ])("refuses %j: %s", (path, reason) => {
    expect(refusal(path)).toContain(reason);
  });
});

describe("foldPathCase", () => {
  it("is idempotent for every code point", () => {
    const broken: number[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const once = foldPathCase(String.fromCodePoint(cp));
      if (foldPathCase(once) !== once) broken.push(cp);
    }
    expect(broken).toEqual([]);
  });

  it("merges every pair a case-insensitive origin merges: a character and its upper case (Express, IIS), or its lower case", () => {
    const split: number[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const ch = String.fromCharCode(c);
      for (const other of [ch.toUpperCase(), ch.toLowerCase()]) {
        if (other.length === 1 && foldPathCase(ch) !== foldPathCase(other)) split.push(c);
      }
    }
    expect(split).toEqual([]);
  });

  it("never produces a character that changes the path's structure", () => {
    const structural = new Set(["/", "\\", "%", ";", ".", " "]);
    const made: number[] = [];
    for (let cp = 0x80; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      if ([...foldPathCase(String.fromCodePoint(cp))].some((ch) => structural.has(ch))) made.push(cp);
    }
    expect(made).toEqual([]);
  });
});

describe("the work canonicalPath does", () => {
  function workFor(path: string): PathWork {
    const work = { chars: 0, builds: 0 };
    canonicalPath(path, true, work);
    return work;
  }

  it("is one scan and no string built for a path already canonical", () => {
    for (const path of ["/", "/admin/settings", "/assets/app.9f3c.js", "/a-b_c~d/e/", `/${"x/".repeat(1000)}`]) {
      expect(workFor(path), path).toEqual({ chars: path.length, builds: 0 });
    }
  });

  it.each([
    ["many escapes", `/${"%C3%A9".repeat(5000)}`],
    ["dots and spaces before the end of a segment", `/${". ".repeat(10_000)}x`],
    ["a long run of dots", `/${".".repeat(20_000)}x`],
    ["empty segments", "/".repeat(20_000)],
    ["parameters", "/a;".repeat(10_000)],
    ["backslashes", "\\".repeat(20_000)],
    ["encoded slashes", "/a%2F".repeat(5000)],
    ["percent signs", `/${"%25".repeat(5000)}`],
    ["one run of 200,000 escapes", `/${"%41".repeat(200_000)}`],
    ["upper case", `/${"A/".repeat(10_000)}`],
    ["non-ASCII letters", `/${"É".repeat(10_000)}`],
    ["a refusal at the very end", `/${"a".repeat(20_000)}%zz`],
  ])("stays within 64 steps per character for %s", (_, path) => {
    const work = workFor(path);
    // At most 16 readings, each one pass, and the script reading of each.
    expect(work.chars).toBeLessThanOrEqual(64 * path.length);
    expect(work.builds).toBeLessThanOrEqual(17);
  });
});
