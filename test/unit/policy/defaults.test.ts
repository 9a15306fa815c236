import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../../src/core/policy/compile-policy.js";
import { defaultPolicyDocument } from "../../../src/core/policy/defaults.js";
import { parsePolicy } from "../../../src/core/policy/parse-policy.js";

describe("built-in defaults", () => {
  it("validate as a policy document", () => {
    expect(parsePolicy(defaultPolicyDocument())).toEqual({ ok: true, value: defaultPolicyDocument() });
  });

  it("compile without rejecting a layer", () => {
    const { policy, rejected } = compilePolicy([], { reportOnly: false });
    expect(rejected).toEqual([]);
    expect(policy.base.https.ops.length).toBeGreaterThan(0);
  });

  it("are a fresh copy on every call", () => {
    const a = defaultPolicyDocument();
    const b = defaultPolicyDocument();
    expect(a).toEqual(b);
    expect(a.headers).not.toBe(b.headers);
  });
});
