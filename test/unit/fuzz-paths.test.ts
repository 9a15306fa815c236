// Fuzzing request URLs: the origin request always goes to the configured origin with the client's parsed path and query, and every path gets one canonical form or is refused, never an error.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveOriginUrl } from "../../src/core/origin-url.js";
import { parseEnv, type OriginTarget } from "../../src/core/parse-env.js";
import { canonicalPath } from "../../src/core/canonical-path.js";
import { binaryString, parsedPathAndQuery, PATH_SEGMENTS, requestTail } from "../fuzz-arbitraries.js";
import { fuzzParameters } from "../fuzz-config.js";

/** The authority a client's URL may carry: ports, an empty userinfo, IPs, a trailing dot, unicode. */
const clientAuthority = fc.constantFrom(
  "www.example.com",
  "www.example.com:8443",
  "www.example.com:443",
  "@www.example.com",
  "WWW.EXAMPLE.COM.",
  "127.0.0.1:8787",
  "[::1]:8787",
  "bücher.example",
  "xn--bcher-kva.example",
);

const clientUrl = fc
  .tuple(fc.constantFrom("https:", "http:", "HTTPS:"), clientAuthority, requestTail())
  .map(([scheme, authority, tail]) => `${scheme}//${authority}${tail}`);

/**
 * A client URL with credentials. A browser never sends one (the request line carries a path), but workerd's
 * Request accepts such a URL, and resolveOriginUrl has a branch for them: held to the same contract.
 */
const clientUrlWithCredentials = fc
  .tuple(fc.constantFrom("user:pass@", "user@", ":pass@", "us%40er:p%3Ass@"), requestTail(64))
  .map(([credentials, tail]) => `https://${credentials}www.example.com${tail}`);

/** ORIGIN_URL values as an operator might write them; parseEnv decides which are valid. */
const originBinding = fc
  .tuple(
    fc.constantFrom("http://", "https://", "HTTPS://", " https://"),
    fc.constantFrom(
      "origin.example.com",
      "ORIGIN.Example.COM",
      "origin.example.com.",
      "127.0.0.1",
      "0x7f.1",
      "[::1]",
      "[2001:db8::1]",
      "[::ffff:127.0.0.1]",
      "localhost",
      "bücher.example",
      "xn--bcher-kva.example",
    ),
    fc.constantFrom("", ":80", ":443", ":8080", ":65535", ":0", ":08080"),
    fc.constantFrom("", "/", "/ "),
  )
  .map(([scheme, host, port, end]) => `${scheme}${host}${port}${end}`);

function targetOf(binding: string): OriginTarget {
  return parseEnv({ ORIGIN_URL: binding }).config.origin;
}

describe("the generators", () => {
  it("produce configured origins that validate, so the origin property is not vacuous", () => {
    const origins = fc.sample(originBinding, { seed: 1, numRuns: 300 });
    expect(origins.filter((o) => targetOf(o).kind === "url").length).toBeGreaterThan(200);
  });

  it("produce client URLs that all parse", () => {
    for (const raw of fc.sample(clientUrl, { seed: 1, numRuns: 300 })) expect(() => new URL(raw)).not.toThrow();
  });
});

describe("resolveOriginUrl", () => {
  it("goes to the configured origin, exactly, with the path and query the parser made of the client's URL", () => {
    fc.assert(
      fc.property(clientUrl, originBinding, (raw, binding) => {
        const target = targetOf(binding);
        if (target.kind !== "url") return;
        const url = new URL(raw);
        const resolved = resolveOriginUrl(url, target);
        expect(resolved).not.toBeNull();
        const sent = new URL(resolved ?? "");
        const configured = new URL(binding.trim());
        expect(sent.protocol).toBe(configured.protocol);
        expect(sent.host).toBe(configured.host);
        expect(sent.username).toBe("");
        expect(sent.password).toBe("");
        expect(parsedPathAndQuery(sent)).toBe(parsedPathAndQuery(url));
        // The string sent is already in parsed form: a second parse changes nothing.
        expect(sent.href).toBe(resolved);
      }),
      fuzzParameters(600),
    );
  });

  it("stays on the request's own host in route mode", () => {
    fc.assert(
      fc.property(clientUrl, (raw) => {
        const url = new URL(raw);
        const resolved = resolveOriginUrl(url, { kind: "route" });
        const sent = new URL(resolved ?? "");
        expect(sent.protocol).toBe(url.protocol);
        expect(sent.host).toBe(url.host);
        expect(parsedPathAndQuery(sent)).toBe(parsedPathAndQuery(url));
      }),
      fuzzParameters(300),
    );
  });
});

describe("resolveOriginUrl with credentials in the client's URL", () => {
  it("drops them and keeps the path and query exactly, a bare ? included", () => {
    fc.assert(
      fc.property(clientUrlWithCredentials, fc.constantFrom("https://origin.example.com", ""), (raw, binding) => {
        const url = new URL(raw);
        const sent = new URL(resolveOriginUrl(url, targetOf(binding)) ?? "");
        expect(sent.host).toBe(binding === "" ? url.host : "origin.example.com");
        expect(sent.username).toBe("");
        expect(sent.password).toBe("");
        expect(parsedPathAndQuery(sent)).toBe(parsedPathAndQuery(url));
      }),
      fuzzParameters(200),
    );
  });
});

describe("canonicalPath on any input", () => {
  const hostile = fc.oneof(
    binaryString(40),
    fc.array(fc.oneof(fc.constantFrom(...PATH_SEGMENTS, "%2", "%%2f", "%252f", "%5", "%2F", "%5C", "..", ".", ";x", "\\", "//", "%C0%AF", "%E2%84%AA"), fc.string({ maxLength: 3 })), { maxLength: 12 }).map((s) => s.join("")),
  );

  it("never throws, and gives a path that starts with / and holds no control character, or a reason", () => {
    fc.assert(
      fc.property(hostile, fc.boolean(), (path, foldCase) => {
        const result = canonicalPath(path, foldCase);
        if (!result.ok) {
          expect(result.reason.length).toBeGreaterThan(0);
          return;
        }
        expect(result.path.startsWith("/")).toBe(true);
        // eslint-disable-next-line no-control-regex -- what must never come out
        expect(result.path).not.toMatch(/[\u0000-\u001f\u007f]|\/\/|\\/);
      }),
      fuzzParameters(800),
    );
  });

  it("is idempotent: a canonical path is its own canonical form", () => {
    fc.assert(
      fc.property(fc.oneof(hostile, clientUrl.map((raw) => new URL(raw).pathname)), fc.boolean(), (path, foldCase) => {
        const once = canonicalPath(path, foldCase);
        if (!once.ok) return;
        const twice = canonicalPath(once.path, foldCase);
        expect(twice).toMatchObject({ ok: true, path: once.path });
      }),
      fuzzParameters(800),
    );
  });
});
