// ALLOWED_HOSTS: what an entry means, which request hosts it lets through, and that nothing else gets through.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isAllowedHost, parseAllowedHosts, type AllowedHosts } from "../../../src/core/origin/allowed-hosts.js";
import type { PolicyIssue } from "../../../src/core/shared/result.js";
import { fuzzParameters } from "../../fuzz-config.js";

function parse(raw: unknown): { hosts: AllowedHosts | undefined; issues: PolicyIssue[] } {
  const issues: PolicyIssue[] = [];
  return { hosts: parseAllowedHosts(raw, issues), issues };
}

function allows(raw: unknown, url: string): boolean {
  const { hosts } = parse(raw);
  if (hosts === undefined) throw new Error("expected a list");
  return isAllowedHost(hosts, new URL(url));
}

describe("parseAllowedHosts", () => {
  it("is undefined when unset or blank", () => {
    expect(parse(undefined)).toEqual({ hosts: undefined, issues: [] });
    expect(parse("  ")).toEqual({ hosts: undefined, issues: [] });
  });

  it("reads a string separated by commas and spaces, or an array, normalising each host", () => {
    const fromString = parse("WWW.Example.com, *.example.com  example.com:8443,bücher.example,example.org.:443");
    expect(fromString.issues).toEqual([]);
    expect([...(fromString.hosts?.exact ?? [])]).toEqual(["www.example.com", "example.com:8443", "xn--bcher-kva.example", "example.org"]);
    expect(fromString.hosts?.suffixes).toEqual([".example.com"]);
    expect(parse(["www.example.com", "*.example.net:8080"]).hosts).toMatchObject({ suffixes: [".example.net:8080"] });
  });

  it.each([
    ["https://www.example.com", 0],
    ["www.example.com/", 0],
    ["user@www.example.com", 0],
    ["*", 0],
    ["*.", 0],
    ["*.*.example.com", 0],
    ["a.*.example.com", 0],
    ["*.127.0.0.1", 0],
    ["*.[::1]", 0],
    ["example.com:99999", 0],
    [".", 0],
  ])("drops the entry %j with an issue naming its index, and keeps the others", (entry, index) => {
    const { hosts, issues } = parse([entry, "www.example.com"]);
    expect(issues.map((i) => i.path)).toEqual([`ALLOWED_HOSTS[${index}]`]);
    expect(issues[0]?.received).toBe(JSON.stringify(entry));
    expect([...(hosts?.exact ?? [])]).toEqual(["www.example.com"]);
    expect(hosts?.suffixes).toEqual([]);
  });

  it("serves no host when the binding is of the wrong type, rather than every host", () => {
    const { hosts, issues } = parse({ host: "www.example.com" });
    expect(issues.map((i) => i.path)).toEqual(["ALLOWED_HOSTS"]);
    expect(hosts?.exact.size).toBe(0);
    expect(hosts?.suffixes).toEqual([]);
    expect(isAllowedHost(hosts ?? { exact: new Set(), suffixes: [], listed: [] }, new URL("https://www.example.com/"))).toBe(false);
  });
});

describe("isAllowedHost", () => {
  it("serves a listed host on the standard ports, in any case, with or without the DNS root dot", () => {
    for (const url of [
      "https://www.example.com/",
      "http://www.example.com/",
      "https://WWW.EXAMPLE.COM./x",
      "http://www.example.com:443/",
      "https://www.example.com:80/",
    ]) {
      expect(allows("www.example.com", url), url).toBe(true);
    }
  });

  it("refuses a listed host on any other port unless that port is listed", () => {
    expect(allows("www.example.com", "https://www.example.com:8443/")).toBe(false);
    expect(allows("www.example.com:8443", "https://www.example.com:8443/")).toBe(true);
    expect(allows("www.example.com:8443", "https://www.example.com/")).toBe(false);
    expect(allows("127.0.0.1:8787", "http://127.0.0.1:8788/")).toBe(false);
    expect(allows("localhost", "http://localhost:9000/")).toBe(false);
  });

  it("serves subdomains at any depth for *., but not the apex or look-alikes", () => {
    expect(allows("*.example.com", "https://a.example.com/")).toBe(true);
    expect(allows("*.example.com", "https://a.b.example.com/")).toBe(true);
    expect(allows("*.example.com", "https://example.com/")).toBe(false);
    expect(allows("*.example.com", "https://badexample.com/")).toBe(false);
    expect(allows("*.example.com", "https://a.example.com.evil.test/")).toBe(false);
    expect(allows("*.example.com", "https://a.example.com:8443/")).toBe(false);
  });

  it("matches an IDN however it is written", () => {
    expect(allows("bücher.example", "https://xn--bcher-kva.example/")).toBe(true);
    expect(allows("xn--bcher-kva.example", "https://BÜCHER.example/")).toBe(true);
  });

  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
  /** A DNS name of 1 to 3 labels under .test. */
  const hostName = fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => [...labels, "test"].join("."));
  const port = fc.oneof(
    fc.constantFrom("", ":80", ":443", ":8443"),
    fc.integer({ min: 1, max: 65535 }).map((p) => `:${p}`),
  );

  it("serves exactly the listed host and port, and no other host or port, however the request spells it", () => {
    fc.assert(
      fc.property(
        hostName,
        port,
        fc.option(hostName, { freq: 2 }),
        port,
        fc.boolean(),
        fc.boolean(),
        (listed, listedPort, other, askedPort, upper, dot) => {
          // Half the time the request names the listed host itself, on some port.
          const asked = other ?? listed;
          const norm = (p: string): string => (p === ":80" || p === ":443" ? "" : p);
          const spelled = `${upper ? asked.toUpperCase() : asked}${dot ? "." : ""}${askedPort}`;
          const expected = asked === listed && norm(askedPort) === norm(listedPort);
          expect(allows(`${listed}${listedPort}`, `https://${spelled}/`)).toBe(expected);
        },
      ),
      fuzzParameters(1000),
    );
  });

  it("serves a host under a wildcard only when its name ends in a dot and the listed domain", () => {
    fc.assert(
      fc.property(hostName, fc.array(label, { maxLength: 2 }), fc.option(hostName, { freq: 2 }), (domain, prefix, other) => {
        // Half the time a name built under the domain (none of it when prefix is empty: the apex).
        const asked = other ?? [...prefix, domain].join(".");
        expect(allows(`*.${domain}`, `https://${asked}/`)).toBe(asked.endsWith(`.${domain}`));
      }),
      fuzzParameters(1000),
    );
  });
});
