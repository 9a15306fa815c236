// Merging layers and compiling plans: inheritance, CSP directive operations, HSTS rules, budgets.

import { describe, expect, it } from "vitest";
import { memoizeValidity } from "../../../src/core/policy/compile-plans.js";
import { renderCsp } from "../../../src/core/csp/render-csp.js";
import type { CompiledPolicy, HeaderOp } from "../../../src/core/policy/types.js";
import { compile, compileWithRejections, cspMap } from "../support.js";

function op(policy: CompiledPolicy, name: string, https = true): HeaderOp | undefined {
  return (https ? policy.base.https : policy.base.http).ops.find((o) => o.name.toLowerCase() === name.toLowerCase());
}

function value(policy: CompiledPolicy, name: string, https = true): string | undefined {
  const found = op(policy, name, https);
  return found === undefined || found.kind === "remove" || found.kind === "cookies" ? undefined : found.value;
}

describe("the built-in defaults compiled", () => {
  const policy = compile();

  it("send the baseline headers over https", () => {
    expect(value(policy, "Strict-Transport-Security")).toBe("max-age=31536000; includeSubDomains");
    expect(cspMap(value(policy, "Content-Security-Policy") ?? null)).toEqual(
      new Map([
        ["default-src", ["'self'"]],
        ["object-src", ["'none'"]],
        ["base-uri", ["'self'"]],
        ["frame-ancestors", ["'none'"]],
      ]),
    );
    expect(value(policy, "X-Frame-Options")).toBe("DENY");
    expect(value(policy, "X-Content-Type-Options")).toBe("nosniff");
    expect(value(policy, "Referrer-Policy")).toBe("strict-origin-when-cross-origin");
    expect(value(policy, "Permissions-Policy")).toBe("geolocation=(), camera=(), microphone=()");
  });

  it("remove the leak headers", () => {
    for (const name of ["X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version"]) {
      expect(op(policy, name)?.kind).toBe("remove");
    }
  });

  it("use the default action for every header they set", () => {
    const kinds = policy.base.https.ops.filter((o) => o.kind !== "remove" && o.kind !== "cookies").map((o) => o.kind);
    expect(new Set(kinds)).toEqual(new Set(["default"]));
  });

  it("remove HSTS over http instead of sending it", () => {
    expect(op(policy, "Strict-Transport-Security", false)?.kind).toBe("remove");
  });

  it("give every header one op", () => {
    for (const plan of [policy.base.https, policy.base.http]) {
      const names = plan.ops.map((o) => o.name.toLowerCase());
      expect(new Set(names).size).toBe(names.length);
    }
  });
});

describe("merging a layer over the defaults", () => {
  it("replaces a header's value and keeps its action", () => {
    const policy = compile([{ headers: { "X-Frame-Options": "SAMEORIGIN" } }]);
    expect(op(policy, "X-Frame-Options")).toMatchObject({ kind: "default", value: "SAMEORIGIN", from: "POLICY" });
  });

  it("changes only the action when only the action is given", () => {
    const policy = compile([{ headers: { "X-Frame-Options": { action: "set" } } }]);
    expect(op(policy, "X-Frame-Options")).toMatchObject({ kind: "set", value: "DENY" });
  });

  it("stops owning a header given null", () => {
    const policy = compile([{ headers: { "X-Powered-By": null, "Permissions-Policy": null } }]);
    expect(op(policy, "X-Powered-By")).toBeUndefined();
    expect(op(policy, "Permissions-Policy")).toBeUndefined();
  });

  it("turns a removed header back into an owned one when a value is given", () => {
    const policy = compile([{ headers: { "X-Powered-By": "tea" } }]);
    expect(op(policy, "X-Powered-By")).toMatchObject({ kind: "default", value: "tea" });
  });

  it("rejects an action without a value anywhere below", () => {
    const { rejected, policy } = compileWithRejections([{ headers: { "X-New": { action: "set" } } }]);
    expect(rejected).toEqual([{ from: "POLICY", issues: [expect.objectContaining({ path: 'headers["X-New"].value' })] }]);
    expect(op(policy, "X-New")).toBeUndefined();
  });

  it("splits an append value into items", () => {
    const policy = compile([{ headers: { "Permissions-Policy": { value: "payment=(), usb=()", action: "append" } } }]);
    expect(op(policy, "Permissions-Policy")).toMatchObject({ kind: "append", items: ["payment=()", "usb=()"] });
  });

  it("adds the remove list as remove ops", () => {
    const policy = compile([{ remove: ["Server"] }]);
    expect(op(policy, "Server")?.kind).toBe("remove");
  });
});

describe("CSP directive operations", () => {
  const csp = (documents: unknown[], name = "Content-Security-Policy", https = true) =>
    cspMap(value(compile(documents), name, https) ?? null);

  it("replaces only the directives a layer names", () => {
    const map = csp([{ csp: { directives: { "img-src": ["'self'", "data:"] } } }]);
    expect(map.get("img-src")).toEqual(["'self'", "data:"]);
    expect(map.get("default-src")).toEqual(["'self'"]);
  });

  it("adds sources starting from the fallback directive", () => {
    const map = csp([{ csp: { add: { "script-src": ["https://cdn.example.com"] } } }]);
    expect(map.get("script-src")).toEqual(["'self'", "https://cdn.example.com"]);
  });

  it("adds to a directive without repeating a source", () => {
    const map = csp([{ csp: { directives: { "img-src": ["'self'"] }, add: { "img-src": ["'SELF'", "data:"] } } }]);
    expect(map.get("img-src")).toEqual(["'self'", "data:"]);
  });

  it("replaces 'none' when sources are added", () => {
    const map = csp([{ csp: { add: { "object-src": ["https://plugins.example.com"] } } }]);
    expect(map.get("object-src")).toEqual(["https://plugins.example.com"]);
  });

  it("leaves an unrestricted directive unrestricted when adding", () => {
    const map = csp([{ csp: { remove: ["default-src"] } }, { csp: { add: { "img-src": ["data:"] } } }]);
    expect(map.has("img-src")).toBe(false);
    expect(map.has("default-src")).toBe(false);
  });

  it("applies directives, then add, then remove within one layer", () => {
    const map = csp([{ csp: { directives: { "img-src": ["data:"] }, add: { "img-src": ["blob:"] }, remove: ["img-src"] } }]);
    expect(map.has("img-src")).toBe(false);
    const added = csp([{ csp: { remove: ["default-src"], add: { "img-src": ["data:"] } } }]);
    expect(added.get("img-src")).toEqual(["'self'", "data:"]);
  });

  it("replaces the whole policy when asked", () => {
    const map = csp([{ csp: { replace: true, directives: { "default-src": ["'none'"], "frame-ancestors": ["'none'"] } } }]);
    expect(map).toEqual(
      new Map([
        ["default-src", ["'none'"]],
        ["frame-ancestors", ["'none'"]],
      ]),
    );
  });

  it("removes directives", () => {
    const map = csp([{ csp: { remove: ["base-uri", "frame-ancestors"] } }]);
    expect([...map.keys()]).toEqual(["default-src", "object-src"]);
  });

  it("rejects a layer that removes every directive", () => {
    const { rejected } = compileWithRejections([{ csp: { remove: ["default-src", "object-src", "base-uri", "frame-ancestors"] } }]);
    expect(rejected[0]?.issues.map((i) => i.path)).toEqual(["csp"]);
  });

  it("sends no CSP given false, and starts afresh when a higher layer turns it back on", () => {
    expect(op(compile([{ csp: false }]), "Content-Security-Policy")).toBeUndefined();
    const map = csp([{ csp: false }, { csp: { directives: { "script-src": ["'self'"] } } }]);
    expect(map).toEqual(new Map([["script-src", ["'self'"]]]));
  });

  it("drops upgrade-insecure-requests over http only", () => {
    const layer = { csp: { directives: { "upgrade-insecure-requests": true } } };
    expect(csp([layer]).has("upgrade-insecure-requests")).toBe(true);
    expect(csp([layer], "Content-Security-Policy", false).has("upgrade-insecure-requests")).toBe(false);
  });

  it("sends enforced and Report-Only policies side by side", () => {
    const policy = compile([{ cspReportOnly: { directives: { "script-src": ["'none'"] } } }]);
    expect(cspMap(value(policy, "Content-Security-Policy-Report-Only") ?? null)).toEqual(new Map([["script-src", ["'none'"]]]));
    expect(value(policy, "Content-Security-Policy")).toBeDefined();
  });

  it("records which layer set each directive", () => {
    const policy = compile([{ csp: { directives: { "img-src": ["data:"] } } }]);
    const directives = policy.resolved.csp?.directives;
    expect(directives?.get("img-src")?.from).toBe("POLICY");
    expect(directives?.get("default-src")?.from).toBe("defaults");
  });
});

describe("CSP_REPORT_ONLY", () => {
  it("moves the enforced policy to Report-Only", () => {
    const policy = compile([], true);
    expect(op(policy, "Content-Security-Policy")).toBeUndefined();
    expect(cspMap(value(policy, "Content-Security-Policy-Report-Only") ?? null).get("default-src")).toEqual(["'self'"]);
  });

  it("puts both policies in the one Report-Only header, comma-separated", () => {
    const policy = compile([{ cspReportOnly: { directives: { "script-src": ["'none'"] } } }], true);
    const header = value(policy, "Content-Security-Policy-Report-Only") ?? "";
    const [first, second] = header.split(", ");
    expect(cspMap(first ?? null).get("default-src")).toEqual(["'self'"]);
    expect(cspMap(second ?? null)).toEqual(new Map([["script-src", ["'none'"]]]));
    expect(op(policy, "Content-Security-Policy")).toBeUndefined();
  });

  it("wins over a layer that sets the CSP action", () => {
    const policy = compile([{ csp: { action: "set" } }], true);
    expect(op(policy, "Content-Security-Policy")).toBeUndefined();
    expect(op(policy, "Content-Security-Policy-Report-Only")?.kind).toBe("set");
  });
});

describe("HSTS", () => {
  it("renders preload when asked", () => {
    const policy = compile([{ hsts: { preload: true } }]);
    expect(value(policy, "Strict-Transport-Security")).toBe("max-age=31536000; includeSubDomains; preload");
  });

  it("rejects preload without includeSubDomains", () => {
    const { rejected, policy } = compileWithRejections([{ hsts: { includeSubDomains: false, preload: true } }]);
    expect(rejected[0]?.issues.map((i) => i.path)).toEqual(["hsts.preload"]);
    expect(value(policy, "Strict-Transport-Security")).toBe("max-age=31536000; includeSubDomains");
  });

  it("rejects preload with a max-age under a year", () => {
    const { rejected } = compileWithRejections([{ hsts: { maxAge: 300, preload: true } }]);
    expect(rejected[0]?.issues.map((i) => i.path)).toEqual(["hsts.preload"]);
  });

  it("renders a short host-only max-age for staging", () => {
    const policy = compile([{ hsts: { maxAge: 300, includeSubDomains: false, preload: false } }]);
    expect(value(policy, "Strict-Transport-Security")).toBe("max-age=300");
  });

  it("sends none given false, but still removes the origin's over http", () => {
    const policy = compile([{ hsts: false }]);
    expect(op(policy, "Strict-Transport-Security")).toBeUndefined();
    expect(op(policy, "Strict-Transport-Security", false)?.kind).toBe("remove");
  });
});

describe("the header budget", () => {
  it("rejects a layer whose headers exceed 16 KiB", () => {
    const big = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`X-Big-${i}`, "v".repeat(1000)]));
    const { rejected, policy } = compileWithRejections([{ headers: big }]);
    expect(rejected[0]?.issues[0]?.received).toMatch(/^\d+ bytes$/);
    expect(op(policy, "X-Big-0")).toBeUndefined();
  });
});

describe("renderCsp", () => {
  it("renders directives in order with sources space-separated", () => {
    const directives = new Map<string, readonly string[] | true>([
      ["default-src", ["'self'"]],
      ["sandbox", []],
      ["upgrade-insecure-requests", true],
    ]);
    expect(renderCsp(directives, true)).toBe("default-src 'self'; sandbox; upgrade-insecure-requests");
    expect(renderCsp(directives, false)).toBe("default-src 'self'; sandbox");
  });
});

describe("memoizeValidity", () => {
  it("asks the validator once per distinct value and forgets beyond its bound", () => {
    const seen: string[] = [];
    const check = memoizeValidity((v) => (seen.push(v), v === "ok"));
    expect([check("ok"), check("ok"), check("bad"), check("bad")]).toEqual([true, true, false, false]);
    expect(seen).toEqual(["ok", "bad"]);
    for (let i = 0; i < 100; i++) check(`v${i}`);
    check("ok");
    expect(seen.filter((v) => v === "ok")).toHaveLength(2);
  });
});
