// Cookie hardening: each Set-Cookie line gets the attributes the policy requires appended, and nothing else
// about it changes; checked on examples and, with tough-cookie (the Observatory's parser) as an oracle, on
// generated lines.

import fc from "fast-check";
import { Cookie } from "tough-cookie";
import { describe, expect, it } from "vitest";
import { hardenCookieLine, readCookieLine, type CookieRequirement } from "../../../src/core/headers/cookie-line.js";
import { applyCookies, compileCookies, globMatcher, type CompiledCookies } from "../../../src/core/headers/cookies.js";
import type { CookieRule } from "../../../src/core/policy/schema-cookies.js";
import { fuzzParameters } from "../../fuzz-config.js";

function compiled(...rules: CookieRule[]): CompiledCookies {
  const out = compileCookies(rules.map((rule, i) => ({ rule, from: `test cookies[${i}]` })));
  if (out === null) throw new Error("no entries");
  return out;
}

const DEFAULTS = compiled({ pattern: "*", secure: true, sameSite: "Lax" });

function harden(line: string, cookies = DEFAULTS, https = true): string {
  return hardenCookieLine(line, cookies.requirementFor, https).line;
}

describe("one line", () => {
  it("appends Secure and SameSite=Lax under the defaults over https, and only SameSite over http", () => {
    expect(harden("theme=dark")).toBe("theme=dark; Secure; SameSite=Lax");
    expect(harden("theme=dark", DEFAULTS, false)).toBe("theme=dark; SameSite=Lax");
  });

  it("keeps an Expires date with its comma, and reads attribute names in any case", () => {
    const line = "a=1; expires=Wed, 21 Oct 2037 07:28:00 GMT; SECURE; samesite=strict";
    expect(harden(line)).toBe(line);
  });

  it("adds HttpOnly only by an entry naming the cookie, byte for byte", () => {
    const cookies = compiled({ name: "sessionid", httpOnly: true }, { pattern: "*", secure: true, sameSite: "Lax" });
    expect(harden("sessionid=abc", cookies)).toBe("sessionid=abc; Secure; HttpOnly; SameSite=Lax");
    expect(harden("SessionID=abc", cookies)).toBe("SessionID=abc; Secure; SameSite=Lax");
  });

  it("takes each field from the first entry that matches and sets it", () => {
    const cookies = compiled(
      { name: "embed", sameSite: "None" },
      { pattern: "*", secure: false, sameSite: "Strict" },
      { pattern: "*", secure: true },
    );
    expect(harden("embed=1", cookies)).toBe("embed=1; Secure; SameSite=None");
    expect(harden("other=1", cookies)).toBe("other=1; SameSite=Strict");
  });

  it("leaves a weaker SameSite alone unless the entry overrides it, and a browser reads the last one", () => {
    const strict = compiled({ pattern: "*", sameSite: "Strict" });
    const override = compiled({ pattern: "*", sameSite: "Strict", override: true });
    expect(harden("a=1; SameSite=Lax", strict)).toBe("a=1; SameSite=Lax");
    expect(harden("a=1; SameSite=Lax", override)).toBe("a=1; SameSite=Lax; SameSite=Strict");
    expect(harden("a=1; SameSite=Strict", override)).toBe("a=1; SameSite=Strict");
    expect(harden("a=1; SameSite=bogus", strict)).toBe("a=1; SameSite=bogus; SameSite=Strict");
    expect(harden("a=1; SameSite=Lax; SameSite=", strict)).toBe("a=1; SameSite=Lax; SameSite=; SameSite=Strict");
  });

  it("gives SameSite=None a Secure over https, since browsers reject it without one", () => {
    const none = compiled({ pattern: "*", httpOnly: true });
    expect(harden("a=1; SameSite=None", none)).toBe("a=1; SameSite=None; Secure; HttpOnly");
    expect(harden("a=1; SameSite=None", none, false)).toBe("a=1; SameSite=None; HttpOnly");
  });

  it("gives __Secure- and __Host- cookies what their prefix demands, over https", () => {
    const nothing = compiled({ pattern: "x", httpOnly: true });
    expect(harden("__Secure-id=1", nothing)).toBe("__Secure-id=1; Secure");
    expect(harden("__Host-id=1", nothing)).toBe("__Host-id=1; Secure; Path=/");
    expect(harden("__host-id=1; Path=/; Secure", nothing)).toBe("__host-id=1; Path=/; Secure");
    expect(harden("__Host-id=1", nothing, false)).toBe("__Host-id=1");
  });

  it("leaves a __Host- cookie with Domain or another Path alone, and says so without its value", () => {
    const withDomain = hardenCookieLine("__Host-id=secret; Domain=example.com", DEFAULTS.requirementFor, true);
    expect(withDomain).toEqual({
      line: "__Host-id=secret; Domain=example.com",
      warning: { name: "__Host-id", reason: expect.stringContaining("Domain") },
    });
    expect(JSON.stringify(withDomain.warning)).not.toContain("secret");
    const withPath = hardenCookieLine("__Host-id=1; Path=/app", DEFAULTS.requirementFor, true);
    expect(withPath.line).toBe("__Host-id=1; Path=/app");
    expect(withPath.warning?.reason).toContain("Path");
    // An empty Domain is ignored by browsers: the line is still fixed.
    expect(harden("__Host-id=1; Domain=")).toBe("__Host-id=1; Domain=; Secure; SameSite=Lax; Path=/");
  });

  it("passes a line it cannot read through byte for byte", () => {
    for (const line of ["", "   ", "novalue", "=value", " =v; Secure", "a=1\u0001; Path=/", "a=1; Path=/x\u007f"]) {
      expect(readCookieLine(line)).toBeNull();
      expect(harden(line)).toBe(line);
    }
  });
});

describe("glob patterns", () => {
  it("match as a regular expression built from the glob would", () => {
    const alphabet = fc.constantFrom("a", "b", "_", "-", "*");
    const text = (max: number) => fc.array(alphabet, { maxLength: max }).map((cs) => cs.join(""));
    fc.assert(
      fc.property(text(6), text(8), (pattern, rawName) => {
        const name = rawName.replaceAll("*", "a");
        const regex = new RegExp(
          `^${pattern
            .split("*")
            .map((p) => p.replace(/[-]/g, "\\-"))
            .join(".*")}$`,
          "s",
        );
        expect(globMatcher(pattern)(name)).toBe(regex.test(name));
      }),
      fuzzParameters(2000),
    );
  });
});

// ---- The property: generated lines, parsed by tough-cookie before and after.

const casing = (word: string) =>
  fc
    .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
    .map((up) => [...word].map((c, i) => (up[i] === true ? c.toUpperCase() : c.toLowerCase())).join(""));
const space = fc.constantFrom("", " ", "  ", "\t");
const cookieName = fc.oneof(
  fc.constantFrom("sid", "sessionid", "theme", "__Host-id", "__host-x", "__Secure-t", "__SECURE-u", "a", "csrf_token"),
  fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/),
);
// Values with `=`, `,`, quotes and spaces; never `;` (it ends the pair) nor controls.
const cookieValue = fc.stringMatching(/^[ -:<-~]{0,16}$/).map((v) => v.trim());
const sameSiteValue = fc.oneof(fc.constantFrom("Strict", "Lax", "None").chain(casing), fc.constantFrom("", "bogus", "laxx"));
const attribute = fc.oneof(
  casing("Secure"),
  casing("HttpOnly"),
  fc.tuple(casing("SameSite"), sameSiteValue).map(([k, v]) => `${k}=${v}`),
  fc.constantFrom(
    "Path=/",
    "Path=/app",
    "path=",
    "Domain=example.com",
    "Max-Age=0",
    "Expires=Wed, 21 Oct 2015 07:28:00 GMT",
    "Partitioned",
    "garbage",
    "=x",
    "",
  ),
);
const line = fc
  .tuple(cookieName, space, cookieValue, fc.array(fc.tuple(space, attribute), { maxLength: 6 }))
  .map(([name, sp, value, attrs]) => `${name}=${sp}${value}${attrs.map(([s, a]) => `;${s}${a}`).join("")}`);
const anyLine = fc.oneof(
  { weight: 6, arbitrary: line },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }).filter((s) => !/[\r\n\0]/.test(s)) },
);

const rule: fc.Arbitrary<CookieRule> = fc
  .record(
    {
      target: fc.oneof(
        cookieName.map((name) => ({ name })),
        fc.constantFrom("*", "__Host-*", "s*", "*id").map((pattern) => ({ pattern })),
      ),
      secure: fc.boolean(),
      httpOnly: fc.boolean(),
      sameSite: fc.constantFrom("Strict" as const, "Lax" as const, "None" as const),
      override: fc.boolean(),
    },
    { requiredKeys: ["target"] },
  )
  .map(({ target, ...rest }) => ({ ...target, ...rest }));

/** The requirement for `name`, worked out independently of compileCookies: per field, the first entry that sets it. */
function expectedRequirement(rules: readonly CookieRule[], name: string): CookieRequirement {
  const matching = rules.filter((r) =>
    r.name !== undefined
      ? r.name === name
      : new RegExp(
          `^${(r.pattern ?? "")
            .split("*")
            .map((p) => p.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&"))
            .join(".*")}$`,
          "s",
        ).test(name),
  );
  const withSameSite = matching.find((r) => r.sameSite !== undefined);
  return {
    secure: matching.find((r) => r.secure !== undefined)?.secure === true,
    httpOnly: matching.find((r) => r.httpOnly !== undefined)?.httpOnly === true,
    sameSite: withSameSite?.sameSite,
    override: withSameSite?.override === true,
  };
}

const TAIL = /^(?:; (?:Secure|HttpOnly|SameSite=(?:Strict|Lax|None)|Path=\/))*$/;

function checkLine(input: string, output: string, rules: readonly CookieRule[], https: boolean): void {
  // Output = input + appended pieces, each a known attribute: name, value and the origin's attributes are the input's bytes.
  expect(output.startsWith(input)).toBe(true);
  expect(output.slice(input.length)).toMatch(TAIL);
  const before = Cookie.parse(input);
  if (before === undefined || readCookieLine(input) === null) return;
  const after = Cookie.parse(output);
  expect(after).toBeDefined();
  if (after === undefined) return;
  expect([after.key, after.value]).toEqual([before.key, before.value]);
  expect(after.domain).toBe(before.domain);
  expect(after.expires).toEqual(before.expires);
  expect(after.extensions).toEqual(before.extensions);
  const name = before.key;
  const host = name.toLowerCase().startsWith("__host-");
  if (host && before.domain != null) expect(output).toBe(input);
  if (output === input && host && (before.domain != null || /;\s*path\s*=/i.test(input))) return;
  const want = expectedRequirement(rules, name);
  if (want.httpOnly || before.httpOnly) expect(after.httpOnly).toBe(true);
  else expect(after.httpOnly).toBe(false);
  if (want.sameSite !== undefined) {
    const target = want.sameSite.toLowerCase();
    if (before.sameSite === undefined || want.override) expect(after.sameSite).toBe(target);
    else expect(after.sameSite).toBe(before.sameSite);
  } else expect(after.sameSite).toBe(before.sameSite);
  const needsSecure = want.secure || host || name.toLowerCase().startsWith("__secure-") || after.sameSite === "none";
  expect(after.secure).toBe(before.secure || (https && needsSecure));
  if (host && https) expect(after.path).toBe("/");
  else expect(after.path).toBe(before.path);
}

describe("every generated line", () => {
  it("keeps its name, value and attributes, gains what the entries require, and stays in its place", () => {
    fc.assert(
      fc.property(
        fc.array(anyLine, { minLength: 1, maxLength: 5 }),
        fc.array(rule, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (lines, rules, https) => {
          const headers = new Headers([["Content-Type", "text/html"]]);
          for (const l of lines) headers.append("Set-Cookie", l);
          headers.append("ETag", '"v1"');
          const sent = headers.getSetCookie(); // as Headers keeps them (outer whitespace trimmed)
          applyCookies(headers, compiled(...rules), https);
          const out = headers.getSetCookie();
          expect(out).toHaveLength(lines.length);
          sent.forEach((input, i) => {
            checkLine(input, out[i] ?? "", rules, https);
          });
          expect(headers.get("etag")).toBe('"v1"');
        },
      ),
      fuzzParameters(500),
    );
  });

  it("is left as it came when no entry asks for anything it lacks", () => {
    const headers = new Headers([
      ["Set-Cookie", "a=1; Secure; SameSite=Lax"],
      ["Set-Cookie", "b=2; Secure; SameSite=Strict"],
    ]);
    applyCookies(headers, DEFAULTS, true);
    expect(headers.getSetCookie()).toEqual(["a=1; Secure; SameSite=Lax", "b=2; Secure; SameSite=Strict"]);
  });
});
