// The strip-version action: product names kept, versions dropped, for every value an origin may send.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyHeaders, strippedValue } from "../../../src/core/headers/apply-headers.js";
import { parsePolicy } from "../../../src/core/policy/parse-policy.js";
import { planHeaders } from "../../../src/core/policy/plan-headers.js";
import { isVersionFree, stripVersion, VERSION_HEADERS } from "../../../src/core/headers/strip-version.js";
import { fuzzParameters } from "../../fuzz-config.js";
import { compile } from "../support.js";

describe("stripVersion", () => {
  it.each([
    ["Server", "nginx/1.24.0 (Ubuntu)", "nginx"],
    ["Server", "Apache/2.4.57 (Debian) OpenSSL/3.0.11 mod_perl/2.0.12", "Apache OpenSSL mod_perl"],
    ["Server", "Microsoft-IIS/10.0", "Microsoft-IIS"],
    ["Server", "Jetty(9.4.43.v20210629)", "Jetty"],
    ["Server", "WEBrick/1.8.1 (Ruby/3.2.2/2023-03-30)", "WEBrick"],
    ["Server", "Python/3.11 aiohttp/3.9.1", "Python aiohttp"],
    ["Server", "gunicorn", "gunicorn"],
    ["Server", "cloudflare", "cloudflare"],
    ["Server", "nginx 1.2", "nginx"],
    ["Server", "ECS (dcb/7F84) (nested (deep) comment \\) still)", "ECS"],
    ["X-Generator", "Drupal 10 (https://www.drupal.org)", "Drupal"],
    ["X-Generator", "WordPress 6.4.2", "WordPress"],
    ["X-Mod-Pagespeed", "1.13.35.2-0", ""],
    ["Via", "1.1 varnish (Varnish/6.0), 1.1 vegur", "1.1 varnish, 1.1 vegur"],
    ["Via", "HTTP/1.1 proxy.example:8080 (squid/5.7)", "HTTP/1.1 proxy.example:8080"],
  ])("%s: %s → %s", (name, value, stripped) => {
    expect(stripVersion(name, value)).toBe(stripped);
    expect(isVersionFree(name, value)).toBe(value === stripped);
  });

  it("leaves nothing to strip in its own output, and adds no token the origin did not send", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...VERSION_HEADERS),
        fc.string({ unit: fc.constantFrom("a", "Z", "1", ".", "/", "(", ")", "\\", " ", ",", "v", "-") }),
        (name, value) => {
          const stripped = stripVersion(name, value);
          expect(isVersionFree(name, stripped)).toBe(true);
          expect(stripVersion(name, stripped)).toBe(stripped);
          if (name !== "Via") for (const token of stripped.split(" ").filter(Boolean)) expect(value).toContain(token);
        },
      ),
      fuzzParameters(500),
    );
  });
});

describe("the built-in defaults", () => {
  const policy = compile();

  function served(origin: [string, string][]): Headers {
    const headers = new Headers(origin);
    applyHeaders(headers, planHeaders(policy, { https: true, path: "/", contentType: "text/html" }).ops);
    return headers;
  }

  it("send Server: nginx for an nginx/1.24.0 (Ubuntu) origin", () => {
    expect(served([["Server", "nginx/1.24.0 (Ubuntu)"]]).get("server")).toBe("nginx");
  });

  it("drop a header that names nothing but a version, and add none the origin did not send", () => {
    const headers = served([["X-Page-Speed", "1.13.35.2"]]);
    expect(headers.has("x-page-speed")).toBe(false);
    for (const name of VERSION_HEADERS) expect(headers.has(name)).toBe(false);
  });

  it("leave a version-free value byte for byte, spacing included", () => {
    expect(served([["Server", "Apache  Coyote"]]).get("server")).toBe("Apache  Coyote");
  });
});

describe("the strip-version action in a document", () => {
  it("takes no value", () => {
    const parsed = parsePolicy({ headers: { Server: { action: "strip-version", value: "nginx" } } });
    expect(parsed.ok ? [] : parsed.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "headers.Server.value: no value with action strip-version",
    ]);
  });

  it("is undone by a later layer that owns the header another way", () => {
    const headers = new Headers([["Server", "nginx/1.24.0"]]);
    applyHeaders(headers, planHeaders(compile([{ headers: { Server: null } }]), { https: true, path: "/", contentType: "text/html" }).ops);
    expect(headers.get("server")).toBe("nginx/1.24.0");
  });
});

describe("strippedValue (the per-value memo the Worker uses)", () => {
  it("gives what the parse gives, for every sequence of values, repeated or not, under each header", () => {
    const names = ["Server", "Via", "X-Generator"];
    const values = fc.constantFrom("nginx/1.24.0", "nginx", "1.1 varnish (Varnish/6.0)", "Drupal 10", "gunicorn", "2.0", "");
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...names), fc.oneof(values, fc.string())), { maxLength: 30 }), (seen) => {
        for (const [name, value] of seen) {
          const key = name.toLowerCase();
          const direct = isVersionFree(key, value) ? null : stripVersion(key, value);
          expect(strippedValue(key, value)).toBe(direct);
        }
      }),
      fuzzParameters(200),
    );
  });
});
