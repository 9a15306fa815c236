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
    expect(canonicalPath("/a%2Fb%5cc", true)).toEqual({ ok: true, path: "/a/b/c", oneSegment: "/a%2fb%5cc" });
    expect(canonicalPath("/a/b", true)).toEqual({ ok: true, path: "/a/b", oneSegment: undefined });
  });

  it.each([
    ["admin", "starting with /"],
    ["/a%zz", "two-digit hex"],
    ["/a%2", "two-digit hex"],
    ["/a%", "two-digit hex"],
    ["/%u0061dmin", "two-digit hex"],
    ["/%C0%AF", "UTF-8"],
    ["/%C0%AE%C0%AE/x", "UTF-8"],
    ["/%E0%80%AF", "UTF-8"],
    ["/%ED%A0%80", "UTF-8"],
    ["/%C3", "UTF-8"],
    ["/%FF", "UTF-8"],
    ["/%00", "control character"],
    ["/a%0Ab", "control character"],
    ["/a%7Fb", "control character"],
    ["/a\u0000b", "control character"],
    ["/a\tb", "control character"],
    ["/\ud800x", "surrogate"],
    ["/x\udc00", "surrogate"],
    ["/%2561dmin", "double-encoded"],
    ["/%25%34%31", "double-encoded"],
    ["/embed%2F..%2Fadmin", ". or .."],
    ["/embed%5C..%5Cadmin", ". or .."],
    ["/embed/..;/admin", ". or .."],
    ["/embed/.;x/admin", ". or .."],
    ["/embed/%2e%2e%3B/admin", ". or .."],
    ["/a/./b", ". or .."],
    ["/a/../b", ". or .."],
    ["/a/.../b", ". or .."],
    ["/a/.%20./b", ". or .."],
    ["/a/%20/b", ". or .."],
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
  ])("stays within 16 steps per character for %s", (_, path) => {
    const work = workFor(path);
    expect(work.chars).toBeLessThanOrEqual(16 * path.length);
    expect(work.builds).toBeLessThanOrEqual(2);
  });
});
