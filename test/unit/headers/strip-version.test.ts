// The strip-version action: product names kept, versions dropped, for every value an origin may send.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyHeaders, strippedValue } from "../../../src/core/headers/apply-headers.js";
import { parsePolicy } from "../../../src/core/policy/parse-policy.js";
import { planHeaders } from "../../../src/core/policy/plan-headers.js";
import { isVersionFree, isVersionToken, stripVersion, VERSION_HEADERS } from "../../../src/core/headers/strip-version.js";
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
    // The red team's round 3: versions after a dash or in Via's received-by, names that start with a digit.
    ["Server", "nginx-1.24.0", "nginx"],
    ["Server", "Apache-2.4.1", "Apache"],
    ["Server", "Oracle-HTTP-Server-11g", "Oracle-HTTP-Server"],
    ["Server", "3Com", "3Com"],
    ["Server", "4D_v17", "4D"],
    ["Server", "nginx/1.24.0 (Ubuntu); php 8", "nginx; php"],
    ["Server", "Apache-Coyote/1.1", "Apache-Coyote"],
    ["Server", "Node.js v18.0.0", "Node.js"],
    ["Via", "1.1 squid/3.5", "1.1 squid"],
    ["Via", "2 nginx/1.24.0", "2 nginx"],
    ["Via", "1.1 nginx-1.24.0, 1.1 edge-01, 1.0 10.0.0.1:3128", "1.1 nginx, 1.1 edge-01, 1.0 10.0.0.1:3128"],
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
          if (name !== "Via") for (const token of stripped.split(/[\s,;]+/).filter(Boolean)) expect(value).toContain(token);
        },
      ),
      fuzzParameters(500),
    );
  });
});

describe("version tokens", () => {
  it.each(["1.24.0", "v18", "V2", "10", "11g", "1.1.1k", "1.13.35.2-0", "2.0-rc1", "9.4.43.v20210629", "5.2.3.RELEASE", "2023-03-30"])(
    "%s is a version",
    (token) => expect(isVersionToken(token)).toBe(true),
  );
  it.each(["3Com", "4D", "4D_v17", "nginx", "v", "AmazonS3", "1.x", "2fast"])("%s is not a version", (token) => {
    expect(isVersionToken(token)).toBe(false);
  });
});

/** A product name: starts with a letter other than v, or is a digit and a capitalised word (`3Com`). */
const productName = fc.stringMatching(/^(?:[A-UW-Za-uw-z][A-Za-z0-9]{0,6}|\d[A-Z][a-z]{1,4})(?:[-_][A-UW-Za-uw-z][A-Za-z0-9]{0,5})?$/);
const version = fc.stringMatching(/^v?\d{1,3}(?:\.\d{1,3}){0,3}[a-z]?(?:-(?:rc\d|beta|0))?$/);

describe("stripVersion on generated values", () => {
  it("keeps every product name, in order, and nothing else, however the versions are attached", () => {
    const product = fc.tuple(productName, version, fc.constantFrom("/", "-", "_", " ", " (", "")).map(([name, v, how]) => ({
      name,
      text: how === "" ? name : how === " (" ? `${name} (${v}; Linux)` : `${name}${how}${v}`,
    }));
    fc.assert(
      fc.property(
        fc.constantFrom("Server", "X-Generator"),
        fc.array(product, { minLength: 1, maxLength: 5 }),
        fc.constantFrom(" ", "; ", ", "),
        (header, products, join) => {
          const stripped = stripVersion(header, products.map((p) => p.text).join(join));
          expect(stripped.split(/[\s,;]+/)).toEqual(products.map((p) => p.name));
          expect(stripped).not.toMatch(/\d\.\d/);
        },
      ),
      fuzzParameters(500),
    );
  });

  it("keeps every Via hop's protocol and host, and drops the software's versions", () => {
    const host = fc.oneof(
      fc.stringMatching(/^[a-z][a-z0-9]{0,8}(?:\.[a-z][a-z0-9]{0,5}){0,2}(?::\d{2,5})?$/),
      fc.stringMatching(/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d{2,5})?$/),
    );
    const hop = fc
      .tuple(fc.constantFrom("1.1", "2", "HTTP/1.1"), host, version, fc.constantFrom("/", " (", ""))
      .map(([protocol, by, v, how]) => ({
        kept: `${protocol} ${by}`,
        text: how === "" ? `${protocol} ${by}` : how === "/" ? `${protocol} ${by}/${v}` : `${protocol} ${by} (squid/${v})`,
      }));
    fc.assert(
      fc.property(fc.array(hop, { minLength: 1, maxLength: 4 }), (hops) => {
        expect(stripVersion("Via", hops.map((h) => h.text).join(", "))).toBe(hops.map((h) => h.kept).join(", "));
      }),
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
