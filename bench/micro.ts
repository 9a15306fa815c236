// Micro bench: the per-response header work (plan + apply of the built-in policy) in plain Node vs six headers.set.

import { applyHeaders } from "../src/core/headers/apply-headers.js";
import { compilePolicy } from "../src/core/policy/compile-policy.js";
import { decideNonce } from "../src/core/nonce/decide-nonce.js";
import { planHeaders } from "../src/core/policy/plan-headers.js";
import type { CompiledPolicy } from "../src/core/policy/types.js";
import { formatSpread, formatTable, median, round, spread, type Spread } from "./stats.js";

export interface MicroOptions {
  /** Timed batches per row; rows are interleaved inside each batch round. */
  readonly batches: number;
  /** Target wall time of one batch of one row, in ms (the iteration count is calibrated to it). */
  readonly batchMs: number;
}

export const MICRO_DEFAULTS: MicroOptions = { batches: 21, batchMs: 25 };

/** Reference ratios from the issue (not measured here): their header middleware against six sets. */
export const REFERENCE_RATIOS = { helmet: 1.24, hono: 1.4 } as const;

/** The micro target: plan + apply at most this multiple of the six-set loop. */
export const MICRO_TARGET = 1.3;

/** Fifteen headers a typical origin (an Express app behind nginx) sends with an HTML page. */
const ORIGIN_HEADERS: readonly (readonly [string, string])[] = [
  ["Content-Type", "text/html; charset=utf-8"],
  ["Content-Length", "2048"],
  ["Cache-Control", "public, max-age=0, must-revalidate"],
  ["Date", "Wed, 25 Nov 2026 21:30:38 GMT"],
  ["ETag", 'W/"800-1a2b3c4d5e6f"'],
  ["Last-Modified", "Tue, 24 Nov 2026 08:00:00 GMT"],
  ["Server", "nginx/1.24.0"],
  ["Vary", "Accept-Encoding"],
  ["Set-Cookie", "session=3f9a7c2e; Path=/; HttpOnly; Secure; SameSite=Lax"],
  ["X-Powered-By", "Express"],
  ["Accept-Ranges", "bytes"],
  ["Age", "0"],
  ["X-Request-Id", "7f3c2b1a-9d8e-4f6a-b5c4-d3e2f1a0b9c8"],
  ["Link", "</static/app.css>; rel=preload; as=style"],
  ["Content-Language", "en"],
];

/** The origin already sends all six security headers, each with a valid value (the plan keeps them). */
const ORIGIN_SENDS_ALL: readonly (readonly [string, string])[] = [
  ...ORIGIN_HEADERS,
  ["Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload"],
  ["Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'self'"],
  ["X-Frame-Options", "SAMEORIGIN"],
  ["X-Content-Type-Options", "nosniff"],
  ["Referrer-Policy", "no-referrer"],
  ["Permissions-Policy", "geolocation=(self), camera=()"],
];

/** Duplicated lines and invalid values: some are replaced, some collapsed to one line, leak headers removed. */
const ORIGIN_DUPLICATED_INVALID: readonly (readonly [string, string])[] = [
  ...ORIGIN_HEADERS,
  ["Strict-Transport-Security", "max-age=abc"],
  ["Content-Security-Policy", "default-src 'self'"],
  ["Content-Security-Policy", "default-src 'self'; img-src *"],
  ["X-Frame-Options", "DENY"],
  ["X-Frame-Options", "SAMEORIGIN"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-Content-Type-Options", "nosniff"],
  ["Referrer-Policy", "no-referrer"],
  ["Referrer-Policy", "strict-origin-when-cross-origin"],
  ["Permissions-Policy", "geolocation=(self"],
  ["X-AspNet-Version", "4.0.30319"],
];

const SCENARIOS = [
  { name: "origin sends 15 ordinary headers", lines: ORIGIN_HEADERS },
  { name: "origin sends all six, valid", lines: ORIGIN_SENDS_ALL },
  { name: "origin sends duplicated/invalid", lines: ORIGIN_DUPLICATED_INVALID },
] as const;

/**
 * An https HTML page at a path no per-path rule names: the common case. Not annotated, so the extra fields
 * type-check whether or not this version of RequestFacts has them.
 */
const FACTS = { https: true, path: "/articles/2026/bench", contentType: "text/html; charset=utf-8" } as const;

/** The built-in policy, enforced: compiled exactly as src/policy/policy-store.ts builds DEFAULT_POLICIES.enforce. */
function defaultPolicy(): CompiledPolicy {
  return compilePolicy([], { reportOnly: false }).policy;
}

/** Written by every iteration so the engine cannot drop the work. */
let sink: Headers | undefined;

type RowLabel = "setup" | "six-set" | "plan+apply" | "handler path" | "6 get (diag.)" | "3 delete (diag.)";

interface Row {
  readonly label: RowLabel;
  /** Run n iterations, each building a fresh copy of the origin's headers first. */
  readonly run: (n: number) => void;
}

function headersFrom(lines: readonly (readonly [string, string])[]): Headers {
  const headers = new Headers();
  for (const [name, value] of lines) headers.append(name, value);
  return headers;
}

/** The six name/value pairs the https plan writes (everything but its removals), for the six-set loop. */
function sixPairs(policy: CompiledPolicy): (readonly [string, string])[] {
  const pairs: (readonly [string, string])[] = [];
  for (const op of planHeaders(policy, FACTS).ops) if (op.kind !== "remove" && op.kind !== "cookies") pairs.push([op.name, op.value]);
  if (pairs.length !== 6) throw new Error(`expected the default https plan to write 6 headers, got ${pairs.length}`);
  return pairs;
}

function rowsFor(template: Headers, policy: CompiledPolicy, six: readonly (readonly [string, string])[]): Row[] {
  const removals = planHeaders(policy, FACTS).ops.flatMap((op) => (op.kind === "remove" ? [op.name] : []));
  const [a, b, c, d, e, f] = six;
  if (a === undefined || b === undefined || c === undefined || d === undefined || e === undefined || f === undefined) {
    throw new Error("six pairs expected");
  }
  // Each row owns its loop, so every call site inside it stays monomorphic, as in the Worker.
  return [
    {
      label: "setup",
      run: (n) => {
        for (let i = 0; i < n; i++) sink = new Headers(template);
      },
    },
    {
      label: "six-set",
      run: (n) => {
        for (let i = 0; i < n; i++) {
          const h = new Headers(template);
          h.set(a[0], a[1]);
          h.set(b[0], b[1]);
          h.set(c[0], c[1]);
          h.set(d[0], d[1]);
          h.set(e[0], e[1]);
          h.set(f[0], f[1]);
          sink = h;
        }
      },
    },
    {
      label: "plan+apply",
      run: (n) => {
        for (let i = 0; i < n; i++) {
          const h = new Headers(template);
          applyHeaders(h, planHeaders(policy, FACTS).ops);
          sink = h;
        }
      },
    },
    {
      // What src/handler.ts does for a response it does not stamp: plan, the nonce decision (which reads the
      // origin's CSP headers only when the plan could replace them), then apply.
      label: "handler path",
      run: (n) => {
        for (let i = 0; i < n; i++) {
          const h = new Headers(template);
          const plan = planHeaders(policy, FACTS);
          const decision = decideNonce(plan, {
            method: "GET",
            status: 200,
            contentType: FACTS.contentType,
            hasBody: true,
            originHeaders: h,
          });
          applyHeaders(h, decision.ops);
          sink = h;
        }
      },
    },
    {
      // Diagnostic: the reads a `default` action needs (one per owned header), nothing else.
      label: "6 get (diag.)",
      run: (n) => {
        for (let i = 0; i < n; i++) {
          const h = new Headers(template);
          let found = 0;
          if (h.get(a[0]) !== null) found++;
          if (h.get(b[0]) !== null) found++;
          if (h.get(c[0]) !== null) found++;
          if (h.get(d[0]) !== null) found++;
          if (h.get(e[0]) !== null) found++;
          if (h.get(f[0]) !== null) found++;
          if (found >= 0) sink = h;
        }
      },
    },
    {
      // Diagnostic: the default policy's three leak-header removals.
      label: "3 delete (diag.)",
      run: (n) => {
        for (let i = 0; i < n; i++) {
          const h = new Headers(template);
          for (const name of removals) h.delete(name);
          sink = h;
        }
      },
    },
  ];
}

/** Check once, outside the timing, that plan + apply produced what the policy promises. */
function checkOutcome(template: Headers, policy: CompiledPolicy, six: readonly (readonly [string, string])[]): string {
  const h = new Headers(template);
  applyHeaders(h, planHeaders(policy, FACTS).ops);
  const problems: string[] = [];
  for (const [name] of six) {
    const value = h.get(name);
    if (value === null) problems.push(`${name} missing`);
  }
  for (const leak of ["x-powered-by", "x-aspnet-version"]) if (h.has(leak)) problems.push(`${leak} not removed`);
  if (h.get("x-frame-options")?.includes(",") === true) problems.push("x-frame-options still duplicated");
  if (h.getSetCookie().length !== 1) problems.push("set-cookie changed");
  return problems.length === 0 ? "ok" : problems.join("; ");
}

function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/** Iterations that take about `ms` milliseconds (after a warm-up that lets the JIT settle). */
function calibrate(row: Row, ms: number): number {
  row.run(2000);
  let n = 1000;
  for (let attempt = 0; attempt < 20; attempt++) {
    const start = nowNs();
    row.run(n);
    const elapsed = nowNs() - start;
    if (elapsed >= 5e6) return Math.max(1000, Math.round((n * ms * 1e6) / elapsed));
    n *= 4;
  }
  return n;
}

export interface MicroRow {
  readonly scenario: string;
  readonly row: string;
  readonly iterations: number;
  /** ns per response (with setup), over batches. */
  readonly nsPerResponse: Spread;
  /** Median ns per response with the median setup cost subtracted (the header work alone). */
  readonly netNs: number;
}

export interface MicroRatio {
  readonly scenario: string;
  /** "plan+apply" (the target row) or "handler path". */
  readonly row: string;
  /** row / six-set, setup included, per batch round. */
  readonly gross: Spread;
  /** (row − median setup) / (six-set − median setup), per batch round: the header work alone. */
  readonly net: Spread;
  readonly check: string;
}

export interface MicroResult {
  readonly options: MicroOptions;
  readonly rows: MicroRow[];
  readonly ratios: MicroRatio[];
  readonly target: number;
  readonly reference: typeof REFERENCE_RATIOS;
}

/** Run the micro bench and return its numbers (nothing printed). */
export function runMicro(options: MicroOptions = MICRO_DEFAULTS): MicroResult {
  const policy = defaultPolicy();
  const six = sixPairs(policy);
  const rows: MicroRow[] = [];
  const ratios: MicroRatio[] = [];
  for (const scenario of SCENARIOS) {
    const template = headersFrom(scenario.lines);
    const scenarioRows = rowsFor(template, policy, six);
    const counts = scenarioRows.map((row) => calibrate(row, options.batchMs));
    const samples: number[][] = scenarioRows.map(() => []);
    for (let batch = 0; batch < options.batches; batch++) {
      // Rotate which row goes first, so slow drift (GC, frequency) does not favour one row.
      for (let k = 0; k < scenarioRows.length; k++) {
        const index = (batch + k) % scenarioRows.length;
        const row = scenarioRows[index];
        const n = counts[index] ?? 0;
        if (row === undefined) continue;
        const start = nowNs();
        row.run(n);
        samples[index]?.push((nowNs() - start) / n);
      }
    }
    const [setup = [], sixSet = [], plan = [], handler = []] = samples;
    const setupMedian = median(setup);
    scenarioRows.forEach((row, i) => {
      const values = samples[i] ?? [];
      rows.push({
        scenario: scenario.name,
        row: row.label,
        iterations: counts[i] ?? 0,
        nsPerResponse: spread(values),
        netNs: row.label === "setup" ? 0 : median(values) - setupMedian,
      });
    });
    // Per batch round: every row ran once in it, so each round gives one ratio; report their median and spread.
    // The setup subtracted is its median over all batches: one noisy setup batch must not flip a round's sign.
    const gross = (times: number[]): Spread => spread(times.map((t, i) => t / (sixSet[i] ?? Number.NaN)));
    const net = (times: number[]): Spread => spread(times.map((t, i) => (t - setupMedian) / ((sixSet[i] ?? Number.NaN) - setupMedian)));
    const check = checkOutcome(template, policy, six);
    ratios.push({ scenario: scenario.name, row: "plan+apply", gross: gross(plan), net: net(plan), check });
    ratios.push({ scenario: scenario.name, row: "handler path", gross: gross(handler), net: net(handler), check });
  }
  if (sink === undefined) throw new Error("the bench did no work");
  return { options, rows, ratios, target: MICRO_TARGET, reference: REFERENCE_RATIOS };
}

/** The micro results as printable tables. */
export function formatMicro(result: MicroResult): string {
  const rowTable = formatTable(
    ["scenario", "row", "ns/response (min–max)", "minus setup, ns"],
    result.rows.map((r) => [
      r.scenario,
      r.row,
      `${r.nsPerResponse.median.toFixed(0)} (${r.nsPerResponse.min.toFixed(0)}–${r.nsPerResponse.max.toFixed(0)})`,
      r.row === "setup" ? "" : r.netNs.toFixed(0),
    ]),
  );
  const ratioTable = formatTable(
    ["scenario", "row", "÷ six-set, with setup (min–max)", "÷ six-set, header work alone", "target", "check"],
    [
      ...result.ratios.map((r) => [
        r.scenario,
        r.row,
        formatSpread(r.gross, 2),
        formatSpread(r.net, 2),
        r.row === "plan+apply" ? `≤ ${result.target} ${r.gross.median <= result.target ? "yes" : "NO"}` : "",
        r.check,
      ]),
      ["reference: helmet (from the issue)", "", REFERENCE_RATIOS.helmet.toFixed(2), "", "", "not measured here"],
      ["reference: hono (from the issue)", "", REFERENCE_RATIOS.hono.toFixed(2), "", "", "not measured here"],
    ],
  );
  return `${rowTable}\n\n${ratioTable}`;
}

/** The micro result with numbers rounded for the JSON file. */
export function roundMicro(result: MicroResult): MicroResult {
  const r = (s: Spread, d: number): Spread => ({ median: round(s.median, d), min: round(s.min, d), max: round(s.max, d) });
  return {
    ...result,
    rows: result.rows.map((row) => ({ ...row, nsPerResponse: r(row.nsPerResponse, 1), netNs: round(row.netNs, 1) })),
    ratios: result.ratios.map((ratio) => ({ ...ratio, gross: r(ratio.gross, 3), net: r(ratio.net, 3) })),
  };
}
