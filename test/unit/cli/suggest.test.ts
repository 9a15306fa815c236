// `reports --suggest`'s pure part: which stored violations become sources, hashes or nonce suggestions, which
// are noise and why, and the patch they make (validated by the Worker's own validator).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hashSource } from "../../../bin/support/scan/sources.js";
import { suggestionPatch } from "../../../bin/support/suggest/patch.js";
import { suggest, type Suggestions } from "../../../bin/support/suggest/suggest.js";
import { checkDocument } from "../../../bin/support/documents.js";
import { bareEnvironment } from "../../../bin/support/environment.js";
import { clientBit } from "../../../src/core/reports/client-key.js";
import type { ViolationGroup } from "../../../src/core/reports/violation-groups.js";
import { fuzzParameters } from "../../fuzz-config.js";

const SITE = "https://www.example.com";
/** Sketches of one, two and three distinct clients (buckets 0, 1, 2). */
const ONE = 1;
const TWO = 3;
const THREE = 7;

function group(partial: Partial<ViolationGroup>): ViolationGroup {
  return {
    directive: "img-src",
    blocked: "https://img.example.net/a.png",
    page: `${SITE}/`,
    disposition: "report",
    count: 1,
    firstSeen: "2026-04-08T10:00:00.000Z",
    lastSeen: "2026-04-10T10:00:00.000Z",
    clients: TWO,
    samples: [],
    sourceFile: "",
    ...partial,
  };
}

function valid(document: unknown): boolean {
  return checkDocument(JSON.stringify(document), bareEnvironment().config).ok;
}

describe("suggest", () => {
  it("proposes the exact origin per directive and path, with the evidence", () => {
    const s = suggest(
      [
        group({ page: `${SITE}/shop`, count: 3, firstSeen: "2026-04-09T00:00:00.000Z" }),
        group({
          page: `${SITE}/shop`,
          blocked: "https://img.example.net/b.png",
          count: 2,
          clients: 4,
          lastSeen: "2026-04-10T12:00:00.000Z",
        }),
        group({ page: `${SITE}/shop`, directive: "script-src-elem", blocked: `${SITE}/app.js` }),
      ],
      { minClients: 2 },
    );
    expect(s.proposals).toEqual([
      {
        path: "/shop",
        directive: "img-src",
        source: "https://img.example.net",
        blocked: "https://img.example.net",
        count: 5,
        firstSeen: "2026-04-08T10:00:00.000Z",
        lastSeen: "2026-04-10T12:00:00.000Z",
        pages: ["/shop"],
        clients: 3,
        dispositions: ["report"],
      },
      expect.objectContaining({ path: "/shop", directive: "script-src", source: "'self'" }),
    ]);
    expect(s.leftOut).toEqual([]);
  });

  it("leaves out a host seen from one client only, and says which flag would keep it", () => {
    const s = suggest([group({ blocked: "https://ads.injected.example/x.js", directive: "script-src-elem", clients: ONE })], {
      minClients: 2,
    });
    expect(s.proposals).toEqual([]);
    expect(s.leftOut).toEqual([
      expect.objectContaining({
        blocked: "https://ads.injected.example/x.js",
        reason: expect.stringContaining("seen from one client only"),
      }),
    ]);
    expect(suggest([group({ clients: ONE })], { minClients: 1 }).proposals).toHaveLength(1);
  });

  it("counts a host's clients over every page and directive that reported it", () => {
    const s = suggest(
      [
        group({ page: `${SITE}/a`, clients: clientBit("a") }),
        group({ page: `${SITE}/b`, directive: "font-src", blocked: "https://img.example.net/f.woff2", clients: clientBit("b") }),
      ],
      { minClients: 2 },
    );
    expect(clientBit("a")).not.toBe(clientBit("b"));
    expect(s.proposals.map((p) => [p.path, p.directive])).toEqual([
      ["/a", "img-src"],
      ["/b", "font-src"],
    ]);
  });

  it.each([
    ["chrome-extension:", "script-src-elem", "", "a browser extension"],
    ["moz-extension:", "style-src-elem", "", "a browser extension"],
    ["inline", "script-src-elem", "safari-web-extension:", "a browser extension"],
    ["about", "frame-src", "", "about:"],
    ["data", "script-src-elem", "", "data: in script-src"],
    ["blob", "script-src-elem", "", "blob: in script-src"],
    ["eval", "script-src", "", "eval"],
    ["inline", "script-src-attr", "", "inline event handler"],
    ["https://partner.example", "frame-ancestors", "", "who frames the page"],
  ])("leaves out %s under %s (source %j) as noise, saying why", (blocked, directive, sourceFile, reason) => {
    const s = suggest([group({ blocked, directive, sourceFile, clients: THREE, samples: ["x()"] })], { minClients: 2 });
    expect(s.proposals).toEqual([]);
    expect(s.leftOut).toEqual([expect.objectContaining({ blocked, directive, reason: expect.stringContaining(reason) })]);
  });

  it("allows data: where it cannot run code", () => {
    expect(suggest([group({ blocked: "data", clients: THREE })], { minClients: 2 }).proposals.map((p) => p.source)).toEqual(["data:"]);
  });

  it("turns inline code whose whole text a report carried into hashes, and cut samples into a nonce suggestion", () => {
    const s = suggest(
      [
        group({ directive: "script-src-elem", blocked: "inline", page: `${SITE}/a`, samples: ["go()", "init(1)"] }),
        group({
          directive: "script-src-elem",
          blocked: "inline",
          page: `${SITE}/b`,
          samples: ["window.config = { theme: 'dark', lang: '"],
        }),
        group({ directive: "style-src-attr", blocked: "inline", page: `${SITE}/a`, samples: ["color: red"] }),
      ],
      { minClients: 2 },
    );
    const proposed = s.proposals.map((p) => [p.path, p.directive, p.source]);
    expect(proposed).toHaveLength(4);
    expect(proposed).toEqual(
      expect.arrayContaining([
        ["/a", "script-src", hashSource("go()")],
        ["/a", "script-src", hashSource("init(1)")],
        ["/a", "style-src-attr", "'unsafe-hashes'"],
        ["/a", "style-src-attr", hashSource("color: red")],
      ]),
    );
    expect(s.nonces).toEqual([{ path: "/b", directive: "script-src", count: 1, samples: ["window.config = { theme: 'dark', lang: '"] }]);
  });

  it("hashes the whole samples of a row and suggests a nonce for the cut ones beside them", () => {
    const cut = "x".repeat(40);
    const s = suggest([group({ directive: "script-src-elem", blocked: "inline", samples: ["go()", cut], count: 2 })], { minClients: 2 });
    expect(s.proposals.map((p) => p.source)).toEqual([hashSource("go()")]);
    expect(s.nonces).toEqual([{ path: "/", directive: "script-src", count: 2, samples: [cut] }]);
  });

  it("puts a source seen on three pages or more into the base", () => {
    const s = suggest(
      ["/a", "/b", "/c"].map((p) => group({ page: `${SITE}${p}` })),
      { minClients: 2 },
    );
    expect(s.proposals).toEqual([
      expect.objectContaining({ path: "", directive: "img-src", source: "https://img.example.net", pages: ["/a", "/b", "/c"], count: 3 }),
    ]);
  });

  it("proposes a rule for a page's canonical path", () => {
    expect(suggest([group({ page: `${SITE}/Caf%C3%A9` })], { minClients: 2 }).proposals[0]?.path).toBe("/café");
  });
});

describe("suggestionPatch", () => {
  const s: Suggestions = suggest(
    [
      group({ page: `${SITE}/shop` }),
      ...["/a", "/b", "/c"].map((p) => group({ page: `${SITE}${p}`, directive: "font-src", blocked: "https://fonts.example.net/f.woff2" })),
    ],
    { minClients: 2 },
  );

  it("is a document the Worker's validator accepts", () => {
    const patch = suggestionPatch(s);
    expect(patch).toEqual({
      $schema: "./policy.schema.json",
      csp: { add: { "font-src": ["https://fonts.example.net"] } },
      rules: [
        {
          path: "/shop",
          description: expect.stringContaining("reports --suggest"),
          csp: { add: { "img-src": ["https://img.example.net"] } },
        },
      ],
    });
    expect(valid(patch)).toBe(true);
  });

  it("adds to the document the site runs, keeping its rules and their sources", () => {
    const running = {
      csp: { action: "set", directives: { "img-src": ["'self'"] } },
      rules: [
        { path: "/login", headers: { "Cache-Control": "no-store" } },
        { path: "/shop", csp: { add: { "img-src": ["data:"] } } },
      ],
    };
    const patched = suggestionPatch(s, running);
    expect(patched).toEqual({
      csp: { action: "set", directives: { "img-src": ["'self'"] }, add: { "font-src": ["https://fonts.example.net"] } },
      rules: [
        { path: "/login", headers: { "Cache-Control": "no-store" } },
        { path: "/shop", csp: { add: { "img-src": ["data:", "https://img.example.net"] } } },
      ],
    });
    expect(running.rules[1]?.csp?.add["img-src"]).toEqual(["data:"]);
    expect(valid(patched)).toBe(true);
  });

  it("refuses to add to a path whose CSP is off", () => {
    expect(() => suggestionPatch(s, { rules: [{ path: "/shop", csp: false }] })).toThrow("rules[0].csp is false");
  });
});

describe("suggest, for any stored violations", () => {
  const blocked = fc.oneof(
    fc.constantFrom("inline", "eval", "data", "blob", "about", "chrome-extension:", "other", "self"),
    fc.constantFrom("https://a.example", "http://127.0.0.1:8080", "wss://live.example", SITE).map((o) => `${o}/x`),
  );
  const arbitraryGroup = fc.record({
    directive: fc.constantFrom(
      "script-src-elem",
      "script-src",
      "script-src-attr",
      "style-src-elem",
      "style-src-attr",
      "img-src",
      "connect-src",
      "frame-src",
      "worker-src",
      "frame-ancestors",
      "other",
    ),
    blocked,
    page: fc.constantFrom("/", "/a", "/Caf%C3%A9", "/x*y", "/:id").map((p) => `${SITE}${p}`),
    clients: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
    samples: fc.array(fc.string({ maxLength: 45 }), { maxLength: 3 }),
  });

  it("never proposes 'unsafe-inline', a wildcard or a bare scheme, and its patch validates", () => {
    fc.assert(
      fc.property(fc.array(arbitraryGroup, { maxLength: 12 }), fc.integer({ min: 1, max: 3 }), (partials, minClients) => {
        const s = suggest(partials.map(group), { minClients });
        for (const p of s.proposals) {
          expect(p.source).not.toMatch(/^(?:\*|'unsafe-inline'|'unsafe-eval'|https?:|wss?:)$/);
          if (p.directive === "script-src") expect(p.source).not.toMatch(/^(?:data|blob):$/);
        }
        expect(valid(suggestionPatch(s))).toBe(true);
      }),
      fuzzParameters(200),
    );
  });
});
