// Fuzzing policy documents and rules: validation never throws, every issue's path walks into the input, and nothing accepted or compiled can put CR, LF, NUL or non-ASCII in a header.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyHeaders } from "../../../src/core/headers/apply-headers.js";
import { compilePolicy } from "../../../src/core/policy/compile-policy.js";
import { importHeadersFile } from "../../../bin/support/import-headers-file.js";
import { isHeaderName } from "../../../src/core/headers/known-headers.js";
import { parseEnv } from "../../../src/core/policy/parse-env.js";
import { parsePolicy, parsePolicyJson } from "../../../src/core/policy/parse-policy.js";
import { planHeaders } from "../../../src/core/policy/plan-headers.js";
import type { HeaderOp } from "../../../src/core/policy/types.js";
import type { PolicyIssue } from "../../../src/core/shared/result.js";
import { anyCodePoint, binaryString, longString, requestTail, trickyString, withInjection } from "../../fuzz-arbitraries.js";
import { fuzzParameters } from "../../fuzz-config.js";

/** What a header value may hold: printable ASCII and tab (headerValueProblem refuses the rest). */
const CLEAN = /^[\t\x20-\x7e]*$/;
const NONCE = "bm9uY2Vub25jZW5vbmNlMQ==";

// ---------------------------------------------------------------------------------------------------------
// Generators: policy-shaped documents whose every string may be valid, nearly valid, hostile or huge.

/** Policy-shaped documents: every field optional, every value possibly bad; `w` sets how often a string is valid. */
function policyShapedWith(w: number): fc.Arbitrary<unknown> {
  const headerName = fc.oneof(
    {
      weight: 2 * w,
      arbitrary: fc.constantFrom(
        "X-Frame-Options",
        "x-frame-options",
        "Referrer-Policy",
        "Permissions-Policy",
        "Cache-Control",
        "X-Custom",
        "Cross-Origin-Opener-Policy",
        "X-Powered-By",
        "Server",
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "Set-Cookie",
        "Strict-Transport-Security",
        "Content-Security-Policy",
        "constructor",
        "__proto__",
        "prototype",
        "toString",
        "X-Ünicode",
        "Bad Name",
        "",
      ),
    },
    { weight: 1, arbitrary: withInjection(fc.constantFrom("X-Custom", "Referrer-Policy")) },
  );
  const action = fc.oneof(
    { weight: w, arbitrary: fc.constantFrom("set", "default") },
    { weight: 1, arbitrary: fc.constantFrom("append", "remove", "Set", "bogus") },
  );
  const entryFor = (value: fc.Arbitrary<string>): fc.Arbitrary<unknown> =>
    fc.oneof(
      { weight: w, arbitrary: value },
      { weight: w, arbitrary: fc.record({ value, action }, { requiredKeys: [] }) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 1, true, [], ["DENY"], { action: "remove" }) },
    );
  /** A header with a value of its own kind, mostly; any name with any value sometimes. */
  const header: fc.Arbitrary<[string, unknown]> = fc.oneof(
    {
      weight: w,
      arbitrary: fc.tuple(fc.constantFrom("X-Frame-Options", "x-frame-options"), entryFor(trickyString(["DENY", "SAMEORIGIN"], w))),
    },
    {
      weight: w,
      arbitrary: fc.tuple(fc.constant("Referrer-Policy"), entryFor(trickyString(["no-referrer", "strict-origin-when-cross-origin"], w))),
    },
    {
      weight: w,
      arbitrary: fc.tuple(fc.constant("Permissions-Policy"), entryFor(trickyString(["geolocation=(), camera=()", "usb=(self)"], w))),
    },
    { weight: w, arbitrary: fc.tuple(fc.constant("Cross-Origin-Opener-Policy"), entryFor(trickyString(["same-origin"], w))) },
    {
      weight: w,
      arbitrary: fc.tuple(
        fc.constantFrom("X-Custom", "Cache-Control"),
        entryFor(trickyString(["no-store", "max-age=600", "1", "a\tb", "x, y"], w)),
      ),
    },
    { weight: 2, arbitrary: fc.tuple(headerName, entryFor(trickyString(["DENY", "nosniff", "1"], w))) },
  );
  const headers = fc
    .uniqueArray(header, { selector: ([name]) => name.toLowerCase(), maxLength: 3 })
    .map((pairs) => Object.fromEntries(pairs));

  const directiveName = fc.oneof(
    {
      weight: 2 * w,
      arbitrary: fc.constantFrom(
        "default-src",
        "script-src",
        "style-src",
        "img-src",
        "frame-ancestors",
        "sandbox",
        "report-uri",
        "report-to",
        "trusted-types",
        "upgrade-insecure-requests",
      ),
    },
    { weight: 1, arbitrary: fc.constantFrom("Script-Src", "scripts-src", "constructor", "__proto__", "prototype", "") },
    { weight: 1, arbitrary: withInjection(fc.constantFrom("script-src")) },
  );
  const sourceList = (valid: readonly [string, ...string[]]) => fc.uniqueArray(trickyString(valid, w), { minLength: 1, maxLength: 3 });
  const fetchSource = fc.oneof(
    {
      weight: w,
      arbitrary: trickyString(
        [
          "'self'",
          "https:",
          "data:",
          "*.example.com",
          "https://cdn.example.com/a/b",
          "'sha256-abc='",
          "'unsafe-inline'",
          "'strict-dynamic'",
        ],
        w,
      ),
    },
    { weight: 1, arbitrary: fc.constantFrom("self", "'nonce-abc'", "a;b", "a,b", "*.exämple.com") },
  );
  const fetchSources = fc.uniqueArray(fetchSource, { minLength: 1, maxLength: 3 });
  /** A directive with sources of its own kind, mostly; a bad name or a value of the wrong shape sometimes. */
  const directive: fc.Arbitrary<[string, unknown]> = fc.oneof(
    { weight: w, arbitrary: fc.tuple(fc.constantFrom("default-src", "script-src", "style-src", "img-src", "connect-src"), fetchSources) },
    { weight: w, arbitrary: fc.tuple(fc.constant("frame-ancestors"), sourceList(["'self'", "https://partner.example", "https:"])) },
    { weight: w, arbitrary: fc.tuple(fc.constant("sandbox"), sourceList(["allow-scripts", "allow-forms", "allow-popups"])) },
    { weight: w, arbitrary: fc.tuple(fc.constant("report-uri"), sourceList(["/csp-report", "https://r.example/x"])) },
    {
      weight: w,
      arbitrary: fc.tuple(
        fc.constant("report-to"),
        trickyString(["csp-endpoint", "main"], w).map((t) => [t]),
      ),
    },
    {
      weight: w,
      arbitrary: fc.tuple(
        fc.constantFrom("trusted-types", "require-trusted-types-for"),
        sourceList(["default", "'script'", "'allow-duplicates'"]),
      ),
    },
    { weight: w, arbitrary: fc.tuple(fc.constant("upgrade-insecure-requests"), fc.constant<unknown>(true)) },
    {
      weight: 2,
      arbitrary: fc.tuple(directiveName, fc.oneof(fetchSources, fc.constantFrom<unknown>(true, [], "'self'", ["'none'", "'self'"]))),
    },
  );
  const directives = fc.uniqueArray(directive, { selector: ([name]) => name, maxLength: 3 }).map((pairs) => Object.fromEntries(pairs));
  const additions = fc
    .uniqueArray(fc.tuple(fc.constantFrom("script-src", "img-src", "style-src"), fetchSources), {
      selector: ([name]) => name,
      maxLength: 2,
    })
    .map((pairs) => Object.fromEntries(pairs));
  const csp = fc.oneof(
    { weight: 1, arbitrary: fc.constant<unknown>(false) },
    {
      weight: 5,
      arbitrary: fc.record(
        {
          action: fc.oneof({ weight: w, arbitrary: fc.constantFrom("set", "default") }, { weight: 1, arbitrary: fc.constant("append") }),
          replace: fc.boolean(),
          directives,
          add: additions,
          remove: fc.uniqueArray(directiveName, { maxLength: 2 }),
        },
        { requiredKeys: [] },
      ),
    },
  );
  const hsts = fc.oneof(
    fc.constant<unknown>(false),
    fc.record(
      {
        action: fc.constantFrom("set", "default"),
        maxAge: fc.oneof(
          { weight: w, arbitrary: fc.integer({ min: 0, max: 2 ** 31 - 1 }) },
          { weight: 1, arbitrary: fc.constantFrom(-1, 0.5, 2 ** 31, 1e21, Number.MAX_SAFE_INTEGER) },
        ),
        includeSubDomains: fc.boolean(),
        preload: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
  );
  // Markers are drawn, not written down: a marker in a test file would be a published one.
  const drawnMarker = fc.string({
    unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"),
    minLength: 22,
    maxLength: 40,
  });
  const nonce = fc.oneof(
    fc.constant<unknown>(false),
    fc.record(
      {
        scripts: fc.boolean(),
        styles: fc.boolean(),
        mode: fc.oneof({ weight: w, arbitrary: fc.constantFrom("marked", "blanket") }, { weight: 1, arbitrary: fc.constant("Blanket") }),
        strictDynamic: fc.boolean(),
        marker: fc.oneof(
          { weight: w, arbitrary: drawnMarker },
          { weight: 1, arbitrary: trickyString(["__CSP_NONCE__", "abcdefgh", "Zq7-secret-marker"], 1) },
        ),
      },
      { requiredKeys: [] },
    ),
  );
  const layerFields = { headers, remove: fc.array(headerName, { maxLength: 2 }), csp, cspReportOnly: csp, hsts, nonce };
  const rule = fc.record(
    {
      path: trickyString(["/", "/*", "/a/*", "/a/:id", "/é/*", "/assets/*.js", "/a%2Fb", "/a/b/"], w),
      description: trickyString(["why"], w),
      contentType: fc.oneof(
        {
          weight: w,
          arbitrary: fc.uniqueArray(trickyString(["text/html", "text/*", "application/json"], w), { minLength: 1, maxLength: 2 }),
        },
        { weight: 1, arbitrary: fc.constantFrom<unknown>([], "text/html") },
      ),
      ...layerFields,
    },
    { requiredKeys: ["path"] },
  );
  return fc.record(
    { $schema: trickyString(["./policy.schema.json"], w), ...layerFields, rules: fc.array(rule, { maxLength: 3 }) },
    { requiredKeys: [] },
  );
}
const headerName = fc.oneof(
  fc.constantFrom("X-Frame-Options", "Referrer-Policy", "X-Custom"),
  fc.constantFrom("Set-Cookie", "Strict-Transport-Security", "constructor", "__proto__", "prototype", "X-Ünicode", "Bad Name", ""),
);

/** A valid document to mutate: every part of it is accepted on its own. */
const validDocument: fc.Arbitrary<unknown> = fc.record(
  {
    headers: fc.constantFrom<unknown>(
      { "X-Frame-Options": "SAMEORIGIN" },
      { "X-Custom": { value: "1", action: "set" }, Server: { action: "remove" } },
      { "Permissions-Policy": { value: "usb=()", action: "append" } },
    ),
    remove: fc.constantFrom<unknown>(["X-Powered-By"], []),
    csp: fc.constantFrom<unknown>(
      { action: "set", directives: { "default-src": ["'self'"], "img-src": ["https:", "data:"], "upgrade-insecure-requests": true } },
      { add: { "script-src": ["https://cdn.example.com"] }, remove: ["base-uri"] },
      false,
    ),
    cspReportOnly: fc.constantFrom<unknown>({ replace: true, directives: { "script-src": ["'none'"], sandbox: ["allow-scripts"] } }),
    hsts: fc.constantFrom<unknown>({ maxAge: 600 }, { maxAge: 63072000, includeSubDomains: true, preload: true }, false),
    nonce: fc.constantFrom<unknown>({ mode: "blanket", styles: true }, { strictDynamic: true, marker: "abcdefgh" }, false),
    rules: fc.constantFrom<unknown>(
      [{ path: "/embed/*", headers: { "X-Frame-Options": null }, csp: { directives: { "frame-ancestors": ["https://partner.example"] } } }],
      [
        { path: "/a/:id", contentType: ["text/html"], nonce: false },
        { path: "/assets/*.js", headers: { "Cache-Control": { value: "max-age=60", action: "set" } } },
      ],
    ),
  },
  { requiredKeys: [] },
);

type Step = string | number;

/** Every place in a JSON value where a value sits, as paths of steps. */
function slots(value: unknown, at: Step[] = [], out: Step[][] = []): Step[][] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((item, i) => slots(item, [...at, i], out));
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) slots(v, [...at, k], out);
  return out;
}

function setAt(root: unknown, path: readonly Step[], value: unknown): unknown {
  const [first, ...rest] = path;
  if (first === undefined) return value;
  if (Array.isArray(root)) return root.map((item, i) => (i === first ? setAt(item, rest, value) : item));
  if (root !== null && typeof root === "object") return { ...root, [first]: setAt((root as Record<string, unknown>)[first], rest, value) };
  return root;
}

const mutation = fc.oneof(
  fc.jsonValue({ maxDepth: 2, stringUnit: anyCodePoint }),
  trickyString(["x"]),
  fc.constantFrom<unknown>(null, {}, [], 0, -1, true, "", "\r\n", { __proto__: null }, [[[]]]),
);
/** A valid document with one value somewhere replaced by something else, or one key renamed: a single, deep fault. */
const mutated: fc.Arbitrary<unknown> = fc
  .tuple(validDocument, fc.nat(), mutation, fc.boolean(), headerName)
  .map(([document, pick, value, rename, key]) => {
    const places = slots(document);
    const path = places[pick % places.length] ?? [];
    if (!rename || path.length === 0) return setAt(document, path, value);
    // Rename the key at this place: the value stays, under a name that may be hostile or unknown.
    const parentPath = path.slice(0, -1);
    const last = path.at(-1);
    const parent = parentPath.reduce<unknown>((v, step) => (v as Record<Step, unknown>)[step], document);
    if (parent === null || typeof parent !== "object" || Array.isArray(parent) || typeof last !== "string")
      return setAt(document, path, value);
    const renamed = Object.fromEntries(Object.entries(parent).map(([k, v]) => (k === last ? [key, v] : [k, v])));
    return setAt(document, parentPath, renamed);
  });

const policyShaped = fc.oneof(policyShapedWith(4), policyShapedWith(400));
const anyDocument = fc.oneof(
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4, stringUnit: anyCodePoint }) },
  { weight: 2, arbitrary: policyShapedWith(4) },
  { weight: 4, arbitrary: policyShapedWith(400) },
  { weight: 3, arbitrary: mutated },
);

// ---------------------------------------------------------------------------------------------------------
// Oracles.

/** The steps of an issue path as joinPath writes them (`rules[2].headers["X-A"].value`), or null if it does not parse. */
function parseIssuePath(path: string): Step[] | null {
  const steps: Step[] = [];
  const first = /^[A-Za-z_$][\w$]*/.exec(path);
  let i = 0;
  if (first !== null) {
    steps.push(first[0]);
    i = first[0].length;
  }
  const next = /\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  while (i < path.length) {
    next.lastIndex = i;
    const m = next.exec(path);
    if (m === null) return null;
    if (m[1] !== undefined) steps.push(m[1]);
    else if (m[2] !== undefined) steps.push(Number(m[2]));
    else if (m[3] !== undefined) steps.push(JSON.parse(m[3]) as string);
    i = next.lastIndex;
  }
  return steps;
}

const MISSING_FIELD = /^the required field|^a value: no lower layer|^a max-age in seconds: no lower layer/;

/**
 * Where an issue's path leads in the input: every step but the last must exist (an array index into an
 * array, a key into an object); the last must exist too, unless the issue is that it is missing.
 */
function walkProblem(input: unknown, issue: PolicyIssue): string | undefined {
  const steps = parseIssuePath(issue.path);
  if (steps === null) return `unparseable path ${JSON.stringify(issue.path)}`;
  let at: unknown = input;
  for (const [i, step] of steps.entries()) {
    const last = i === steps.length - 1;
    if (typeof step === "number") {
      if (!Array.isArray(at)) return `step ${i} (${step}) indexes a non-array`;
      if (step >= at.length) return last && MISSING_FIELD.test(issue.message) ? undefined : `step ${i} (${step}) is past the end`;
      at = at[step];
    } else {
      if (at === null || typeof at !== "object" || Array.isArray(at)) return `step ${i} (${JSON.stringify(step)}) keys a non-object`;
      if (!Object.hasOwn(at, step))
        return last && MISSING_FIELD.test(issue.message) ? undefined : `step ${i} (${JSON.stringify(step)}) is not in the input`;
      at = (at as Record<string, unknown>)[step];
    }
  }
  return undefined;
}

function expectIssuesWalk(input: unknown, issues: readonly PolicyIssue[]): void {
  expect(issues.length).toBeGreaterThan(0);
  for (const issue of issues) {
    expect(typeof issue.path).toBe("string");
    expect(typeof issue.message).toBe("string");
    expect(issue.message.length).toBeGreaterThan(0);
    expect(typeof issue.received).toBe("string");
    expect(issue.received.length).toBeLessThanOrEqual(80);
    expect({ issue, problem: walkProblem(input, issue) }).toEqual({ issue, problem: undefined });
  }
}

/** Every string of an accepted document that is written into a header: names, values, CSP sources and directive names. */
function headerStrings(document: unknown): string[] {
  const out: string[] = [];
  const layer = (value: unknown): void => {
    if (value === null || typeof value !== "object") return;
    const l = value as Record<string, unknown>;
    for (const [name, entry] of Object.entries((l.headers ?? {}) as Record<string, unknown>)) {
      out.push(name);
      if (typeof entry === "string") out.push(entry);
      else if (entry !== null && typeof entry === "object" && typeof (entry as { value?: unknown }).value === "string")
        out.push((entry as { value: string }).value);
    }
    for (const name of (l.remove ?? []) as string[]) out.push(name);
    for (const field of [l.csp, l.cspReportOnly]) {
      if (field === null || typeof field !== "object") continue;
      const c = field as { directives?: Record<string, unknown>; add?: Record<string, unknown>; remove?: string[] };
      for (const map of [c.directives ?? {}, c.add ?? {}]) {
        for (const [name, sources] of Object.entries(map)) {
          out.push(name);
          if (Array.isArray(sources)) out.push(...(sources as string[]));
        }
      }
      out.push(...(c.remove ?? []));
    }
  };
  layer(document);
  for (const rule of (document as { rules?: unknown[] }).rules ?? []) layer(rule);
  return out;
}

function expectCleanOp(op: HeaderOp): void {
  expect(isHeaderName(op.name)).toBe(true);
  if (op.kind === "remove" || op.kind === "cookies") return;
  const values = op.kind === "append" ? [op.value, ...op.items] : op.parts === undefined ? [op.value] : [op.parts.join(NONCE)];
  for (const value of values) expect({ name: op.name, value, clean: CLEAN.test(value) }).toEqual({ name: op.name, value, clean: true });
}

// ---------------------------------------------------------------------------------------------------------

describe("the generators", () => {
  it("produce accepted documents often enough for the acceptance properties to mean something", () => {
    const sample = fc.sample(anyDocument, { seed: 7, numRuns: 1000 });
    const accepted = sample.filter((d) => parsePolicy(d).ok).length;
    expect(accepted).toBeGreaterThan(150);
    expect(accepted).toBeLessThan(900);
  });
});

describe("validation of any document", () => {
  it("never throws, and every issue has a path that leads into the input, a message and a short received value", () => {
    fc.assert(
      fc.property(anyDocument, (document) => {
        const result = parsePolicy(document);
        if (!result.ok) expectIssuesWalk(document, result.issues);
      }),
      fuzzParameters(800),
    );
  });

  it("never throws on JSON text cut anywhere, and names the root for a syntax error", () => {
    fc.assert(
      fc.property(fc.oneof(policyShaped, mutated), fc.nat(), (document, cut) => {
        const text = JSON.stringify(document);
        const piece = text.slice(0, cut % (text.length + 1));
        const result = parsePolicyJson(piece);
        if (result.ok) return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(piece);
        } catch {
          expect(result.issues.map((i) => i.path)).toEqual([""]);
          return;
        }
        expectIssuesWalk(parsed, result.issues);
      }),
      fuzzParameters(400),
    );
  });

  it("accepts only documents whose every header-bound string is printable ASCII", () => {
    fc.assert(
      fc.property(anyDocument, (document) => {
        if (!parsePolicy(document).ok) return;
        for (const text of headerStrings(document)) expect({ text, clean: CLEAN.test(text) }).toEqual({ text, clean: true });
      }),
      fuzzParameters(800),
    );
  });

  it("never silently drops a field: an accepted document is returned as it was given", () => {
    fc.assert(
      fc.property(anyDocument, (document) => {
        const result = parsePolicy(document);
        if (result.ok) expect(result.value).toEqual(document);
      }),
      fuzzParameters(800),
    );
  });
});

describe("compiled policies", () => {
  // Found by the property below with more runs: a rule that conflicts with a field it inherits is named by that field.
  it.each([
    [{ hsts: { preload: true }, rules: [{ path: "/", hsts: { includeSubDomains: false } }] }],
    [{ nonce: { strictDynamic: true }, rules: [{ path: "/", nonce: { scripts: false, styles: true } }] }],
  ])("names a field the rule has when it conflicts with a lower layer: %j", (document) => {
    const parsed = parsePolicy(document);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const { rejected } = compilePolicy([{ from: "KV", document: parsed.value }], { reportOnly: false });
    expect(rejected).toHaveLength(1);
    for (const r of rejected) expectIssuesWalk(document, r.issues);
  });

  const contentType = fc.oneof(
    fc.constantFrom("text/html; charset=utf-8", "TEXT/HTML", "application/json", "text/plain", "", "text/html\u0000", "text/html;\r\n"),
    fc.constant(null),
    longString,
  );
  const requestPath = fc.oneof(
    { weight: 4, arbitrary: requestTail(2048).map((tail) => new URL(`https://www.example.com${tail}`).pathname) },
    { weight: 1, arbitrary: binaryString(20) },
  );
  const reportPath = fc.option(fc.constantFrom("/__csp-report", "/r", "/a;b", "/a,b", "/a'b"), { nil: undefined });

  it("never compile into a plan that writes CR, LF, NUL or non-ASCII, on any path, content type or scheme", () => {
    fc.assert(
      fc.property(
        anyDocument,
        fc.boolean(),
        reportPath,
        fc.array(fc.tuple(requestPath, contentType, fc.boolean()), { minLength: 1, maxLength: 6 }),
        (document, reportOnly, path, requests) => {
          const parsed = parsePolicy(document);
          if (!parsed.ok) return;
          const reports = parseEnv({ REPORTS_ENABLED: "true", REPORT_PATH: path }).config.reports;
          const { policy } = compilePolicy([{ from: "KV", document: parsed.value }], {
            reportOnly,
            reportPath: path === undefined ? undefined : reports.path,
          });
          for (const [pathname, type, https] of requests) {
            const plan = planHeaders(policy, { https, path: pathname, contentType: type });
            for (const op of [...plan.ops, ...(plan.nonce?.ops ?? []), ...(plan.nonce?.notModifiedOps ?? [])]) expectCleanOp(op);
            const response = new Headers([
              ["X-Frame-Options", "DENY"],
              ["Permissions-Policy", "usb=(), camera=()"],
              ["Cache-Control", "max-age=5"],
            ]);
            applyHeaders(response, plan.nonce?.ops ?? plan.ops, NONCE);
            for (const [, value] of response) expect(CLEAN.test(value)).toBe(true);
          }
        },
      ),
      fuzzParameters(500),
    );
  });
});

describe("documents rejected in context (a rule against the layers below it)", () => {
  it("name a path that leads into the document for every issue", () => {
    fc.assert(
      fc.property(anyDocument, (document) => {
        const parsed = parsePolicy(document);
        if (!parsed.ok) return;
        const { rejected } = compilePolicy([{ from: "KV", document: parsed.value }], { reportOnly: false });
        for (const r of rejected) expectIssuesWalk(document, r.issues);
      }),
      fuzzParameters(800),
    );
  });
});

describe("rule sets converted from a _headers file", () => {
  const line = fc.oneof(
    fc.constantFrom(
      "/*",
      "/embed/*",
      "  X-Frame-Options: DENY",
      "  ! X-Powered-By",
      "  Content-Security-Policy: default-src 'self'; img-src *",
      "  Strict-Transport-Security: max-age=600",
      "  Set-Cookie: a=1",
      "https://:project.pages.dev/*",
      "# comment",
      "",
      "\t",
      "  :",
      "  X-A:",
    ),
    withInjection(fc.constantFrom("/*", "  X-Custom: 1", "  Content-Security-Policy: script-src 'self'")),
    binaryString(16),
  );
  const file = fc.tuple(fc.array(line, { maxLength: 12 }), fc.constantFrom("\n", "\r\n", "\r")).map(([lines, eol]) => lines.join(eol));

  it("never throw, name real line numbers, and validate into clean headers when accepted", () => {
    fc.assert(
      fc.property(file, (text) => {
        const { document, issues } = importHeadersFile(text);
        const lineCount = text.split(/\r?\n/).length;
        for (const issue of issues) expect(issue.line >= 1 && issue.line <= lineCount).toBe(true);
        const parsed = parsePolicy(JSON.parse(JSON.stringify(document)));
        if (!parsed.ok) return;
        for (const value of headerStrings(document)) expect(CLEAN.test(value)).toBe(true);
      }),
      fuzzParameters(500),
    );
  });
});
