// Issue 9: a rule holds for every spelling of its path that an origin serves as the same page, or the
// spelling is refused; never does a spelling fall back to the base headers while the origin serves the page.

import { describe, expect, it } from "vitest";
import { applyHeaders } from "../../../src/core/headers/apply-headers.js";
import { parsePolicy } from "../../../src/core/policy/parse-policy.js";
import { planHeaders } from "../../../src/core/policy/plan-headers.js";
import type { CompiledPolicy } from "../../../src/core/policy/types.js";
import { compile, cspMap } from "../support.js";

const ADMIN = compile([
  {
    rules: [
      {
        path: "/admin/*",
        headers: { "X-Frame-Options": { value: "DENY", action: "set" } },
        csp: { directives: { "frame-ancestors": ["'none'"] } },
      },
      {
        path: "/embed/*",
        headers: { "X-Frame-Options": { action: "remove" } },
        csp: { directives: { "frame-ancestors": ["https://partner.example"] } },
      },
    ],
  },
]);

/** The headers a path gets, or "refused" when the Worker would answer 400 without asking the origin. */
function outcome(policy: CompiledPolicy, path: string): Headers | "refused" {
  const route = policy.paths.route(path);
  if (!route.ok) return "refused";
  const headers = new Headers([["X-Frame-Options", "SAMEORIGIN"]]);
  applyHeaders(headers, planHeaders(policy, { https: true, path, contentType: "text/html" }).ops);
  return headers;
}

function expectAdmin(path: string): void {
  const result = outcome(ADMIN, path);
  if (result === "refused") return;
  expect(result.get("x-frame-options"), path).toBe("DENY");
  expect(cspMap(result.get("content-security-policy")).get("frame-ancestors"), path).toEqual(["'none'"]);
}

describe("the reported spellings of /admin/settings", () => {
  it.each(["/admin/settings", "//admin/settings", "/ADMIN/settings", "/admin;x/settings", "/admin%2Fsettings"])(
    "%s gets the /admin/* rule or is refused",
    (path) => {
      expectAdmin(path);
    },
  );

  it("applies the rule itself (not a refusal) to the spellings every origin agrees on", () => {
    for (const path of ["/admin/settings", "//admin/settings", "/ADMIN/settings", "/admin;x/settings"]) {
      expect(outcome(ADMIN, path), path).not.toBe("refused");
    }
  });
});

describe("a spelling never earns a weaker policy than its page", () => {
  it.each([
    "/embed%2F..%2Fadmin/settings",
    "/embed/..;/admin/settings",
    "/embed/%2e%2e;x/admin/settings",
    "/embed%5C..%5Cadmin/settings",
    "/embed/.%2E%2Fadmin/settings",
  ])("%s never gets the /embed/* relaxation", (path) => {
    const result = outcome(ADMIN, path);
    if (result === "refused") return;
    expect(result.get("x-frame-options"), path).not.toBeNull();
    expect(cspMap(result.get("content-security-policy")).get("frame-ancestors"), path).not.toEqual(["https://partner.example"]);
  });
});

describe("paths.caseSensitive", () => {
  const rules = [{ path: "/Admin/*", headers: { "X-Rule": "admin" } }];

  it("folds case by default: /ADMIN/x and /admin/x are the page of /Admin/*", () => {
    const policy = compile([{ rules }]);
    for (const path of ["/Admin/x", "/ADMIN/x", "/admin/x"]) expect(outcome(policy, path), path).not.toBe("refused");
    for (const path of ["/Admin/x", "/ADMIN/x", "/admin/x"]) expect((outcome(policy, path) as Headers).get("x-rule"), path).toBe("admin");
  });

  it("keeps case when the document says its origin is case-sensitive", () => {
    const policy = compile([{ paths: { caseSensitive: true }, rules }]);
    expect((outcome(policy, "/Admin/x") as Headers).get("x-rule")).toBe("admin");
    expect((outcome(policy, "/admin/x") as Headers).has("x-rule")).toBe(false);
    expect((outcome(policy, "/ADMIN/x") as Headers).has("x-rule")).toBe(false);
  });

  it("takes the setting of the highest document that states it", () => {
    expect(compile([{ paths: { caseSensitive: true } }, { rules }]).paths.caseSensitive).toBe(true);
    expect(compile([{ paths: { caseSensitive: true } }, { paths: { caseSensitive: false }, rules }]).paths.caseSensitive).toBe(false);
    expect(compile([{ rules }]).paths.caseSensitive).toBe(false);
  });

  it("is validated like every other field", () => {
    const result = parsePolicy({ paths: { caseSensitve: true } });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues.map((i) => [i.path, i.message])).toEqual([
      ["paths.caseSensitve", expect.stringContaining("did you mean")],
    ]);
    const wrongType = parsePolicy({ paths: { caseSensitive: "yes" } });
    expect(wrongType.ok ? [] : wrongType.issues.map((i) => i.path)).toEqual(["paths.caseSensitive"]);
  });
});
