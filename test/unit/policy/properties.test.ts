// Property tests (fast-check, fixed seed, bounded runs): validation never throws, and no compiled policy
// ever emits CR/LF/NUL, an owned header twice, or HSTS over http, whatever documents and origins it meets.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyHeaders } from "../../../src/core/headers/apply-headers.js";
import { compilePolicy } from "../../../src/core/policy/compile-policy.js";
import { headerValueProblem } from "../../../src/core/headers/known-headers.js";
import { parsePolicy } from "../../../src/core/policy/parse-policy.js";
import { planHeaders } from "../../../src/core/policy/plan-headers.js";

const RUNS = { seed: 20261125, numRuns: 400 };

const headerName = fc.constantFrom(
  "X-Frame-Options",
  "x-frame-options",
  "Referrer-Policy",
  "Permissions-Policy",
  "Cache-Control",
  "X-Custom",
  "Set-Cookie",
  "Strict-Transport-Security",
  "Content-Security-Policy",
  "Bad Name",
);
const headerValue = fc.oneof(
  fc.constantFrom("DENY", "SAMEORIGIN", "ALLOWALL", "no-referrer", "geolocation=(), camera=()", "no-store", "nosniff"),
  fc.string({ maxLength: 12 }),
  fc.string({ maxLength: 6 }).map((s) => `${s}\r\nSet-Cookie: injected=1`),
  fc.string({ maxLength: 6 }).map((s) => `${s}\u0000`),
);
const action = fc.constantFrom("set", "default", "append", "remove", "bogus");
const entry = fc.oneof(headerValue, fc.record({ value: headerValue, action }, { requiredKeys: [] }), fc.constant(null), fc.integer());
const directive = fc.constantFrom(
  "default-src",
  "script-src",
  "img-src",
  "frame-ancestors",
  "upgrade-insecure-requests",
  "sandbox",
  "scripts-src",
);
const source = fc.oneof(
  fc.constantFrom(
    "'self'",
    "'none'",
    "https:",
    "data:",
    "*.example.com",
    "https://cdn.example.com",
    "self",
    "'nonce-abc'",
    "a;b",
    "a,b",
    "allow-scripts",
  ),
  fc.string({ maxLength: 8 }),
);
const directives = fc.dictionary(directive, fc.oneof(fc.array(source, { maxLength: 4 }), fc.constant(true)), { maxKeys: 4 });
const csp = fc.oneof(
  fc.constant(false),
  fc.record(
    {
      action: fc.constantFrom("set", "default", "append"),
      replace: fc.boolean(),
      directives,
      add: fc.dictionary(directive, fc.array(source, { maxLength: 3 }), { maxKeys: 2 }),
      remove: fc.array(directive, { maxLength: 2 }),
    },
    { requiredKeys: [] },
  ),
);
const hsts = fc.oneof(
  fc.constant(false),
  fc.record(
    {
      action: fc.constantFrom("set", "default"),
      maxAge: fc.oneof(fc.integer({ min: -5, max: 100_000_000 }), fc.double()),
      includeSubDomains: fc.boolean(),
      preload: fc.boolean(),
    },
    { requiredKeys: [] },
  ),
);
const layerFields = {
  headers: fc.dictionary(headerName, entry, { maxKeys: 5 }),
  remove: fc.array(headerName, { maxLength: 3 }),
  csp,
  cspReportOnly: csp,
  hsts,
};
const rule = fc.record(
  {
    path: fc.constantFrom("/", "/*", "/a/*", "/a/:id", "/a/b", "/assets/*.js", "no-slash", "/x?y"),
    contentType: fc.constantFrom(["text/html"], ["application/json"], ["text/*"], ["Text/HTML"]),
    ...layerFields,
  },
  { requiredKeys: ["path"] },
);
/** Documents shaped like policies, with good and bad values mixed, so validation is exercised deeply. */
const policyLike = fc.record({ ...layerFields, rules: fc.array(rule, { maxLength: 4 }) }, { requiredKeys: [] });

/** Documents built from valid parts only, so most validate and the compile properties see real plans. */
const goodEntry = fc.constantFrom<[string, unknown]>(
  ["X-Frame-Options", "SAMEORIGIN"],
  ["X-Frame-Options", { action: "set" }],
  ["Referrer-Policy", { value: "no-referrer", action: "set" }],
  ["Permissions-Policy", { value: "payment=(), usb=()", action: "append" }],
  ["Cache-Control", { value: "no-store", action: "append" }],
  ["X-Custom", "1"],
  ["X-Powered-By", null],
  ["Server", { action: "remove" }],
);
const goodSource = fc.constantFrom("'self'", "https:", "data:", "https://cdn.example.com", "*.example.com");
const goodDirectives = fc.dictionary(
  fc.constantFrom("script-src", "img-src", "style-src", "connect-src"),
  fc.uniqueArray(goodSource, { minLength: 1, maxLength: 3 }),
  { maxKeys: 3 },
);
const goodCsp = fc.oneof(
  fc.constant(false),
  fc.record(
    {
      action: fc.constantFrom("set", "default"),
      replace: fc.boolean(),
      directives: goodDirectives.map((d) => ({ "default-src": ["'self'"], ...d, "upgrade-insecure-requests": true })),
      add: goodDirectives,
      remove: fc.uniqueArray(fc.constantFrom("base-uri", "object-src"), { maxLength: 2 }),
    },
    { requiredKeys: [] },
  ),
);
const goodLayerFields = {
  headers: fc.uniqueArray(goodEntry, { selector: ([name]) => name, maxLength: 4 }).map((pairs) => Object.fromEntries(pairs)),
  csp: goodCsp,
  cspReportOnly: goodCsp,
  hsts: fc.oneof(
    fc.constant(false),
    fc.record(
      { maxAge: fc.integer({ min: 0, max: 100_000_000 }), includeSubDomains: fc.boolean(), preload: fc.boolean() },
      { requiredKeys: [] },
    ),
  ),
  nonce: fc.oneof(
    fc.constant(false),
    fc.record(
      { scripts: fc.constant(true), styles: fc.boolean(), mode: fc.constantFrom("marked", "blanket"), strictDynamic: fc.boolean() },
      { requiredKeys: [] },
    ),
  ),
};
const policyValid = fc.record(
  {
    ...goodLayerFields,
    rules: fc.array(
      fc.record(
        {
          path: fc.constantFrom("/", "/*", "/a/*", "/a/:id", "/a/b", "/assets/*.js"),
          contentType: fc.constantFrom(["text/html"], ["text/*"], ["application/json"]),
          ...goodLayerFields,
        },
        { requiredKeys: ["path"] },
      ),
      { maxLength: 4 },
    ),
  },
  { requiredKeys: [] },
);

const PATHS = ["/", "/a/b", "/a/1", "/assets/x.js", "/other"];
const CONTENT_TYPES = ["text/html; charset=utf-8", "application/json", null];
const originHeaders = fc.array(
  fc.tuple(
    headerName.filter((n) => n !== "Bad Name"),
    fc.constantFrom("DENY", "SAMEORIGIN", "max-age=5", "nonsense", "geolocation=(self)", "default-src *"),
  ),
  { maxLength: 6 },
);

describe("validation", () => {
  it("never throws on any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = parsePolicy(value);
        expect(typeof result.ok).toBe("boolean");
      }),
      RUNS,
    );
  });

  it("never throws on policy-shaped documents, and every issue says where and what", () => {
    fc.assert(
      fc.property(policyLike, (document) => {
        const result = parsePolicy(document);
        if (result.ok) return;
        expect(result.issues.length).toBeGreaterThan(0);
        for (const issue of result.issues) {
          expect(typeof issue.path).toBe("string");
          expect(issue.message.length).toBeGreaterThan(0);
        }
      }),
      RUNS,
    );
  });

  it("never accepts a value that would put CR, LF or NUL in a header", () => {
    fc.assert(
      fc.property(policyLike, (document) => {
        if (!parsePolicy(document).ok) return;
        expect(JSON.stringify(document)).not.toMatch(/\\[rn]|\\u0000/);
      }),
      RUNS,
    );
  });
});

describe("the document generator", () => {
  it("produces valid documents often enough for the compile properties to mean something", () => {
    const sample = fc.sample(policyValid, { seed: RUNS.seed, numRuns: 400 });
    const valid = sample.filter((d) => parsePolicy(d).ok).length;
    expect(valid).toBeGreaterThanOrEqual(300);
  });
});

describe("compiled policies", () => {
  it("never emit CR/LF, an owned header twice, or HSTS over http", () => {
    fc.assert(
      fc.property(fc.oneof(policyValid, policyLike), fc.boolean(), originHeaders, (document, reportOnly, origin) => {
        const parsed = parsePolicy(document);
        if (!parsed.ok) return;
        const { policy } = compilePolicy([{ from: "KV", document: parsed.value }], { reportOnly });
        for (const path of PATHS) {
          for (const contentType of CONTENT_TYPES) {
            for (const https of [true, false]) {
              const plan = planHeaders(policy, { https, path, contentType });
              const names = plan.ops.map((op) => op.name.toLowerCase());
              expect(new Set(names).size).toBe(names.length);
              for (const op of plan.ops)
                if (op.kind !== "remove" && op.kind !== "cookies") expect(headerValueProblem(op.value)).toBeUndefined();
              const headers = new Headers(origin);
              applyHeaders(headers, plan.ops);
              if (plan.nonce !== null) {
                const stamped = new Headers(origin);
                applyHeaders(stamped, plan.nonce.ops, "bm9uY2Vub25jZW5vbmNlMQ==");
                for (const [, value] of stamped) expect(value).not.toMatch(/[\r\n\0]/);
                if (!https) expect(stamped.has("strict-transport-security")).toBe(false);
              }
              const lines = [...headers];
              for (const [, value] of lines) expect(value).not.toMatch(/[\r\n\0]/);
              // Set-Cookie lines stay apart (the cookies op hardens each one): every other owned header is one line.
              for (const name of names) if (name !== "set-cookie") expect(lines.filter(([k]) => k === name).length).toBeLessThanOrEqual(1);
              if (!https) expect(headers.has("strict-transport-security")).toBe(false);
              if (reportOnly) expect(names).not.toContain("content-security-policy");
            }
          }
        }
      }),
      { ...RUNS, numRuns: 200 },
    );
  });
});
