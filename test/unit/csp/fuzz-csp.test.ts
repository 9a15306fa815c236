// Fuzzing CSP strings: parsing, the effectiveness test and source validation never throw or stall, agree with each other and with a browser, and a clean policy survives the compiler unchanged.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkHeaders, CHECKED_HEADERS, LEAK_HEADERS } from "../../../bin/support/check-headers.js";
import { compilePolicy } from "../../../src/core/policy/compile-policy.js";
import { CSP_DIRECTIVES, type DirectiveKind, type DirectiveValue } from "../../../src/core/csp/directives.js";
import { cspSourceProblem, parseCspString } from "../../../src/core/csp/parse-csp.js";
import { isEffectiveCsp } from "../../../src/core/csp/csp-restricts.js";
import { parseEnv } from "../../../src/core/policy/parse-env.js";
import { parsePolicy } from "../../../src/core/policy/parse-policy.js";
import { planHeaders } from "../../../src/core/policy/plan-headers.js";
import { binaryString, longString, TRICKY_CHARS, withInjection } from "../../fuzz-arbitraries.js";
import { fuzzParameters } from "../../fuzz-config.js";

const DIRECTIVE_NAMES = [...CSP_DIRECTIVES.keys()];
const KINDS: readonly DirectiveKind[] = ["sources", "ancestors", "flag", "sandbox", "uris", "token", "tokens"];

/** Valid sources for each kind of directive. */
const SOURCES: Readonly<Record<DirectiveKind, readonly [string, ...string[]]>> = {
  sources: [
    "'self'",
    "'none'",
    "https:",
    "data:",
    "blob:",
    "*",
    "*.example.com",
    "https://cdn.example.com:8443/a/b.js",
    "'unsafe-inline'",
    "'strict-dynamic'",
    "'sha256-AbC+/_-='",
    "'report-sample'",
    "example.com:*",
  ],
  ancestors: ["'self'", "'none'", "https:", "https://partner.example", "*.example.com"],
  flag: ["x"],
  sandbox: ["allow-scripts", "allow-forms", "allow-same-origin", "allow-popups"],
  uris: ["/csp-report", "https://r.example/x?y=1"],
  token: ["csp-endpoint", "main"],
  tokens: ["'script'", "default", "'allow-duplicates'", "policy-1"],
};

/** Soup of CSP-ish pieces: names in any case, sources of any kind, separators, whitespace of every sort. */
const piece = fc.oneof(
  fc.constantFrom(...DIRECTIVE_NAMES),
  fc.constantFrom(...DIRECTIVE_NAMES).map((n) => n.toUpperCase()),
  fc.constantFrom(...Object.values(SOURCES).flat()),
  fc.constantFrom(";", ",", " ", "  ", "\t", "\n", "\f", "\r\n", "'", "''", "'nonce-", "*", ":", "//", "self", "nonce-x", "'sha256-"),
  fc.constantFrom(...TRICKY_CHARS),
  binaryString(4),
);
const cspSoup = fc.array(piece, { maxLength: 24 }).map((parts) => parts.join(""));
const anyString = fc.oneof(
  { weight: 4, arbitrary: cspSoup },
  { weight: 1, arbitrary: binaryString(40) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 1, arbitrary: withInjection(cspSoup) },
);

/** A browser's reading (CSP3 §2.2.1): policies split at commas, directives at ";", names end at ASCII whitespace, ASCII lower case. */
function browserDirectiveNames(value: string): string[] {
  const ascii = /[\t\n\f\r ]+/;
  const names: string[] = [];
  for (const policy of value.split(",")) {
    for (const token of policy.split(";")) {
      const stripped = token.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, "");
      if (stripped === "") continue;
      const name = (stripped.split(ascii, 1)[0] ?? "").replace(/[A-Z]/g, (c) => c.toLowerCase());
      names.push(name);
    }
  }
  return names;
}

describe("parseCspString and isEffectiveCsp", () => {
  // Tokens split on ASCII whitespace only, as browsers do (CSP3 §2.2): a source may hold U+2028 or a
  // no-break space, but then it is reported as a problem, never passed on silently.
  it("never throw, and return known directives with non-empty sources free of ASCII whitespace", () => {
    fc.assert(
      fc.property(anyString, (value) => {
        const { directives, problems } = parseCspString(value);
        expect(typeof isEffectiveCsp(value)).toBe("boolean");
        for (const [name, sources] of directives) {
          const kind = CSP_DIRECTIVES.get(name);
          expect(kind).toBeDefined();
          if (kind === "flag") expect(sources).toBe(true);
          else if (sources !== true) {
            for (const s of sources) {
              expect(s).toMatch(/^[^\t\n\f\r ]+$/);
              if (/[^\x21-\x7e]/.test(s)) expect(problems.some((p) => p.received.includes(s))).toBe(true);
            }
          }
        }
        for (const p of problems) {
          expect(typeof p.directive).toBe("string");
          expect(p.message.length).toBeGreaterThan(0);
          expect(typeof p.received).toBe("string");
        }
      }),
      fuzzParameters(1000),
    );
  });

  it("agree: a value is effective exactly when it parses to at least one directive", () => {
    fc.assert(
      fc.property(anyString, (value) => {
        expect(isEffectiveCsp(value)).toBe(parseCspString(value).directives.size > 0);
      }),
      fuzzParameters(1000),
    );
  });

  it("call a value effective only when a browser finds a directive in it", () => {
    fc.assert(
      fc.property(anyString, (value) => {
        const browser = browserDirectiveNames(value).some((name) => CSP_DIRECTIVES.has(name));
        expect({ value, effective: isEffectiveCsp(value) }).toEqual({ value, effective: browser });
      }),
      fuzzParameters(1000),
    );
  });

  // Their time is bounded by construction: no regular expression here can backtrack catastrophically
  // (redos.test.ts, a ReDoS checker), and the parsing around them is a loop over tokens.
  it("handle huge values: never throw, and name what is wrong with a bad one", () => {
    const huge = fc.oneof(
      longString,
      fc
        .tuple(
          fc.constantFrom(";", ",", " ", "\t", "'", "a", "*.", "https://", "script-src ", "a.", "-"),
          fc.integer({ min: 10_000, max: 200_000 }),
        )
        .map(([p, n]) => p.repeat(n)),
      fc.integer({ min: 10_000, max: 100_000 }).map((n) => `https://${"a.".repeat(n)}!`),
    );
    fc.assert(
      fc.property(huge, (value) => {
        const { problems } = parseCspString(value);
        expect(typeof isEffectiveCsp(value)).toBe("boolean");
        // A value with whitespace, `;` or `,` in it is never one source.
        if (/[\s;,]/.test(value)) for (const kind of KINDS) expect(cspSourceProblem(kind, value)).toBeDefined();
        expect(Array.isArray(problems)).toBe(true);
      }),
      fuzzParameters(30, 300),
    );
  });
});

describe("cspSourceProblem", () => {
  it("never throws, and never accepts a source that would break the header or the directive", () => {
    fc.assert(
      fc.property(fc.constantFrom(...KINDS), anyString, (kind, source) => {
        const problem = cspSourceProblem(kind, source);
        if (problem === undefined) expect(source).toMatch(/^[\x21-\x7e]+$/);
        if (problem === undefined) expect(source).not.toMatch(/[;,]/);
        else expect(problem.length).toBeGreaterThan(0);
      }),
      fuzzParameters(1000),
    );
  });
});

/** A well-formed policy string: known directives with mostly valid sources, any case, any ASCII spacing. */
const directiveEntry: fc.Arbitrary<[string, string[]]> = fc.constantFrom(...DIRECTIVE_NAMES).chain((name) => {
  const kind = CSP_DIRECTIVES.get(name) ?? "sources";
  if (kind === "flag") return fc.constant<[string, string[]]>([name, []]);
  const max = kind === "token" ? 1 : 3;
  return fc
    .uniqueArray(fc.constantFrom(...SOURCES[kind]), { minLength: kind === "sandbox" ? 0 : 1, maxLength: max })
    .map((s): [string, string[]] => [name, s]);
});
const wellFormed = fc
  .tuple(
    fc.uniqueArray(directiveEntry, { selector: ([n]) => n, minLength: 1, maxLength: 6 }),
    fc.constantFrom(" ", "  ", "\t"),
    fc.constantFrom(";", "; ", " ;", ";;"),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([entries, space, separator, upper, trailing]) => {
    const text = entries.map(([name, sources]) => [upper ? name.toUpperCase() : name, ...sources].join(space)).join(separator);
    return trailing ? `${text};` : text;
  });

function asObject(directives: ReadonlyMap<string, DirectiveValue>): Record<string, true | string[]> {
  return Object.fromEntries([...directives].map(([k, v]) => [k, v === true ? true : [...v]]));
}

function renderedCsp(document: unknown, reportPath: string | undefined): string {
  const parsed = parsePolicy(document);
  if (!parsed.ok) throw new Error(`rejected: ${JSON.stringify(parsed.issues)}`);
  const { policy, rejected } = compilePolicy([{ from: "KV", document: parsed.value }], { reportOnly: false, reportPath });
  expect(rejected).toEqual([]);
  const op = planHeaders(policy, { https: true, path: "/", contentType: "text/html" }).ops.find((o) => o.key === "content-security-policy");
  if (op === undefined || op.kind === "remove" || op.kind === "cookies") throw new Error("no CSP op");
  return op.value;
}

describe("a policy parsed without problems", () => {
  it("is accepted as a policy document: the two validators agree", () => {
    fc.assert(
      fc.property(wellFormed, (text) => {
        const { directives, problems } = parseCspString(text);
        if (problems.length > 0) return;
        const result = parsePolicy({ csp: { action: "set", replace: true, directives: asObject(directives) } });
        expect({ text, issues: result.ok ? [] : result.issues }).toEqual({ text, issues: [] });
      }),
      fuzzParameters(500),
    );
  });

  it("renders back through the compiler to the same directives, when accepted", () => {
    fc.assert(
      fc.property(wellFormed, (text) => {
        const { directives, problems } = parseCspString(text);
        const document = { csp: { action: "set", replace: true, directives: asObject(directives) } };
        if (problems.length > 0 || !parsePolicy(document).ok) return;
        const back = parseCspString(renderedCsp(document, undefined));
        expect(back.problems).toEqual([]);
        expect(asObject(back.directives)).toEqual(asObject(directives));
      }),
      fuzzParameters(500),
    );
  });

  it("keeps its directives, plus only report-uri and report-to, under any REPORT_PATH the environment accepts", () => {
    const reportPath = fc.string({ unit: fc.constantFrom(..."abz09._~!$&'()*+,;=:@/-"), minLength: 1, maxLength: 12 }).map((p) => `/${p}`);
    fc.assert(
      fc.property(fc.constantFrom("default-src 'self'", "script-src 'self'; img-src *"), reportPath, (text, path) => {
        const { reports } = parseEnv({ REPORTS_ENABLED: "true", REPORT_PATH: path }).config;
        if (reports.path !== path) return;
        const { directives } = parseCspString(text);
        // Compared as directives: a browser reads the value this way (a stricter source check, as for `'`, is not the point).
        const back = parseCspString(renderedCsp({ csp: { action: "set", replace: true, directives: asObject(directives) } }, reports.path));
        expect({ path, directives: asObject(back.directives) }).toEqual({
          path,
          directives: { ...asObject(directives), "report-uri": [path], "report-to": ["csp-endpoint"] },
        });
      }),
      fuzzParameters(300),
    );
  });
});

describe("checkHeaders on a live site's header lines", () => {
  const names = fc.constantFrom(...CHECKED_HEADERS.map((h) => h.name), ...LEAK_HEADERS, "content-security-policy", "Server", "X-Other");
  const values = fc.oneof(
    anyString,
    fc.constantFrom("max-age=31536000; includeSubDomains", "max-age=-1", "DENY", "nosniff", "nginx/1.25.3", ""),
    longString,
  );

  it("never throws on any lines, repeated or odd, and reports every checked header once", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(names, values), { maxLength: 12 }),
        fc.boolean(),
        fc.integer({ min: 100, max: 599 }),
        (lines, https, status) => {
          const check = checkHeaders(lines.flat(), { https, status });
          expect(check.headers.map((h) => h.name)).toEqual(CHECKED_HEADERS.map((h) => h.name));
          expect(check.defects).toBeGreaterThanOrEqual(0);
        },
      ),
      fuzzParameters(500),
    );
  });
});
