// Reconvergence after </noscript>: once the scripting-off model has read a </noscript> and both models
// are in the same state (html/tree-equal.ts), the stamper drops the second one. Checked two ways over
// generated documents full of noscript (in head and body, nested, unclosed, with markup inside, followed
// by scripts): the output and outcome are those of the stamper that keeps both models to the end (the
// reference path, `reconverge: false`), and the four properties hold against parse5 with scripting on and
// off. The saving is shown in steps of the models (the meter), not time.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { transformChunks } from "../../src/core/nonce/body-driver.js";
import { tagStampTransformer, type StampOutcome } from "../../src/core/nonce/tag-stamper.js";
import { concatBytes } from "../support/bytes.js";
import { piece } from "./arbitraries.js";
import { budget, SEED } from "./budget.js";
import { BOTH, bytesOf, check, cut, latin1, NONCE } from "./differential.js";
import { realisticPage } from "./pages.js";

interface Result {
  readonly output: string;
  readonly outcome: StampOutcome;
  readonly steps: number;
}

function run(bytes: Uint8Array, points: readonly number[], reconverge: boolean): Result {
  const meter = { steps: 0 };
  const stamper = tagStampTransformer(BOTH, NONCE, { meter, reconverge });
  const output = latin1(concatBytes(transformChunks(cut(bytes, points), stamper)));
  return { output, outcome: stamper.outcome(), steps: meter.steps };
}

// Context around the noscripts, and what goes inside them: mostly markup that leaves the scripting-off
// parse where the other is (so the models reconverge), some that does not (so they must not).
// A word list wrapped by hand: Prettier would give each word a line of its own.
// prettier-ignore
const CONTEXT = [
  "<noscript>", "</noscript>", "<head>", "</head>", "<body>", "<html>", "<!doctype html>", "</form>", "<form>",
  "<table><tr><td>", "</table>", "<b>", "</b>", "<p>", "<li>", "<template>", "</template>", "<svg>", "</svg>", "<math>",
  "<frameset>", "<title>", "</title>", "<select>", "<pre>", "\n", "x", " ", "</body>", "</html>", "</head>x", "<div>",
];
// prettier-ignore
const INSIDE = [
  "<iframe src=/ns height=0></iframe>", "<img src=x>", "<b>", "</b>", "<i>x</i>", "<p>x", "<p>x</p>", "<table>", "<a>",
  "<textarea>", "<!--", "<!-- x -->", "<style>", "<style>a{}</style>", "<template>", "<svg>", "<select>", "<form>",
  "<frameset>", "<pre>\n", "<pre>", "<link rel=stylesheet href=n>", "<meta http-equiv=x>", "<script>n()</script>",
  "<noscript>", "<div>", "</div>", "x", " ", "\n", "<title>t</title>", "</noscript>", "<br>", "</p>",
];
const SCRIPTS = ["<script>s()</script>", "<style>t{}</style>", "<link rel=stylesheet href=l>", "<script src=a></script>"];

/** A noscript with up to three things inside, closed or not. */
const noscript = fc
  .tuple(fc.array(fc.constantFrom(...INSIDE), { maxLength: 3 }), fc.boolean(), fc.boolean())
  .map(([inside, upper, closed]) => `<${upper ? "NOSCRIPT" : "noscript"}>${inside.join("")}${closed ? "</noscript>" : ""}`);

const noscriptDocument = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: noscript },
      { weight: 3, arbitrary: fc.constantFrom(...CONTEXT) },
      { weight: 4, arbitrary: fc.constantFrom(...SCRIPTS) },
      { weight: 1, arbitrary: piece },
    ),
    { maxLength: 24 },
  )
  .map((parts) => parts.join(""));

const cuts = fc.array(fc.nat(), { maxLength: 6 });

describe("reconvergence after </noscript>", () => {
  it("gives the output and outcome of the two-model stamper, and the four properties hold", () => {
    let runs = 0;
    let dropped = 0;
    fc.assert(
      fc.property(noscriptDocument, cuts, (text, raw) => {
        const bytes = bytesOf(text);
        const points = raw.map((p) => p % (bytes.length + 1));
        const oneByte = Array.from({ length: Math.max(0, bytes.length - 1) }, (_, i) => i + 1);
        for (const chunking of [[], points, oneByte]) {
          const ours = run(bytes, chunking, true);
          const reference = run(bytes, chunking, false);
          expect(ours.output).toBe(reference.output);
          expect(ours.outcome).toEqual(reference.outcome);
        }
        runs++;
        if (run(bytes, [], true).steps < run(bytes, [], false).steps) dropped++;
        expect(check(bytes, [[], points, oneByte]).problems).toEqual([]);
      }),
      { seed: SEED + 13, numRuns: budget(400, 20_000) },
    );
    // The documents do exercise reconvergence: in a good share of them the second model is dropped.
    expect(dropped / runs).toBeGreaterThan(0.05);
  });

  it("gives the two-model output on realistic pages with noscript", () => {
    for (let i = 0; i < budget(3, 20); i++) {
      const page = realisticPage(SEED + 100 + i, 30_000);
      const bytes = bytesOf(page.replace("<body", `<body><noscript><iframe src="/ns"></iframe></noscript><x`));
      const points = [1_000, 7_777, 20_001];
      expect(run(bytes, points, true).output).toBe(run(bytes, points, false).output);
    }
  });
});

/** A tag manager's snippet right after <body>, then a page's worth of ordinary markup. */
function tagManagerPage(noscript: string): Uint8Array {
  const page = realisticPage(SEED, 256 * 1024);
  const at = page.indexOf(">", page.indexOf("<body")) + 1;
  return bytesOf(page.slice(0, at) + noscript + page.slice(at));
}

describe("the work reconvergence saves (steps of the models)", () => {
  const gtm = '<noscript><iframe src="https://tags.example/ns.html?id=GTM-X" height="0" width="0"></iframe></noscript>';
  const chunks = [16_384, 65_536, 200_000];

  it("costs a page with a tag manager's noscript about what the page without it costs", () => {
    const plain = run(tagManagerPage(""), chunks, true);
    const ours = run(tagManagerPage(gtm), chunks, true);
    const reference = run(tagManagerPage(gtm), chunks, false);
    expect(ours.output).toBe(reference.output);
    expect(ours.outcome.gaveUp).toBeNull();
    // Two models to the end cost about twice; one model after the snippet, the page plus the snippet.
    expect(reference.steps).toBeGreaterThan(1.8 * plain.steps);
    expect(ours.steps).toBeLessThan(1.02 * plain.steps);
  });

  it.each([
    ["a formatting element left open inside", "<noscript><b></noscript>"],
    ["a table left open inside", "<noscript><table></noscript>"],
    ["an unclosed noscript", "<noscript>"],
  ])("keeps both models where the states differ: %s", (_, noscript) => {
    const plain = run(tagManagerPage(""), chunks, true);
    const ours = run(tagManagerPage(noscript), chunks, true);
    const reference = run(tagManagerPage(noscript), chunks, false);
    expect(ours.output).toBe(reference.output);
    expect(ours.steps).toBeGreaterThan(1.5 * plain.steps);
  });

  it("bounds the state comparisons by the bytes, whatever the number of </noscript>", () => {
    // The models differ deep in the stack (an open <b> in the scripting-off one): every </noscript> asks.
    const text = "<div>".repeat(500) + "<noscript><b></noscript>" + "</noscript>".repeat(20_000);
    const bytes = bytesOf(text);
    const ours = run(bytes, [], true);
    const reference = run(bytes, [], false);
    expect(ours.output).toBe(reference.output);
    expect(ours.steps).toBeLessThan(reference.steps + bytes.length + 1_000);
  });
});
