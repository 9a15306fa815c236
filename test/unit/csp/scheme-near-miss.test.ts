// Near-miss scheme spellings in CSP sources (`https//cdn.example` is a host named "https" with a path) are
// errors with the fix, through the policy document's validation, for every known scheme and every host.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cspSourceProblem } from "../../../src/core/csp/parse-csp.js";
import { parsePolicy } from "../../../src/core/policy/parse-policy.js";
import { fuzzParameters } from "../../fuzz-config.js";

/** The issues a document with this script-src source gets, as [path, message]. */
function issuesFor(source: string): [string, string][] {
  const result = parsePolicy({ csp: { directives: { "script-src": ["'self'", source] } } });
  return result.ok ? [] : result.issues.map((i) => [i.path, i.message]);
}

describe("a misspelled scheme in a CSP source", () => {
  it.each([
    ["https//cdn.example", "https://cdn.example"],
    ["http//cdn.example/lib.js", "http://cdn.example/lib.js"],
    ["https:/cdn.example", "https://cdn.example"],
    ["htps://cdn.example", "https://cdn.example"],
    ["https:cdn.example", "https://cdn.example"],
    ["https:///cdn.example", "https://cdn.example"],
    ["wws://socket.example", "wss://socket.example"],
    ["htps:", "https:"],
  ])("refuses %s and names the fix %s", (source, fix) => {
    const issues = issuesFor(source);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.[0]).toBe('csp.directives["script-src"][1]');
    expect(issues[0]?.[1]).toContain(`did you mean \`${fix}\`?`);
  });

  it.each(["https://cdn.example", "HTTPS://cdn.example", "https:", "data:", "wss://socket.example", "cdn.example/https//x", "blog/feed"])(
    "accepts %s",
    (source) => {
      expect(issuesFor(source)).toEqual([]);
    },
  );
});

const KNOWN = ["http", "https", "ws", "wss", "data", "blob"];
const host = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}\.(?:com|example|org)$/);

/** Every scheme one edit (insert, delete, substitute, swap) from a known one that is not itself known. */
const nearScheme = fc
  .tuple(fc.constantFrom(...KNOWN), fc.nat(), fc.constantFrom("insert", "delete", "substitute", "swap"), fc.constantFrom(..."abhpstwx"))
  .map(([scheme, at, edit, c]) => {
    const i = at % scheme.length;
    if (edit === "insert") return scheme.slice(0, i) + c + scheme.slice(i);
    if (edit === "delete") return scheme.slice(0, i) + scheme.slice(i + 1);
    if (edit === "substitute") return scheme.slice(0, i) + c + scheme.slice(i + 1);
    const j = Math.min(i + 1, scheme.length - 1);
    return scheme.slice(0, i) + (scheme[j] ?? "") + (scheme[i] ?? "") + scheme.slice(j + 1);
  })
  .filter((s) => /^[a-z][a-z0-9+.-]*$/.test(s) && !["http", "https", "ws", "wss", "data", "blob", "mediastream", "filesystem"].includes(s));

describe("property: scheme near misses", () => {
  it("refuses a scheme one edit from a known one, written as a URL, with a fix", () => {
    fc.assert(
      fc.property(nearScheme, host, (scheme, h) => {
        const problem = cspSourceProblem("sources", `${scheme}://${h}`);
        expect(problem).toMatch(/did you mean `[a-z]+:\/\/[^`]+`\?/);
        expect(problem).toContain(h);
      }),
      fuzzParameters(300),
    );
  });

  it("refuses a known scheme with its colon or a slash lost or doubled, naming the URL meant", () => {
    const broken = fc.constantFrom("//", ":/", ":", ":///", "///");
    fc.assert(
      fc.property(fc.constantFrom(...KNOWN), broken, host, (scheme, separator, h) => {
        expect(cspSourceProblem("sources", `${scheme}${separator}${h}`)).toContain(`did you mean \`${scheme}://${h}\`?`);
      }),
      fuzzParameters(300),
    );
  });

  it("accepts every well-formed source of a known scheme, and the scheme alone", () => {
    fc.assert(
      fc.property(fc.constantFrom(...KNOWN), host, (scheme, h) => {
        expect(cspSourceProblem("sources", `${scheme}://${h}`)).toBeUndefined();
        expect(cspSourceProblem("sources", `${scheme}:`)).toBeUndefined();
        expect(cspSourceProblem("sources", h)).toBeUndefined();
      }),
      fuzzParameters(300),
    );
  });
});
