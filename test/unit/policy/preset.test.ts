// The strict preset: where a document may name it, how the user's fields layer over it, and that CEILINGS
// and a rejected document's preset behave as for any layer.

import { describe, expect, it } from "vitest";
import { compileEnvironment } from "../../../src/core/policy/compile-environment.js";
import { parseEnv } from "../../../src/core/policy/parse-env.js";
import { parsePolicy } from "../../../src/core/policy/parse-policy.js";
import { planHeaders } from "../../../src/core/policy/plan-headers.js";
import type { CompiledPolicy } from "../../../src/core/policy/types.js";
import { cspMap } from "../../support/csp-map.js";
import { compile, compileWithRejections } from "../support.js";

function sent(policy: CompiledPolicy, name: string, path = "/"): string | undefined {
  const op = planHeaders(policy, { https: true, path, contentType: "text/html" }).ops.find((o) => o.key === name.toLowerCase());
  return op === undefined || op.kind === "remove" || op.kind === "cookies" ? undefined : op.value;
}

describe("naming the preset", () => {
  it("offers the closest preset for a misspelt name", () => {
    const result = parsePolicy({ preset: "strct" });
    expect(result.ok ? [] : result.issues).toEqual([
      { path: "preset", message: "a preset name: strict (did you mean `strict`?)", received: '"strct"' },
    ]);
  });

  it("belongs to a document, not to a rule (a preset is the whole site's starting point)", () => {
    const result = parsePolicy({ rules: [{ path: "/a", preset: "strict" }] });
    expect(result.ok ? [] : result.issues.map((i) => i.path)).toEqual(["rules[0].preset"]);
  });
});

describe("layering over the preset", () => {
  it("replaces the defaults' CSP and headers, attributed to the preset", () => {
    const policy = compile([{ preset: "strict" }]);
    expect(policy.preset).toBe("strict");
    expect(cspMap(sent(policy, "Content-Security-Policy") ?? "").get("default-src")).toEqual(["'none'"]);
    expect(sent(policy, "Referrer-Policy")).toBe("no-referrer");
    expect(sent(policy, "Strict-Transport-Security")).toBe("max-age=63072000; includeSubDomains");
    expect(policy.resolved.headers.get("cross-origin-resource-policy")?.from).toBe("preset strict");
  });

  it("lets the document's own fields layer over it: csp.add, a header, hsts", () => {
    const policy = compile([
      {
        preset: "strict",
        csp: { add: { "img-src": ["https://cdn.example"] } },
        headers: { "Cross-Origin-Resource-Policy": "same-site" },
        hsts: { maxAge: 31536000 },
      },
    ]);
    const csp = cspMap(sent(policy, "Content-Security-Policy") ?? "");
    expect(csp.get("img-src")).toEqual(["'self'", "https://cdn.example"]);
    expect(csp.get("default-src")).toEqual(["'none'"]);
    expect(sent(policy, "Cross-Origin-Resource-Policy")).toBe("same-site");
    expect(sent(policy, "Strict-Transport-Security")).toBe("max-age=31536000; includeSubDomains");
  });

  it("sits below POLICY when KV names it: POLICY's fields still layer over the preset", () => {
    const policy = compile([{ headers: { "Referrer-Policy": "same-origin" } }, { preset: "strict" }]);
    expect(policy.preset).toBe("strict");
    expect(sent(policy, "Referrer-Policy")).toBe("same-origin");
  });

  it("does not serve from a document that is rejected", () => {
    // The second layer fails in context (an action with no value anywhere), so its preset does not apply.
    const { policy, rejected } = compileWithRejections([{}, { preset: "strict", headers: { "X-Custom-Thing": { action: "default" } } }]);
    expect(rejected.map((r) => r.from)).toEqual(["layer1"]);
    expect(policy.preset).toBeUndefined();
    expect(cspMap(sent(policy, "Content-Security-Policy") ?? "").get("default-src")).toEqual(["'self'"]);
  });

  it("is capped by CEILINGS like any layer", () => {
    const { config } = parseEnv({ CEILINGS: { hsts: { maxAge: 300, includeSubDomains: false } } });
    const { policy, caps } = compileEnvironment(
      config,
      (() => {
        const parsed = parsePolicy({ preset: "strict" });
        if (!parsed.ok) throw new Error("invalid");
        return parsed.value;
      })(),
    );
    expect(sent(policy, "Strict-Transport-Security")).toBe("max-age=300");
    expect(caps).toContainEqual({ field: "hsts.maxAge", value: 63072000, ceiling: 300, from: "preset strict" });
  });
});
