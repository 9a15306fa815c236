// Source bundles: the table's own rules for every bundle, how `allow` expands and merges across layers
// (defaults, POLICY, KV base, rules), and the warnings a bundle gives.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BUNDLE_NAMES, SOURCE_BUNDLES, type SourceBundle } from "../../../src/core/csp/bundles.js";
import { bundleWarnings } from "../../../src/core/csp/bundles-warnings.js";
import { CSP_DIRECTIVES } from "../../../src/core/csp/directives.js";
import { cspSourceProblem } from "../../../src/core/csp/parse-csp.js";
import { compilePolicy, type PolicySource } from "../../../src/core/policy/compile-policy.js";
import { parsePolicy } from "../../../src/core/policy/parse-policy.js";
import type { CompiledPolicy, PolicyDocument, ResolvedCsp } from "../../../src/core/policy/types.js";
import { fuzzParameters } from "../../fuzz-config.js";

/** The names the brief (issue 11) lists, plus Cloudflare's JavaScript detections. */
const EXPECTED_NAMES = [
  "google-analytics",
  "google-tag-manager",
  "google-fonts",
  "stripe",
  "youtube",
  "vimeo",
  "jsdelivr",
  "unpkg",
  "cdnjs",
  "recaptcha",
  "hcaptcha",
  "cloudflare-web-analytics",
  "cloudflare-turnstile",
  "cloudflare-rocket-loader",
  "cloudflare-zaraz",
  "cloudflare-javascript-detections",
];

function bundle(name: string): SourceBundle {
  const found = SOURCE_BUNDLES.get(name);
  if (found === undefined) throw new Error(`no bundle ${name}`);
  return found;
}

function doc(value: unknown): PolicyDocument {
  const parsed = parsePolicy(value);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

function compile(...sources: [string, unknown][]): CompiledPolicy {
  const docs: PolicySource[] = sources.map(([from, value]) => ({ from, document: doc(value) }));
  const { policy, rejected } = compilePolicy(docs, { reportOnly: false });
  expect(rejected).toEqual([]);
  return policy;
}

/** A resolved CSP as directive → sources (flags as []), the way tests compare CSPs. */
function directives(csp: ResolvedCsp | null): Record<string, readonly string[]> {
  return Object.fromEntries([...(csp?.directives ?? [])].map(([name, d]) => [name, d.value === true ? [] : d.value]));
}

function enforced(policy: CompiledPolicy, rules: readonly number[] = []): Record<string, readonly string[]> {
  return directives(rules.length === 0 ? policy.resolved.csp : policy.combine(rules).resolved.csp);
}

describe("the bundle table", () => {
  it("has every bundle the issue lists, by name, in a frozen table", () => {
    expect([...BUNDLE_NAMES].sort()).toEqual([...EXPECTED_NAMES].sort());
    expect(Object.isFrozen(BUNDLE_NAMES)).toBe(true);
    for (const entry of SOURCE_BUNDLES.values()) {
      expect(Object.isFrozen(entry)).toBe(true);
      expect(Object.isFrozen(entry.sources)).toBe(true);
      for (const list of Object.values(entry.sources)) expect(Object.isFrozen(list)).toBe(true);
    }
  });

  it.each(EXPECTED_NAMES)("%s names its vendor page, the date it was read, and what it leaves out", (name) => {
    const entry = bundle(name);
    expect(entry.name).toBe(name);
    expect(new URL(entry.docs).protocol).toBe("https:");
    expect(entry.read).toMatch(/^\d{4}-\d{2}-\d{2}\b/);
    expect(entry.notes.length).toBeGreaterThan(20);
    expect(Object.keys(entry.sources).length).toBeGreaterThan(0);
  });

  it.each(EXPECTED_NAMES)("%s has only valid source expressions for each directive, each once", (name) => {
    for (const [directive, sources] of Object.entries(bundle(name).sources)) {
      const kind = CSP_DIRECTIVES.get(directive);
      expect(kind).toBe("sources");
      if (kind === undefined) continue;
      for (const source of sources) expect([directive, source, cspSourceProblem(kind, source)]).toEqual([directive, source, undefined]);
      expect(new Set(sources.map((s) => s.toLowerCase())).size).toBe(sources.length);
    }
  });

  it.each(EXPECTED_NAMES)("%s never widens script-src to a wildcard, a scheme or an unsafe keyword", (name) => {
    for (const directive of ["script-src", "script-src-elem"] as const) {
      for (const source of bundle(name).sources[directive as "script-src"] ?? []) {
        const lower = source.toLowerCase();
        expect(lower).not.toMatch(/^'unsafe-|^'wasm-unsafe-eval'$|^'none'$|^'strict-dynamic'$/);
        expect(lower).not.toMatch(/^[a-z][a-z0-9+.-]*:$/); // a bare scheme: https:, data:, blob:
        expect(lower).not.toMatch(/^(?:[a-z][a-z0-9+.-]*:\/\/)?\*(?::|\/|$)/); // any host: *, https://*
        // A subdomain wildcard stays inside one named registrable domain (*.vendor.com, never *.com).
        if (lower.includes("*")) expect(lower).toMatch(/^https:\/\/\*\.[a-z0-9-]+\.[a-z0-9.-]+(?:\/|$)/);
      }
    }
  });

  it.each(EXPECTED_NAMES)("%s is in docs/csp.md's table with its page, date and every source", (name) => {
    const docs = readFileSync(new URL("../../../docs/csp.md", import.meta.url), "utf8");
    const entry = bundle(name);
    const row = docs.split("\n").find((line) => line.startsWith(`| \`${name}\` |`));
    expect(row).toBeDefined();
    expect(row).toContain(`(${entry.docs})`);
    expect(row).toContain(entry.read.slice(0, 10));
    for (const [directive, sources] of Object.entries(entry.sources)) {
      expect(row).toContain(`\`${directive}\` ${sources.map((source) => `\`${source}\``).join(" ")}`);
    }
    expect(row?.includes("a script nonce")).toBe(entry.needs === "nonce");
  });

  it("says which bundles run an inline snippet", () => {
    const needing = [...SOURCE_BUNDLES.values()].filter((b) => b.needs === "nonce").map((b) => b.name);
    expect(needing.sort()).toEqual(["cloudflare-javascript-detections", "google-analytics", "google-tag-manager"]);
  });
});

describe("expanding allow", () => {
  it("adds each bundle's sources on top of what default-src allowed", () => {
    const policy = compile(["KV", { csp: { allow: ["stripe", "google-fonts"] } }]);
    expect(enforced(policy)).toMatchObject({
      "default-src": ["'self'"],
      "script-src": ["'self'", "https://js.stripe.com", "https://*.js.stripe.com"],
      "frame-src": ["'self'", "https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"],
      "connect-src": ["'self'", "https://api.stripe.com"],
      "style-src": ["'self'", "https://fonts.googleapis.com"],
      "font-src": ["'self'", "https://fonts.gstatic.com"],
    });
  });

  it("replaces 'none' and adds nothing to a directive nothing restricts", () => {
    const none = compile(["KV", { csp: { replace: true, directives: { "default-src": ["'none'"] }, allow: ["vimeo"] } }]);
    expect(enforced(none)).toEqual({
      "default-src": ["'none'"],
      "frame-src": ["https://player.vimeo.com"],
      "script-src": ["https://player.vimeo.com"],
    });
    const open = compile(["KV", { csp: { replace: true, directives: { "img-src": ["'self'"] }, allow: ["vimeo"] } }]);
    expect(enforced(open)).toEqual({ "img-src": ["'self'"] });
    expect(open.resolved.csp?.bundles?.[0]?.added.size).toBe(0);
  });

  it("adds script sources to script-src-elem too when the policy has it", () => {
    const policy = compile(["KV", { csp: { directives: { "script-src-elem": ["'self'"] }, allow: ["cloudflare-turnstile"] } }]);
    expect(enforced(policy)["script-src-elem"]).toEqual(["'self'", "https://challenges.cloudflare.com"]);
    expect(enforced(policy)["script-src"]).toEqual(["'self'", "https://challenges.cloudflare.com"]);
  });

  it("leaves a directive unwritten when the bundle adds nothing new to it", () => {
    const policy = compile(["KV", { csp: { allow: ["cloudflare-zaraz"] } }]);
    expect(enforced(policy)).toEqual(enforced(compile(["KV", {}])));
  });

  it("records what each bundle added, per directive, and where it was allowed", () => {
    const policy = compile(["KV", { cspReportOnly: { directives: { "default-src": ["'self'"] }, allow: ["cloudflare-web-analytics"] } }]);
    expect(policy.resolved.csp?.bundles).toBeUndefined();
    const [applied] = policy.resolved.cspReportOnly?.bundles ?? [];
    expect(applied?.name).toBe("cloudflare-web-analytics");
    expect(applied?.from).toBe("KV");
    expect(applied?.path).toBe("cspReportOnly.allow[0]");
    expect(Object.fromEntries(applied?.added ?? [])).toEqual({
      "script-src": ["https://static.cloudflareinsights.com"],
      "connect-src": ["https://cloudflareinsights.com"],
    });
  });
});

describe("allow across layers", () => {
  const POLICY = { csp: { allow: ["google-fonts"] } };
  const KV = {
    csp: { allow: ["stripe"] },
    rules: [
      { path: "/videos/*", csp: { allow: ["youtube"] } },
      { path: "/checkout/*", csp: { directives: { "connect-src": ["'self'", "https://pay.example.com"] } } },
      { path: "/checkout/plain", csp: { replace: true, directives: { "default-src": ["'self'"] } } },
    ],
  };

  it("accumulates the POLICY var's, the KV base's and a rule's bundles, as csp.add does", () => {
    const policy = compile(["POLICY", POLICY], ["KV", KV]);
    const onVideo = enforced(policy, [0]);
    expect(onVideo["style-src"]).toEqual(["'self'", "https://fonts.googleapis.com"]);
    expect(onVideo["connect-src"]).toEqual(["'self'", "https://api.stripe.com"]);
    expect(onVideo["frame-src"]).toEqual([
      "'self'",
      "https://js.stripe.com",
      "https://*.js.stripe.com",
      "https://hooks.stripe.com",
      "https://www.youtube.com",
      "https://www.youtube-nocookie.com",
    ]);
    const names = (policy.combine([0]).resolved.csp?.bundles ?? []).map((b) => `${b.from} ${b.name}`);
    expect(names).toEqual(["POLICY google-fonts", "KV stripe", "KV.rules[0] /videos/* youtube"]);
    expect(enforced(policy)["frame-src"]).not.toContain("https://www.youtube.com");
  });

  it("drops what a lower bundle added to a directive a rule replaces, and says so", () => {
    const policy = compile(["POLICY", POLICY], ["KV", KV]);
    const checkout = policy.combine([1]).resolved.csp;
    expect(directives(checkout)["connect-src"]).toEqual(["'self'", "https://pay.example.com"]);
    const stripe = checkout?.bundles?.find((b) => b.name === "stripe");
    expect([...(stripe?.added.keys() ?? [])]).toEqual(["script-src", "frame-src"]);
  });

  it("drops every lower bundle under replace: true", () => {
    const policy = compile(["POLICY", POLICY], ["KV", KV]);
    const plain = policy.combine([1, 2]).resolved.csp;
    expect(directives(plain)).toEqual({ "default-src": ["'self'"] });
    expect(plain?.bundles).toBeUndefined();
  });

  it("drops a bundle's additions to a directive the same layer removes", () => {
    const policy = compile(["KV", { csp: { allow: ["stripe"], remove: ["frame-src"] } }]);
    expect(enforced(policy)["frame-src"]).toBeUndefined();
    expect([...(policy.resolved.csp?.bundles?.[0]?.added.keys() ?? [])]).toEqual(["script-src", "connect-src"]);
  });

  it("puts every source of every allowed bundle into its directive, whatever the mix and the layer", () => {
    const names = fc.uniqueArray(fc.constantFrom(...BUNDLE_NAMES), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(names, names, fc.constantFrom("'self'", "'none'"), (base, rule, fallback) => {
        const policy = compile([
          "KV",
          { csp: { directives: { "default-src": [fallback] }, allow: base }, rules: [{ path: "/r/*", csp: { allow: rule } }] },
        ]);
        const csp = enforced(policy, [0]);
        for (const name of [...base, ...rule]) {
          for (const [directive, sources] of Object.entries(bundle(name).sources)) {
            for (const source of sources) expect(csp[directive]).toContain(source);
          }
        }
        for (const [directive, sources] of Object.entries(csp)) {
          if (sources.length > 1) expect(sources).not.toContain("'none'");
          expect(new Set(sources).size).toBe(sources.length);
          if (directive.startsWith("script-src")) expect(sources.some((s) => s === "*" || /^[a-z]+:$/.test(s))).toBe(false);
        }
      }),
      fuzzParameters(40),
    );
  });
});

describe("validating allow", () => {
  function issues(value: unknown): { path: string; message: string; received: string }[] {
    const parsed = parsePolicy(value);
    return parsed.ok ? [] : [...parsed.issues];
  }

  it("names an unknown bundle with the likely one", () => {
    const [issue] = issues({ csp: { allow: ["google-font"] } });
    expect(issue?.path).toBe("csp.allow[0]");
    expect(issue?.message).toContain("did you mean `google-fonts`?");
    expect(issue?.received).toBe('"google-font"');
  });

  it("lists the bundles when nothing is close", () => {
    const [issue] = issues({ rules: [{ path: "/a", cspReportOnly: { allow: ["facebook-pixel"] } }] });
    expect(issue?.path).toBe("rules[0].cspReportOnly.allow[0]");
    expect(issue?.message).toContain("one of google-analytics, google-tag-manager");
  });

  it("refuses a bundle named twice, an empty list and a list that is not one", () => {
    expect(issues({ csp: { allow: ["stripe", "youtube", "stripe"] } }).map((i) => [i.path, i.message])).toEqual([
      ["csp.allow[2]", "each bundle once"],
    ]);
    expect(issues({ csp: { allow: [] } }).map((i) => i.path)).toEqual(["csp.allow"]);
    expect(issues({ csp: { allow: "stripe" } }).map((i) => i.path)).toEqual(["csp.allow"]);
    expect(issues({ csp: { alow: ["stripe"] } })[0]?.message).toContain("did you mean `allow`?");
  });
});

describe("warnings", () => {
  it("warns when a bundle's inline snippet meets a policy without a script nonce", () => {
    const policy = compile(["KV", { csp: { allow: ["google-tag-manager", "stripe"] } }]);
    const warnings = bundleWarnings(policy.resolved);
    expect(warnings.map((w) => [w.bundle, w.where])).toEqual([["google-tag-manager", "KV: csp.allow[0]"]]);
    expect(warnings[0]?.message).toContain("inline script");
    const withNonce = compile(["KV", { nonce: { mode: "blanket" }, csp: { allow: ["google-tag-manager"] } }]);
    expect(bundleWarnings(withNonce.resolved)).toEqual([]);
  });

  it("warns that 'strict-dynamic' makes browsers ignore a bundle's script hosts", () => {
    const policy = compile(["KV", { nonce: { mode: "blanket", strictDynamic: true }, csp: { allow: ["recaptcha", "google-fonts"] } }]);
    const warnings = bundleWarnings(policy.resolved);
    expect(warnings.map((w) => w.bundle)).toEqual(["recaptcha"]);
    expect(warnings[0]?.message).toContain("'strict-dynamic'");
    expect(warnings[0]?.message).toContain("https://www.google.com/recaptcha/");
  });
});
