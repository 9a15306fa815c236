// The readings property (issue 9, red-team findings 1 and 2): a path is refused only when the ways origins
// read it select different rules; otherwise it is forwarded with exactly the rules every reading selects.
// The oracle below builds each reading from the generated structure of the path, not by parsing it.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { foldPathCase } from "../../../src/core/policy/canonical-path.js";
import { compilePathIndex } from "../../../src/core/policy/match-path.js";
import { fuzzParameters } from "../../fuzz-config.js";

/** How one origin reads the disputed spellings: split or keep %2F, decode %25 once or twice, and so on. */
interface Dims {
  readonly keepSlash: boolean;
  readonly twice: boolean;
  readonly legacy: boolean;
  readonly dotNames: boolean;
}

const SEP = "\u0000";

type Piece =
  | { readonly kind: "word"; readonly word: string; readonly upper: readonly boolean[]; readonly encode: readonly boolean[] }
  | { readonly kind: "slash"; readonly raw: string }
  | { readonly kind: "double"; readonly hex: string }
  | { readonly kind: "byte"; readonly byte: number }
  | { readonly kind: "overlong" }
  | { readonly kind: "control"; readonly hex: string };

type Segment =
  | { readonly kind: "plain"; readonly pieces: readonly Piece[]; readonly params: string }
  | { readonly kind: "dots"; readonly raw: string; readonly named: string; readonly up: boolean };

const WORDS = ["admin", "login", "café", "embed", "x", "wiki", "login.php", "10", "a.css", "dmin"] as const;

const piece: fc.Arbitrary<Piece> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("word" as const),
      word: fc.constantFrom(...WORDS),
      upper: fc.array(fc.boolean(), { maxLength: 9 }),
      encode: fc.array(fc.boolean(), { maxLength: 9 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("slash" as const), raw: fc.constantFrom("%2F", "%2f", "%5C") }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("double" as const), hex: fc.constantFrom("41", "61", "6D", "2F", "E9", "2e") }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("byte" as const), byte: fc.constantFrom(0xe9, 0xff, 0xfe, 0xf8) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("overlong" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("control" as const), hex: fc.constantFrom("0A", "09", "7F") }) },
);

/** Dot-only segments that some origins step up for and others take as a name: [raw, as a name, steps up]. */
const DOTS: readonly (readonly [string, string, boolean])[] = [
  ["..;x", "..;x", true],
  ["%2e%2e%3Bx", "..;x", true],
  ["...", "...", false],
  [".;y", ".;y", false],
  ["..%20", ".. ", true],
];

const segment: fc.Arbitrary<Segment> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("plain" as const),
      pieces: fc.array(piece, { minLength: 1, maxLength: 3 }),
      params: fc.constantFrom("", "", ";x", ";jsessionid=1"),
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom(...DOTS).map(([raw, named, up]) => ({ kind: "dots" as const, raw, named, up })) },
);

const path = fc.record({ segments: fc.array(segment, { minLength: 1, maxLength: 4 }), doubled: fc.array(fc.boolean(), { maxLength: 4 }) });

const PATTERNS = [
  "/admin/*",
  "/admin",
  "/login",
  "/login.php",
  "/*.css",
  "/café",
  "/café/*",
  "/embed/*",
  "/wiki/*",
  "/x/:id",
  "/*",
  "/10",
  "/dmin",
] as const;
const patterns = fc.subarray([...PATTERNS], { minLength: 1 });

function escape(ch: string): string {
  return [...new TextEncoder().encode(ch)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
}

function renderPiece(p: Piece): string {
  switch (p.kind) {
    case "word":
      return [...p.word]
        .map((ch, i) => ((p.upper[i] ?? false) ? ch.toUpperCase() : ch))
        .map((ch, i) => ((p.encode[i] ?? false) ? escape(ch) : ch))
        .join("");
    case "slash":
      return p.raw;
    case "double":
      return `%25${p.hex}`;
    case "byte":
      return `%${p.byte.toString(16).toUpperCase()}`;
    case "overlong":
      return "%C0%AF";
    case "control":
      return `%${p.hex}`;
  }
}

function render(p: { segments: readonly Segment[]; doubled: readonly boolean[] }): string {
  return p.segments
    .map(
      (s, i) => `${(p.doubled[i] ?? false) ? "//" : "/"}${s.kind === "dots" ? s.raw : `${s.pieces.map(renderPiece).join("")}${s.params}`}`,
    )
    .join("");
}

const hex2 = (b: number) => `%${b.toString(16).padStart(2, "0")}`;

/** A piece's text in one reading; SEP stands for a separator. */
function readPiece(p: Piece, dims: Dims): string {
  const slash = (raw: string) => (dims.keepSlash ? raw.toLowerCase() : SEP);
  const byte = (b: number) => (dims.legacy ? foldPathCase(String.fromCharCode(b)) : hex2(b));
  switch (p.kind) {
    case "word":
      return foldPathCase(p.word);
    case "slash":
      return slash(p.raw === "%5C" ? "%5c" : "%2f");
    case "double": {
      if (!dims.twice) return `%25${p.hex.toLowerCase()}`;
      const b = parseInt(p.hex, 16);
      if (b === 0x2f) return slash("%2f");
      return b >= 0x80 ? byte(b) : foldPathCase(String.fromCharCode(b));
    }
    case "byte":
      return byte(p.byte);
    case "overlong":
      // A legacy decoder's "/" is a decoded separator like %2F: split or kept with the other encoded ones.
      return dims.legacy ? slash("%2f") : "%c0%af";
    case "control":
      return String.fromCharCode(parseInt(p.hex, 16));
  }
}

/** The path one origin routes: segments split, ;params dropped, trailing dots trimmed, dot segments handled. */
function reading(p: { segments: readonly Segment[] }, dims: Dims): string {
  const out: string[] = [];
  for (const s of p.segments) {
    if (s.kind === "dots") {
      if (dims.dotNames) out.push(s.named);
      else if (s.up) out.pop();
      continue;
    }
    for (const text of s.pieces
      .map((x) => readPiece(x, dims))
      .join("")
      .split(SEP)) {
      const trimmed = text.replace(/[. ]+$/, "");
      if (trimmed !== "") out.push(trimmed);
      else if (text === "..") out.pop();
    }
  }
  // ;params: the segment's last piece carries them; a params-only tail is merged like an empty segment.
  return `/${out.join("/")}`;
}

function allReadings(p: { segments: readonly Segment[] }): string[] {
  const paths = new Set<string>();
  for (let mask = 0; mask < 16; mask++) {
    const r = reading(p, { keepSlash: (mask & 1) !== 0, twice: (mask & 2) !== 0, legacy: (mask & 4) !== 0, dotNames: (mask & 8) !== 0 });
    paths.add(r);
    const script = /^(.*?\.php)\/[^/]/.exec(r)?.[1];
    if (script !== undefined) paths.add(script);
  }
  return [...paths];
}

describe("the readings of a path", () => {
  it("refuse it only when they select different rules, and otherwise forward it with exactly their rules", () => {
    fc.assert(
      fc.property(patterns, path, (chosen, p) => {
        const index = compilePathIndex(chosen);
        const raw = render(p);
        const selections = allReadings(p).map((r) => JSON.stringify(index.match(r)));
        const agreed = new Set(selections).size === 1;
        const route = index.route(raw);
        expect(route.ok, `${raw}: ${route.ok ? "" : route.reason} / readings ${allReadings(p).join(" ")}`).toBe(agreed);
        if (route.ok) expect(JSON.stringify(route.rules), raw).toBe(selections[0]);
      }),
      fuzzParameters(2000),
    );
  }, 120_000);

  it("is not vacuous: many paths have several readings, and both outcomes occur", () => {
    const samples = fc.sample(fc.tuple(patterns, path), { seed: 1, numRuns: 1000 });
    let several = 0;
    let refused = 0;
    let forwardedWithRules = 0;
    for (const [chosen, p] of samples) {
      if (allReadings(p).length > 1) several++;
      const route = compilePathIndex(chosen).route(render(p));
      if (!route.ok) refused++;
      else if (route.rules.length > 0 && allReadings(p).length > 1) forwardedWithRules++;
    }
    expect(several).toBeGreaterThan(400);
    expect(refused).toBeGreaterThan(50);
    expect(forwardedWithRules).toBeGreaterThan(100);
  });
});
