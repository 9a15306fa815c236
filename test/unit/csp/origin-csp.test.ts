// The CSP the site relies on is never replaced by one that protects nothing: under `default` an origin CSP
// counts only if it restricts something; under `set` the policy's CSP wins over anything the origin sends.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyHeaders } from "../../../src/core/headers/apply-headers.js";
import { cspRestricts } from "../../../src/core/csp/csp-restricts.js";
import { matchMarkerScope } from "../../../src/core/nonce/marker-scope.js";
import { createNonce, decideNonce } from "../../../src/core/nonce/decide-nonce.js";
import { planHeaders } from "../../../src/core/policy/plan-headers.js";
import { fuzzParameters } from "../../fuzz-config.js";
import { compile } from "../support.js";

/** What the Worker does to one response's headers (src/handler.ts): decide, then apply with a nonce when stamping. */
function enforcedCspAfter(
  document: unknown,
  origin: readonly [string, string][],
  contentType = "text/html",
): { value: string | null; policy: string | null } {
  const policy = compile([document]);
  const facts = { https: true, path: "/", contentType };
  const plan = planHeaders(policy, facts);
  const headers = new Headers([["Content-Type", contentType], ...origin]);
  const decision = decideNonce(
    plan,
    { method: "GET", status: 200, contentType, hasBody: true, originHeaders: headers },
    matchMarkerScope(policy, "/"),
  );
  const nonce = decision.stamp ? createNonce() : undefined;
  applyHeaders(headers, decision.ops, nonce);
  const op = decision.ops.find((o) => o.key === "content-security-policy");
  const own =
    op === undefined || op.kind === "remove"
      ? null
      : op.kind === "set" || op.kind === "default"
        ? (op.parts?.join(nonce ?? "") ?? op.value)
        : null;
  return { value: headers.get("content-security-policy"), policy: own };
}

describe("cspRestricts", () => {
  it.each<[string, boolean]>([
    ["report-uri /csp", false],
    ["report-to x", false],
    ["report-uri /csp; report-to x; upgrade-insecure-requests", false],
    ["trusted-types a; webrtc 'allow'", false],
    ["", false],
    ["img-src *", true],
    ["base-uri 'none'", true],
    ["frame-ancestors 'none'", true],
    ["form-action 'self'", true],
    ["sandbox", true],
    ["require-trusted-types-for 'script'", true],
    ["report-uri /a, object-src 'none'", true],
    ["SCRIPT-SRC 'self'", true],
    ["script-src\u00a0'self'", false],
  ])("%j → %s", (value, expected) => {
    expect(cspRestricts(value)).toBe(expected);
  });
});

describe("an origin CSP under the default action", () => {
  it.each(["report-uri /csp", "report-to x", "upgrade-insecure-requests; report-uri /csp"])(
    "does not replace the built-in CSP when it is only %j",
    (origin) => {
      const { value } = enforcedCspAfter({}, [["Content-Security-Policy", origin]]);
      expect(value).toContain("default-src 'self'");
      expect(value).toContain("object-src 'none'");
      expect(value).toContain("base-uri 'self'");
    },
  );

  it("wins when it restricts something", () => {
    expect(enforcedCspAfter({}, [["Content-Security-Policy", "img-src 'self'; report-uri /csp"]]).value).toBe(
      "img-src 'self'; report-uri /csp",
    );
  });
});

describe("an origin CSP under the set action", () => {
  it("never removes the enforced CSP: a Report-Only CSP with 'nonce- from the origin changes nothing", () => {
    const { value, policy } = enforcedCspAfter({ csp: { action: "set" }, nonce: {} }, [
      ["Content-Security-Policy-Report-Only", "script-src 'nonce-abc'"],
    ]);
    expect(value).toBe(policy);
    expect(value).toContain("default-src 'self'");
  });
});

describe("for any origin CSP pair and any action", () => {
  const directive = fc.constantFrom(
    "report-uri /csp",
    "report-to x",
    "upgrade-insecure-requests",
    "script-src 'nonce-abc'",
    "script-src 'self'",
    "default-src *",
    "img-src 'self'",
    "frame-ancestors 'none'",
    "sandbox",
    "trusted-types a",
    "bogus-directive x",
    "script-src\u00a0'none'",
    "",
  );
  const policyValue = fc.array(directive, { maxLength: 3 }).map((d) => d.join("; "));
  const headerValue = fc.array(policyValue, { minLength: 1, maxLength: 2 }).map((p) => p.join(", "));
  const originPair = fc.record({ enforced: fc.option(headerValue), reportOnly: fc.option(headerValue) });
  const document = fc.record(
    {
      csp: fc.record({ action: fc.constantFrom("set", "default") }),
      cspReportOnly: fc.constantFrom(
        false,
        { action: "set", directives: { "img-src": ["'self'"] } },
        { action: "default", directives: { "script-src": ["'self'"] } },
      ),
      nonce: fc.constantFrom(false, {}, { mode: "blanket" }),
    },
    { requiredKeys: ["csp"] },
  );

  it("sends the policy's own CSP under set, and one that restricts something under default", () => {
    fc.assert(
      fc.property(
        document,
        originPair,
        fc.constantFrom("text/html", "application/json", "text/plain, text/html"),
        (doc, pair, contentType) => {
          const origin: [string, string][] = [];
          if (pair.enforced !== null) origin.push(["Content-Security-Policy", pair.enforced]);
          if (pair.reportOnly !== null) origin.push(["Content-Security-Policy-Report-Only", pair.reportOnly]);
          const { value, policy } = enforcedCspAfter(doc, origin, contentType);
          if (doc.csp.action === "set") expect(value).toBe(policy);
          else {
            expect(value).not.toBeNull();
            expect(cspRestricts(value ?? "")).toBe(true);
            // The origin's value as a header carries it (surrounding whitespace trimmed).
            if (pair.enforced !== null && cspRestricts(pair.enforced)) expect(value).toBe(new Headers([["v", pair.enforced]]).get("v"));
          }
        },
      ),
      fuzzParameters(500),
    );
  });
});
