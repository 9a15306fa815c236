// Applying plans to origin headers: each action, duplicates collapsed, invalid origin values replaced.

import { describe, expect, it } from "vitest";
import { applyHeaders } from "../../../src/core/headers/apply-headers.js";
import { planHeaders } from "../../../src/core/policy/plan-headers.js";
import type { CompiledPolicy } from "../../../src/core/policy/types.js";
import { compile, countOf, lines } from "../support.js";

/** Headers as an origin would send them: a list of lines, repeats allowed. */
function origin(...pairs: [string, string][]): Headers {
  const headers = new Headers();
  for (const [k, v] of pairs) headers.append(k, v);
  return headers;
}

function applied(policy: CompiledPolicy, headers: Headers, https = true): Headers {
  applyHeaders(headers, planHeaders(policy, { https, path: "/", contentType: "text/html" }).ops);
  return headers;
}

const defaults = compile();

describe("the default action", () => {
  it("adds the policy's value when the origin sent none", () => {
    expect(applied(defaults, origin()).get("x-frame-options")).toBe("DENY");
  });

  it("keeps the origin's valid value", () => {
    const h = applied(defaults, origin(["X-Frame-Options", "SAMEORIGIN"]));
    expect(h.get("x-frame-options")).toBe("SAMEORIGIN");
  });

  it("replaces an invalid origin value", () => {
    const h = applied(defaults, origin(["X-Frame-Options", "ALLOWALL"]));
    expect(h.get("x-frame-options")).toBe("DENY");
  });

  it("replaces two conflicting origin lines with the policy's one value", () => {
    const h = applied(defaults, origin(["X-Frame-Options", "DENY"], ["X-Frame-Options", "SAMEORIGIN"]));
    expect(h.get("x-frame-options")).toBe("DENY");
    expect(countOf(h, "x-frame-options")).toBe(1);
  });

  it("replaces a single line carrying two values", () => {
    const h = applied(defaults, origin(["X-Frame-Options", "DENY, SAMEORIGIN"]));
    expect(h.get("x-frame-options")).toBe("DENY");
  });

  it("keeps a valid origin list collapsed to one line", () => {
    const h = applied(defaults, origin(["Referrer-Policy", "no-referrer"], ["Referrer-Policy", "strict-origin"]));
    expect(h.get("referrer-policy")).toBe("no-referrer, strict-origin");
    expect(countOf(h, "referrer-policy")).toBe(1);
  });

  it("keeps the origin's working CSP and replaces one with no real directive", () => {
    const own = "script-src 'self' https://cdn.example.com";
    expect(applied(defaults, origin(["Content-Security-Policy", own])).get("content-security-policy")).toBe(own);
    const junk = applied(defaults, origin(["Content-Security-Policy", "nonsense"])).get("content-security-policy");
    expect(junk).toContain("default-src 'self'");
  });

  it("replaces an origin HSTS without max-age, and one with a repeated directive", () => {
    for (const bad of ["includeSubDomains", "max-age=1; max-age=2"]) {
      const h = applied(defaults, origin(["Strict-Transport-Security", bad]));
      expect(h.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
    }
  });
});

describe("the set action", () => {
  const policy = compile([
    { headers: { "X-Frame-Options": { action: "set" }, "Cross-Origin-Opener-Policy": { value: "same-origin", action: "set" } } },
  ]);

  it("replaces the origin's valid value", () => {
    const h = applied(policy, origin(["X-Frame-Options", "SAMEORIGIN"]));
    expect(h.get("x-frame-options")).toBe("DENY");
  });

  it("writes exactly one line", () => {
    const h = applied(policy, origin(["Cross-Origin-Opener-Policy", "unsafe-none"], ["Cross-Origin-Opener-Policy", "same-origin"]));
    expect(h.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(countOf(h, "cross-origin-opener-policy")).toBe(1);
  });
});

describe("the append action", () => {
  const policy = compile([
    {
      headers: {
        "Permissions-Policy": { value: "geolocation=(), payment=()", action: "append" },
        "Cache-Control": { value: "no-transform", action: "append" },
      },
    },
  ]);

  it("adds the policy's items the origin lacks, in one line", () => {
    const h = applied(policy, origin(["Cache-Control", "public, max-age=60"]));
    expect(h.get("cache-control")).toBe("public, max-age=60, no-transform");
  });

  it("does not repeat an item the origin already has", () => {
    const h = applied(policy, origin(["Cache-Control", "No-Transform"]));
    expect(h.get("cache-control")).toBe("No-Transform");
  });

  it("keeps the origin's member of a dictionary and adds only new keys", () => {
    const h = applied(policy, origin(["Permissions-Policy", 'geolocation=(self "https://maps.example.com")']));
    expect(h.get("permissions-policy")).toBe('geolocation=(self "https://maps.example.com"), payment=()');
  });

  it("writes the policy's value when the origin has none", () => {
    expect(applied(policy, origin()).get("permissions-policy")).toBe("geolocation=(), payment=()");
  });

  it("replaces an origin value that is not valid", () => {
    const h = applied(policy, origin(["Permissions-Policy", "geolocation=(self"]));
    expect(h.get("permissions-policy")).toBe("geolocation=(), payment=()");
  });

  it("merges two origin lines into one", () => {
    const h = applied(policy, origin(["Cache-Control", "public"], ["Cache-Control", "max-age=60"]));
    expect(h.get("cache-control")).toBe("public, max-age=60, no-transform");
    expect(countOf(h, "cache-control")).toBe(1);
  });
});

describe("the remove action", () => {
  it("strips the leak headers", () => {
    const h = applied(defaults, origin(["X-Powered-By", "Express"], ["X-AspNet-Version", "4.0.30319"], ["x-aspnetmvc-version", "5.2"]));
    expect(h.has("x-powered-by")).toBe(false);
    expect(h.has("x-aspnet-version")).toBe(false);
    expect(h.has("x-aspnetmvc-version")).toBe(false);
  });
});

describe("https gating", () => {
  it("sends HSTS over https", () => {
    expect(applied(defaults, origin(), true).get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
  });

  it("sends no HSTS over http, and removes the origin's", () => {
    expect(applied(defaults, origin(), false).has("strict-transport-security")).toBe(false);
    const h = applied(defaults, origin(["Strict-Transport-Security", "max-age=600"]), false);
    expect(h.has("strict-transport-security")).toBe(false);
  });
});

describe("what the policy does not own", () => {
  it("leaves other headers and their order alone, and Set-Cookie lines apart, each with the defaults' attributes appended", () => {
    const h = origin(
      ["Content-Type", "text/html"],
      ["Set-Cookie", "a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT"],
      ["Set-Cookie", "b=2"],
      ["ETag", '"v1"'],
    );
    applied(defaults, h);
    expect(h.getSetCookie()).toEqual(["a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Secure", "b=2; Secure"]);
    expect(h.get("etag")).toBe('"v1"');
    expect(h.get("content-type")).toBe("text/html");
  });

  it("never leaves an owned header on two lines, whatever the origin sent", () => {
    const h = origin(
      ["X-Content-Type-Options", "nosniff"],
      ["X-Content-Type-Options", "nosniff"],
      ["Content-Security-Policy", "default-src 'self'"],
      ["Content-Security-Policy", "img-src *"],
      ["Permissions-Policy", "camera=()"],
      ["Permissions-Policy", "camera=()"],
    );
    applied(defaults, h);
    for (const op of defaults.base.https.ops) expect(countOf(h, op.name)).toBeLessThanOrEqual(1);
    expect(lines(h).filter(([k]) => k === "x-content-type-options")).toEqual([["x-content-type-options", "nosniff"]]);
  });
});
