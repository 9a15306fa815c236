// Fuzzing request URLs: the origin request always goes to the configured origin with the client's parsed path and query, and every path gets one canonical form or is refused, never an error.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveOriginUrl } from "../../../src/core/origin/origin-url.js";
import { parseEnv, type OriginTarget } from "../../../src/core/policy/parse-env.js";
import { canonicalPath } from "../../../src/core/policy/canonical-path.js";
import { compilePathIndex, pathPatternProblem } from "../../../src/core/policy/match-path.js";
import { binaryString, parsedPathAndQuery, PATH_SEGMENTS, requestTail } from "../../fuzz-arbitraries.js";
import { fuzzParameters } from "../../fuzz-config.js";

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
    fc
      .array(
        fc.oneof(
          fc.constantFrom(...PATH_SEGMENTS, "%2", "%%2f", "%252f", "%5", "%2F", "%5C", "..", ".", ";x", "\\", "//", "%C0%AF", "%E2%84%AA"),
          fc.string({ maxLength: 3 }),
        ),
        { maxLength: 12 },
      )
      .map((s) => s.join("")),
  );

  it("never throws, and gives paths that start with / and hold no NUL or empty segment, or a reason", () => {
    fc.assert(
      fc.property(hostile, fc.boolean(), (path, foldCase) => {
        const result = canonicalPath(path, foldCase);
        if (!result.ok) {
          expect(result.reason.length).toBeGreaterThan(0);
          return;
        }
        for (const path of [result.path, ...result.readings.map((r) => r.path)]) {
          expect(path.startsWith("/")).toBe(true);
          expect(path).not.toMatch(/\u0000|\/\/|\\/);
        }
      }),
      fuzzParameters(800),
    );
  });

  it("is idempotent: a canonical path is its own canonical form", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostile,
          clientUrl.map((raw) => new URL(raw).pathname),
        ),
        fc.boolean(),
        (path, foldCase) => {
          const once = canonicalPath(path, foldCase);
          if (!once.ok) return;
          const twice = canonicalPath(once.path, foldCase);
          expect(twice).toMatchObject({ ok: true, path: once.path });
        },
      ),
      fuzzParameters(800),
    );
  });
});

/**
 * Spellings of a page. A page is a path of plain segments; a spelling is that path after any of the
 * transformations an origin undoes: letter case, percent-encoding any character (/ included), ;params,
 * repeated or backslash separators, trailing dots and spaces, and `.` / `x/..` segments. The property is
 * the issue's: a spelling matches exactly the rules its page matches, or it is refused.
 */
describe("every spelling of a page matches the page's rules, or is refused", () => {
  const SEGMENTS = ["admin", "embed", "users", "42", "settings", "app.js", "café", "straße", "a-b_c~d", "x"] as const;

  const pattern = fc
    .tuple(fc.array(fc.constantFrom(...SEGMENTS, ":id"), { minLength: 0, maxLength: 3 }), fc.constantFrom("", "", "/", "/*", "/*.js"))
    .map(([segments, end]) => `/${segments.join("/")}${segments.length === 0 && end !== "" ? end.slice(1) : end}`)
    .filter((p) => pathPatternProblem(p) === undefined);

  const page = fc
    .tuple(fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 4 }), fc.boolean())
    .map(([segments, slash]) => ({ segments, slash }));

  type SegmentSpelling = { upper: boolean[]; encode: boolean[]; lowerHex: boolean; param: string; trailing: string; separator: string };
  type Disputed = { encodedSeparator: string; dots: string };

  /** How one segment is spelled: every field is something some origin undoes. */
  const segmentSpelling = fc.record({
    upper: fc.array(fc.boolean(), { maxLength: 8 }),
    encode: fc.array(fc.boolean(), { maxLength: 8 }),
    lowerHex: fc.boolean(),
    param: fc.constantFrom("", "", ";x", ";jsessionid=0A1B2C", ";", ";a=1;b=2", "%3Bx"),
    trailing: fc.constantFrom("", "", ".", "..", "%2e", "%20", ". ."),
    separator: fc.constantFrom("/", "/", "/", "//", "\\", "/\\/"),
  });
  /** Dot segments that lead back to where they started, in the spellings the URL parser resolves. */
  const NEUTRAL_DOTS = ["./", "%2e/", "%2E/", "x/../", "x;y/../", "X/%2e%2e/", "x/.%2E/", "%2e/x/%2E%2E/"] as const;
  /** Spellings only some origins undo, or only the URL parser does: encoded separators and dot segments. */
  const disputed = fc.record({
    encodedSeparator: fc.oneof(
      { weight: 6, arbitrary: fc.constant("") },
      { weight: 2, arbitrary: fc.constantFrom("%2F", "%2f", "%5C", "/%2F") },
    ),
    dots: fc.oneof({ weight: 6, arbitrary: fc.constant("") }, { weight: 2, arbitrary: fc.constantFrom(...NEUTRAL_DOTS) }),
  });

  function escape(ch: string, lowerHex: boolean): string {
    const hex = [...new TextEncoder().encode(ch)].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
    return lowerHex ? hex : hex.toUpperCase();
  }

  function spellSegment(segment: string, how: SegmentSpelling): string {
    const chars = [...segment].map((ch, i) => ((how.upper[i] ?? false) ? ch.toUpperCase() : ch));
    const text = chars.map((ch, i) => ((how.encode[i] ?? false) ? escape(ch, how.lowerHex) : ch)).join("");
    return `${text}${how.trailing}${how.param}`;
  }

  function spell(p: { segments: string[]; slash: boolean }, hows: readonly SegmentSpelling[], disputes: readonly Disputed[]): string {
    let out = "";
    p.segments.forEach((segment, i) => {
      const how = hows[i % Math.max(hows.length, 1)];
      const dispute = disputes[i % Math.max(disputes.length, 1)];
      const separator =
        dispute?.encodedSeparator !== "" && i > 0 && dispute !== undefined ? dispute.encodedSeparator : (how?.separator ?? "/");
      out += `${separator}${dispute?.dots ?? ""}${how === undefined ? segment : spellSegment(segment, how)}`;
    });
    return p.slash ? `${out}/` : out;
  }

  const pageOf = (p: { segments: string[]; slash: boolean }) => `/${p.segments.join("/")}${p.slash ? "/" : ""}`;
  const spellings = fc.array(segmentSpelling, { minLength: 1, maxLength: 4 });
  const disputes = fc.array(disputed, { minLength: 1, maxLength: 4 });
  /** Patterns at random, plus some made from the page's own segments, so that rules often match. */
  const rules = fc
    .tuple(
      fc.array(pattern, { minLength: 0, maxLength: 6 }),
      fc.array(fc.tuple(fc.nat(4), fc.constantFrom("", "/*", "/:id", "/")), { minLength: 1, maxLength: 4 }),
    )
    .map(([random, cuts]) => ({ random, cuts }));
  function patternsFor(r: { random: string[]; cuts: [number, string][] }, p: { segments: string[] }): string[] {
    const own = r.cuts.map(([cut, end]) => {
      const prefix = p.segments.slice(0, Math.min(cut, p.segments.length));
      return prefix.length === 0 ? (end === "" || end === "/" ? "/" : end) : `/${prefix.join("/")}${end}`;
    });
    return [...r.random, ...own].filter((x) => pathPatternProblem(x) === undefined);
  }

  function expectSameOrRefused(patterns: readonly string[], p: string, s: string, mayRefuse: boolean, caseSensitive = false): void {
    const index = compilePathIndex(patterns, { caseSensitive });
    const expected = index.route(p);
    expect(expected.ok, p).toBe(true);
    const actual = index.route(s);
    if (!actual.ok) {
      expect(mayRefuse, `${s} refused: ${actual.reason}`).toBe(true);
      return;
    }
    expect([actual.path, actual.rules], s).toEqual(expected.ok ? [expected.path, expected.rules] : []);
  }

  it("is not vacuous: spellings differ from their page, rules match them, disputed ones are refused only sometimes", () => {
    const samples = fc.sample(fc.tuple(rules, page, spellings, disputes), { seed: 1, numRuns: 400 });
    const count = { differ: 0, matched: 0, refused: 0, disputedMatched: 0 };
    for (const [r, p, hows, ds] of samples) {
      const index = compilePathIndex(patternsFor(r, p));
      const agreed = spell(p, hows, []);
      const route = index.route(agreed);
      if (agreed !== pageOf(p)) count.differ++;
      if (route.ok && route.rules.length > 0) count.matched++;
      const disputed = index.route(spell(p, hows, ds));
      if (!disputed.ok) count.refused++;
      else if (disputed.rules.length > 0) count.disputedMatched++;
    }
    expect(count.differ).toBeGreaterThan(300);
    expect(count.matched).toBeGreaterThan(200);
    expect(count.refused).toBeGreaterThan(30);
    expect(count.refused).toBeLessThan(350);
    expect(count.disputedMatched).toBeGreaterThan(100);
  });

  it("holds for any spelling, the disputed ones included (those may be refused)", () => {
    fc.assert(
      fc.property(rules, page, spellings, disputes, (r, p, hows, ds) => {
        expectSameOrRefused(patternsFor(r, p), pageOf(p), spell(p, hows, ds), true);
      }),
      fuzzParameters(1500),
    );
  });

  it("never refuses a spelling every origin undoes the same way", () => {
    fc.assert(
      fc.property(rules, page, spellings, (r, p, hows) => {
        expectSameOrRefused(patternsFor(r, p), pageOf(p), spell(p, hows, []), false);
        // A case-sensitive policy undoes everything but case.
        const sameCase = hows.map((how) => ({ ...how, upper: [] }));
        expectSameOrRefused(patternsFor(r, p), pageOf(p), spell(p, sameCase, []), false, true);
      }),
      fuzzParameters(1500),
    );
  });

  it("never refuses one that reaches the Worker through the URL parser, which resolves the dot segments", () => {
    const parsedDots = fc.record({ encodedSeparator: fc.constant(""), dots: fc.constantFrom("", ...NEUTRAL_DOTS) });
    fc.assert(
      fc.property(rules, page, spellings, fc.array(parsedDots, { minLength: 1, maxLength: 4 }), (r, p, hows, ds) => {
        const { pathname } = new URL(`https://www.example.com${spell(p, hows, ds)}`);
        expectSameOrRefused(patternsFor(r, p), pageOf(p), pathname, false);
      }),
      fuzzParameters(1500),
    );
  });

  it("leaves a canonical path as it is, in one scan, matching what the trie matches for it", () => {
    const canonicalPage = page.filter((p) => /^[\x21-\x7e]*$/.test(pageOf(p)) && pageOf(p) === pageOf(p).toLowerCase());
    fc.assert(
      fc.property(rules, canonicalPage, (r, p) => {
        const path = pageOf(p);
        const work = { chars: 0, builds: 0 };
        const index = compilePathIndex(patternsFor(r, p));
        const route = index.route(path, work);
        expect(work).toEqual({ chars: path.length, builds: 0 });
        expect(route).toMatchObject({ ok: true, path, rules: index.match(path) });
      }),
      fuzzParameters(500),
    );
  });
});
