// The nonce marker is a secret: no public default, a length and variety that make guessing hopeless, one
// marker per site (from the policy or NONCE_MARKER), and its value never shown in an issue.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy, type PolicySource } from "../../../src/core/policy/compile-policy.js";
import { MISSING_MARKER } from "../../../src/core/policy/merge-layer.js";
import { forwardedHeadersToDrop, matchMarkerScope } from "../../../src/core/nonce/marker-scope.js";
import { createMarker, markerProblem, PUBLISHED_MARKERS } from "../../../src/core/nonce/nonce-marker.js";
import { parseEnv } from "../../../src/core/policy/parse-env.js";
import { parsePolicy } from "../../../src/core/policy/parse-policy.js";
import { fuzzParameters } from "../../fuzz-config.js";
import { doc } from "../support.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const HOWTO = "draw one with `npx security-headers-worker marker`";
const PUBLISHED = `a secret marker of your own: this one is published in this project's docs, so an attacker can write it into an injected script too (${HOWTO})`;
const SHORT = `a secret marker of at least 32 characters, random like a password (${HOWTO})`;
const weak = (why: string) => `a random marker, not one made up by hand: this one has ${why} (${HOWTO})`;

function issues(document: unknown) {
  const result = parsePolicy(document);
  return result.ok ? [] : result.issues;
}

function sources(...documents: unknown[]): PolicySource[] {
  return documents.map((d, i) => ({ from: i === 0 ? "POLICY" : "KV", document: doc(d) }));
}

describe("a marker in the policy", () => {
  it("refuses the old public default __CSP_NONCE__, saying it is published", () => {
    expect(issues({ nonce: { mode: "marked", marker: "__CSP_NONCE__" } })).toEqual([
      { path: "nonce.marker", message: PUBLISHED, received: "(secret, 13 characters)" },
    ]);
  });

  it("refuses a marker under 32 characters (the CLI's `marker` draws 32), on a rule too", () => {
    const marker = createMarker().slice(0, 31);
    expect(issues({ rules: [{ path: "/app/*", nonce: { marker } }] })).toEqual([
      { path: "rules[0].nonce.marker", message: SHORT, received: "(secret, 31 characters)" },
    ]);
  });

  // The red team's weak markers (22 to 27 characters, all accepted before) and longer ones of the same kinds.
  it.each([
    "abcdefghijklmnopqrstuv",
    "0123456789abcdefghijkl",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "my-site-csp-nonce-marker",
    "example-com-csp-marker",
    "CSP_NONCE_MARKER_SECRET_1",
    "PLACEHOLDER_NONCE_VALUE_123",
    "aaaaaaaaaaaaaabcdefghijk",
    "abcdefghijabcdefghijabcX",
  ])("refuses the short weak marker %s", (marker) => {
    expect(markerProblem(marker)).toBe(SHORT);
  });

  it.each([
    ["no mix of capitals, small letters and digits", "my-site-csp-nonce-marker-for-www-example-com"],
    ["no mix of capitals, small letters and digits", "PLACEHOLDER_NONCE_VALUE_FOR_THE_SITE_123".toLowerCase()],
    ["fewer than 16 different characters", "Ab1Ab2Ab3Ab4Cd1Cd2Cd3Cd4Ef1Ef2Ef3Ef4"],
    ["a short pattern repeated", "Zk3-Qw9_xRt5Yp2Mn8".repeat(2)],
    ["a run of 4 or more repeated or consecutive characters", "Kq3vX9pLmN2rT5wYzB8cD1fGhJ4saaaa"],
    ["a run of 4 or more repeated or consecutive characters", "Kq3vX9pLmN2rT5wYzB8cD1fGhJ4s6789"],
    ["a run of 4 or more repeated or consecutive characters", "Kq3vX9pLmN2rT5wYzB8cD1fGhJ4szyxw"],
    ["a word in it", "Kq3vX9pLmN2rT5wYzB8cD1fGhJ4sSecret"],
    ["a word in it", "MyWebsiteHasAVeryGoodSecret2026x"],
    ["long runs of small or capital letters, as words have", "MyFriendlyHorseIsBrownAndFluffy2026x"],
    ["long runs of small or capital letters, as words have", "THEBIGBROWNFOXJUMPSOVERLAZYDOG1a2b"],
  ])("refuses a marker made up by hand: %s (%s)", (why, marker) => {
    expect(issues({ nonce: { marker } })).toEqual([
      { path: "nonce.marker", message: weak(why), received: `(secret, ${marker.length} characters)` },
    ]);
  });

  it("refuses characters a nonce attribute would need escaped, and markers over 64 characters", () => {
    expect(markerProblem(`${createMarker()}"x`)).toBe(
      "a marker of letters, digits, _ and - only (it is written as a nonce attribute's value)",
    );
    expect(markerProblem(createMarker() + createMarker() + "x")).toBe("a marker of at most 64 characters");
  });

  it("accepts every marker createMarker draws, drawing again when a draw looks made up", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 24, maxLength: 24 }), (bytes) => {
        let draws = 0;
        const random = (out: Uint8Array): Uint8Array => (draws++ === 0 ? bytes.slice() : crypto.getRandomValues(out));
        const marker = createMarker(random);
        expect(markerProblem(marker)).toBeUndefined();
        expect(marker).toMatch(/^[A-Za-z0-9_-]{32}$/);
      }),
      fuzzParameters(300),
    );
    // Sixteen zero bytes then eight 0xff: a weak first draw is never returned.
    let draws = 0;
    const marker = createMarker((out) => (draws++ === 0 ? new Uint8Array(24) : crypto.getRandomValues(out)));
    expect(draws).toBeGreaterThan(1);
    expect(markerProblem(marker)).toBeUndefined();
  });

  it("never shows the marker in an issue about its neighbours or the whole rule", () => {
    const marker = createMarker();
    const found = issues({ rules: [{ path: "/x", nonce: { marker, mode: "Marked" } }, { nonce: { marker } }] });
    expect(found.length).toBeGreaterThan(0);
    for (const issue of found) expect(issue.received).not.toContain(marker.slice(0, 8));
    const { rejected } = compilePolicy(sources({ nonce: { marker, scripts: false } }), { reportOnly: false });
    expect(JSON.stringify(rejected)).not.toContain(marker.slice(0, 8));
  });
});

describe("a marked nonce needs a marker", () => {
  it("is refused with no nonce.marker and no NONCE_MARKER, naming both fixes", () => {
    const { rejected } = compilePolicy(sources({ nonce: { mode: "marked" } }), { reportOnly: false });
    expect(rejected).toEqual([{ from: "POLICY", issues: [{ path: "nonce", message: MISSING_MARKER, received: '{"mode":"marked"}' }] }]);
    expect(MISSING_MARKER).toContain("wrangler secret put NONCE_MARKER");
    expect(MISSING_MARKER).toContain("`nonce.marker`");
  });

  it("is refused on a rule too, and marked is the mode an unqualified nonce starts in", () => {
    const { rejected, policy } = compilePolicy(sources({ rules: [{ path: "/app/*", nonce: {} }] }), { reportOnly: false });
    expect(rejected).toEqual([{ from: "POLICY", issues: [{ path: "rules[0].nonce", message: MISSING_MARKER, received: "{}" }] }]);
    // The origin's pages carry a marker the Worker cannot name: every response is refused, saying what to set.
    expect(policy.marker).toMatchObject({
      value: null,
      everywhere: true,
      unresolved: expect.stringContaining("POLICY asks for a marked nonce"),
    });
    expect(policy.marker?.unresolved).toContain("NONCE_MARKER");
  });

  it("needs no marker in blanket mode", () => {
    const { rejected, policy } = compilePolicy(sources({ nonce: { mode: "blanket" } }), { reportOnly: false });
    expect(rejected).toEqual([]);
    expect(policy.marker).toBeNull();
  });

  it("takes NONCE_MARKER when the policy names none", () => {
    const secret = createMarker();
    const { rejected, policy } = compilePolicy(sources({ rules: [{ path: "/app/*", nonce: {} }] }), {
      reportOnly: false,
      nonceMarker: secret,
    });
    expect(rejected).toEqual([]);
    expect(policy.marker).toMatchObject({
      value: { marker: secret },
      from: "NONCE_MARKER",
      everywhere: false,
      rules: [true],
      anyRule: true,
    });
  });

  it("prefers the policy's marker over NONCE_MARKER, for rules in another source too", () => {
    const own = createMarker();
    const { rejected, policy } = compilePolicy(sources({ rules: [{ path: "/a/*", nonce: {} }] }, { nonce: { marker: own } }), {
      reportOnly: false,
      nonceMarker: createMarker(),
    });
    expect(rejected).toEqual([]);
    expect(policy.marker).toMatchObject({ value: { marker: own }, from: "policy", everywhere: true });
  });

  it("refuses a second, different marker: one secret per site", () => {
    const first = createMarker();
    const { rejected, policy } = compilePolicy(
      sources({ nonce: { marker: first } }, { rules: [{ path: "/b", nonce: { marker: createMarker() } }] }),
      { reportOnly: false },
    );
    expect(rejected).toEqual([
      {
        from: "KV",
        issues: [
          {
            path: "rules[0].nonce.marker",
            message: "the same marker as POLICY nonce.marker: a policy has one secret marker, which every path with a marked nonce scrubs",
            received: "(secret, 32 characters)",
          },
        ],
      },
    ]);
    expect(policy.marker?.value?.marker).toBe(first);
  });

  it("compiles for the CLI, which cannot see NONCE_MARKER, on the assumption that the Worker has it", () => {
    const { rejected, policy } = compilePolicy(sources({ nonce: {} }), { reportOnly: false, assumeNonceMarker: true });
    expect(rejected).toEqual([]);
    expect(policy.marker).toMatchObject({ value: null, from: "NONCE_MARKER", everywhere: true });
  });
});

describe("the NONCE_MARKER binding", () => {
  it("is named in a did-you-mean issue when misspelt, without its value", () => {
    const secret = createMarker();
    const { issues: found } = parseEnv({ NONCE_MARKR: secret });
    expect(found).toEqual([
      {
        path: "NONCE_MARKR",
        message: "a binding this Worker reads (did you mean `NONCE_MARKER`?); NONCE_MARKR is ignored",
        received: "(secret, 32 characters)",
      },
    ]);
  });

  it("is read and validated like a policy marker", () => {
    const secret = createMarker();
    expect(parseEnv({ NONCE_MARKER: secret })).toMatchObject({ config: { nonceMarker: secret }, issues: [] });
  });

  it("is refused when weak, with an issue that names its length, never its value", () => {
    const { config, issues: found } = parseEnv({ NONCE_MARKER: "__CSP_NONCE__" });
    expect(config.nonceMarker).toBeUndefined();
    expect(found).toEqual([
      {
        path: "NONCE_MARKER",
        message: `${PUBLISHED}; it is scrubbed from every response but never stamped, and a policy with a marked nonce and no nonce.marker is not applied without a valid one`,
        received: "(secret, 13 characters)",
      },
    ]);
  });
});

describe("the marker's scope", () => {
  const secret = createMarker();
  const scopeOf = (document: unknown, path: string) => {
    const { policy, rejected } = compilePolicy(sources(document), { reportOnly: false, nonceMarker: secret });
    expect(rejected).toEqual([]);
    return matchMarkerScope(policy, path);
  };

  it("marks every path when the base has a marked nonce, rules that turn it off included", () => {
    expect(scopeOf({ nonce: {}, rules: [{ path: "/api/*", nonce: false }] }, "/api/x")?.marked).toBe(true);
  });

  it("covers the paths of a rule that can yield a marked nonce, whatever its content-type limit", () => {
    const document = {
      rules: [
        { path: "/app/*", contentType: ["text/html"], nonce: {} },
        { path: "/b/*", nonce: { mode: "blanket" } },
      ],
    };
    expect(scopeOf(document, "/app/data.json")?.marked).toBe(true);
    // Every other path still scrubs the marker, with filler: the site's layout carries it everywhere.
    expect(scopeOf(document, "/b/page")).toMatchObject({ marked: false, value: { marker: secret } });
    expect(scopeOf(document, "/other")).toMatchObject({ marked: false, value: { marker: secret } });
  });

  it("covers every spelling an origin serves as the rule's page, as the rules' headers do", () => {
    const document = { rules: [{ path: "/app/*", nonce: {} }] };
    for (const path of ["/app/x", "//app/x", "/APP/x", "/app;v=1/x", "/app//x"]) expect(scopeOf(document, path)?.marked, path).toBe(true);
  });

  it("covers a rule with a nonce but no mode, which may start marked", () => {
    expect(
      scopeOf(
        {
          nonce: { mode: "blanket" },
          rules: [
            { path: "/a/*", nonce: false },
            { path: "/a/b/*", nonce: {} },
          ],
        },
        "/a/b/c",
      )?.marked,
    ).toBe(true);
  });

  it("keeps every range header from the origin inside the scope; elsewhere on the site, all but one single range", () => {
    const all = ["Range", "If-Range", "Request-Range"];
    expect(forwardedHeadersToDrop(scopeOf({ nonce: {} }, "/"), null)).toEqual(all);
    expect(forwardedHeadersToDrop(scopeOf({ nonce: {} }, "/"), "bytes=0-10")).toEqual(all);
    // `/app/*` reaches `/app` itself (docs/policy-format.md), so the path outside it is `/application`.
    const outside = scopeOf({ rules: [{ path: "/app/*", nonce: {} }] }, "/application");
    for (const single of [null, "bytes=0-10", "bytes=100-", "bytes=-500", " BYTES=0-1 "]) {
      expect(forwardedHeadersToDrop(outside, single)).toEqual(["Request-Range"]);
    }
    // Several ranges (a multipart answer whose parts could each hold a piece of a marker), or one we cannot read.
    for (const other of ["bytes=0-10,11-20", "bytes=0-10, 20-", "bytes=0-10;x", "items=0-1", "bytes=", "bytes=a-b"]) {
      expect(forwardedHeadersToDrop(outside, other)).toEqual(all);
    }
    // A site with a marker and no marked rule at all is scrubbed everywhere the same way; a site without one keeps every range.
    expect(forwardedHeadersToDrop(scopeOf({}, "/"), "bytes=0-1,2-3")).toEqual(all);
    expect(forwardedHeadersToDrop(scopeOf({}, "/"), "bytes=0-1")).toEqual(["Request-Range"]);
    expect(forwardedHeadersToDrop(null, "bytes=0-1,2-3")).toEqual([]);
  });

  it("never forwards a Range the origin could answer with more than one part, however it is spelt", () => {
    const outside = scopeOf({ rules: [{ path: "/app/*", nonce: {} }] }, "/application");
    const spec = fc.oneof(
      fc.tuple(fc.nat(99), fc.option(fc.nat(99), { nil: undefined })).map(([a, b]) => `${String(a)}-${b === undefined ? "" : String(b)}`),
      fc.nat(99).map((n) => `-${String(n)}`),
      fc.constantFrom("", "x", "1", "--1", "1-2-3"),
    );
    const unit = fc.constantFrom("bytes", "BYTES", "Bytes", "items", "bytes ");
    const gap = fc.constantFrom("", " ", "\t", "  ");
    const header = fc
      .tuple(unit, fc.array(fc.tuple(gap, spec, gap), { minLength: 1, maxLength: 4 }), fc.constantFrom(",", ", ", " ,", ";"))
      .map(([u, specs, sep]) => `${u}=${specs.map(([a, x, b]) => `${a}${x}${b}`).join(sep)}`);
    fc.assert(
      fc.property(header, (range) => {
        const dropped = forwardedHeadersToDrop(outside, range);
        // What the origin would see as more than one range, or a range it might read otherwise: never forwarded.
        const parts = range.slice(range.indexOf("=") + 1).split(",");
        if (parts.length > 1 || !/^bytes$/i.test(range.slice(0, range.indexOf("=")).trim())) expect(dropped).toContain("Range");
        // Whatever is forwarded is one well-formed byte range.
        if (!dropped.includes("Range")) expect(range.trim()).toMatch(/^bytes=(\d+-\d*|-\d+)$/i);
        expect(dropped).toContain("Request-Range");
      }),
      fuzzParameters(500),
    );
  });
});

/** Every file of the repository we publish, but for dependencies, build output and git. */
function publishedFiles(dir = ROOT): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (["node_modules", ".git", "dist", ".wrangler"].includes(name)) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return publishedFiles(path);
    return /\.(ts|js|md|json|toml|html)$/.test(name) ? [path] : [];
  });
}

describe("the repository", () => {
  it("publishes no usable marker: every marker written in docs, examples, demo, benches and tests is refused", () => {
    const written = /nonce=\\?["']([^"'\\$`{}\s]+)\\?["']|marker"?\s*[:=]\s*["']([^"'$`{}\s]+)["']|MARKER[:=]\s*["']?([A-Za-z0-9_-]{8,})/gi;
    const usable: string[] = [];
    for (const file of publishedFiles()) {
      for (const match of readFileSync(file, "utf8").matchAll(written)) {
        const value = match[1] ?? match[2] ?? match[3] ?? "";
        if (markerProblem(value) === undefined) usable.push(`${file.slice(ROOT.length)}: ${value}`);
      }
    }
    expect(usable).toEqual([]);
    expect(PUBLISHED_MARKERS.has("__CSP_NONCE__")).toBe(true);
  });
});
