// Rules bench: per-request planning cost with 1, 100 and 1,000 per-path rules, warm and on a rule combination's first request.

import { readFileSync } from "node:fs";
import { applyHeaders } from "../src/core/headers/apply-headers.js";
import { compilePolicy } from "../src/core/policy/compile-policy.js";
import { matchRules } from "../src/core/policy/match-rules.js";
import { parsePolicy } from "../src/core/policy/parse-policy.js";
import { planHeaders } from "../src/core/policy/plan-headers.js";
import type { CompiledPolicy, HeaderPlan, PathRule, PolicyDocument, RequestFacts } from "../src/core/policy/types.js";
import { formatSpread, formatTable, median, round, spread, type Spread } from "./stats.js";

export interface RulesOptions {
  /** Timed batches per row; every row runs once per batch round, in rotating order. */
  readonly batches: number;
  /** Target wall time of one batch of one row, in ms. */
  readonly batchMs: number;
  /** Cold samples per rule count: the combination memo is cleared before each. */
  readonly coldRounds: number;
}

export const RULES_DEFAULTS: RulesOptions = { batches: 21, batchMs: 10, coldRounds: 200 };

/** The issue's target: 1,000 rules cost at most this multiple of what 1 rule costs per request. */
export const RULES_TARGET = 3;

/** Rule counts measured; each policy's rules are the first N of one generated list, so they nest. */
export const RULE_COUNTS: readonly number[] = [1, 100, 1000];

/** Where the few `*.ext` patterns (regular-expression fallbacks, scanned on every request) sit in the list. */
const EXT_RULES = new Map<number, PathRule>([
  [10, { path: "/*.js", headers: { "Cache-Control": { value: "public, max-age=31536000, immutable", action: "set" } } }],
  [40, { path: "/*.css", headers: { "Cache-Control": { value: "public, max-age=31536000, immutable", action: "set" } } }],
  [70, { path: "/assets/*.woff2", headers: { "Cross-Origin-Resource-Policy": { value: "cross-origin", action: "set" } } }],
  [90, { path: "/*.map", headers: { "X-Robots-Tag": { value: "noindex", action: "set" } } }],
]);

/**
 * Rule k of the generated list. Section s = k / 4 has four rules of realistic shapes: `/section-s/*`,
 * `/section-s/:id`, `/section-s/page-M` (HTML only in even sections) and `/section-s/api/:id` (JSON only).
 */
function generatedRule(k: number): PathRule {
  const ext = EXT_RULES.get(k);
  if (ext !== undefined) return ext;
  const s = Math.floor(k / 4);
  switch (k % 4) {
    case 0:
      return {
        path: `/section-${s}/*`,
        headers: { "X-Frame-Options": "SAMEORIGIN" },
        csp: { add: { "img-src": [`https://img-${s}.example.com`] } },
      };
    case 1:
      return {
        path: `/section-${s}/:id`,
        headers: { "Cache-Control": { value: "public, max-age=300", action: "default" } },
        csp: { add: { "script-src": [`https://cdn-${s}.example.com`] } },
      };
    case 2:
      return {
        path: `/section-${s}/page-${s % 7}`,
        ...(s % 2 === 0 ? { contentType: ["text/html"] } : {}),
        headers: { "Cache-Control": { value: "no-store", action: "set" } },
        remove: ["X-Debug-Token"],
      };
    default:
      return {
        path: `/section-${s}/api/:id`,
        contentType: ["application/json"],
        headers: {
          "Cross-Origin-Resource-Policy": { value: "same-site", action: "set" },
          "X-Frame-Options": { value: "DENY", action: "set" },
        },
        csp: { action: "set", replace: true, directives: { "default-src": ["'none'"], "frame-ancestors": ["'none'"] } },
      };
  }
}

const HTML = "text/html; charset=utf-8";
const JSON_TYPE = "application/json";

/**
 * The request set, the same for every rule count, with how many rules each matches in the 1,000-rule
 * policy (its class). Sections 2, 10, 17 and 22 are avoided: the `*.ext` rules took some of their slots.
 */
export const REQUESTS: readonly { readonly facts: RequestFacts; readonly matchesAt1000: number; readonly spelling?: true }[] = [
  { facts: { https: true, path: "/", contentType: HTML }, matchesAt1000: 0 },
  { facts: { https: true, path: "/about/team", contentType: HTML }, matchesAt1000: 0 },
  { facts: { https: true, path: "/section-9999/page-1", contentType: HTML }, matchesAt1000: 0 },
  { facts: { https: true, path: "/section-3/2026/11/report", contentType: HTML }, matchesAt1000: 1 },
  { facts: { https: true, path: "/static/app.js", contentType: "text/javascript" }, matchesAt1000: 1 },
  { facts: { https: true, path: "/section-12/item-42", contentType: HTML }, matchesAt1000: 2 },
  { facts: { https: true, path: "/section-6/api/17", contentType: JSON_TYPE }, matchesAt1000: 2 },
  { facts: { https: true, path: "/section-8/page-1", contentType: JSON_TYPE }, matchesAt1000: 2 },
  { facts: { https: true, path: "/section-0/page-0", contentType: HTML }, matchesAt1000: 3 },
  { facts: { https: true, path: "/section-5/page-5", contentType: HTML }, matchesAt1000: 3 },
  { facts: { https: true, path: "/section-240/page-2", contentType: HTML }, matchesAt1000: 3 },
  // Other spellings of pages above, which take canonicalisation's long way (decode, split, fold). They are
  // not in the request mix the target is measured over; they have their own row.
  { facts: { https: true, path: "/Section-12/Item-42", contentType: HTML }, matchesAt1000: 2, spelling: true },
  { facts: { https: true, path: "//section-6//api/17", contentType: JSON_TYPE }, matchesAt1000: 2, spelling: true },
  { facts: { https: true, path: "/section-0/page-0;jsessionid=0A1B2C3D", contentType: HTML }, matchesAt1000: 3, spelling: true },
  { facts: { https: true, path: "/static/app%2Ejs", contentType: "text/javascript" }, matchesAt1000: 1, spelling: true },
];

/** The request mix: every request but the other spellings. */
const inMix = (i: number): boolean => REQUESTS[i]?.spelling !== true;

const CLASSES = [0, 1, 2, 3] as const;

/** Eight headers an origin sends with a page; plan+apply copies them first, as a real response would. */
const ORIGIN_HEADERS: readonly (readonly [string, string])[] = [
  ["Content-Type", HTML],
  ["Content-Length", "2048"],
  ["Cache-Control", "public, max-age=0, must-revalidate"],
  ["Date", "Wed, 25 Nov 2026 21:30:38 GMT"],
  ["ETag", 'W/"800-1a2b3c4d5e6f"'],
  ["Server", "nginx/1.24.0"],
  ["X-Powered-By", "Express"],
  ["X-Debug-Token", "a1b2c3"],
];

/** The example policy's base (examples/policy.json without its rules) plus the first `count` generated rules. */
function documentWith(count: number): unknown {
  const example: unknown = JSON.parse(readFileSync(new URL("../examples/policy.json", import.meta.url), "utf8"));
  if (typeof example !== "object" || example === null) throw new Error("examples/policy.json is not an object");
  const base: Record<string, unknown> = { ...example };
  delete base.rules;
  delete base.$schema;
  return { ...base, rules: Array.from({ length: count }, (_, k) => generatedRule(k)) };
}

function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/** A document validated as the Worker would validate it; a generator bug fails loudly. */
function validDocument(count: number): { document: PolicyDocument; parseMs: number } {
  const input = documentWith(count);
  const start = nowNs();
  const parsed = parsePolicy(input);
  const parseMs = (nowNs() - start) / 1e6;
  if (!parsed.ok) throw new Error(`generated policy with ${count} rules is invalid: ${JSON.stringify(parsed.issues.slice(0, 3))}`);
  return { document: parsed.value, parseMs };
}

/** The policy with the first `count` generated rules, validated and compiled (for diagnostics outside the bench). */
export function policyWithRules(count: number): CompiledPolicy {
  return compiled(validDocument(count).document).policy;
}

interface Compiled {
  readonly policy: CompiledPolicy;
  readonly compileMs: number;
  readonly conflicts: number;
}

function compiled(document: PolicyDocument): Compiled {
  let conflicts = 0;
  const start = nowNs();
  const { policy, rejected } = compilePolicy(
    [{ from: "KV", document }],
    { reportOnly: false },
    {
      onRejected: () => {
        conflicts++;
      },
    },
  );
  const compileMs = (nowNs() - start) / 1e6;
  if (rejected.length > 0) throw new Error(`generated policy rejected: ${JSON.stringify(rejected[0]?.issues.slice(0, 3))}`);
  return {
    policy,
    compileMs,
    // Read at the end: combinations compile (and may conflict) only while the bench plans requests.
    get conflicts() {
      return conflicts;
    },
  };
}

/** How many rules apply to a request: matched by path, then kept by content type (planHeaders' own match). */
function applicableRules(policy: CompiledPolicy, facts: RequestFacts): number {
  return matchRules(policy, facts).applied.length;
}

/** Written by every iteration so the engine cannot drop the work. */
let sink: HeaderPlan | Headers | undefined;

interface Row {
  readonly kind: "plan" | "plan+apply";
  readonly count: number;
  /** An index into REQUESTS, or "all" (plan+apply runs the whole set). */
  readonly request: number | "all";
  readonly requestsPerIteration: number;
  readonly run: (n: number) => void;
}

/** One plan row per request (so any grouping can be averaged per batch round), and one plan+apply row. */
function rowsFor(count: number, policy: CompiledPolicy, template: Headers): Row[] {
  const rows: Row[] = REQUESTS.map(({ facts }, request) => ({
    kind: "plan",
    count,
    request,
    requestsPerIteration: 1,
    run: (n: number) => {
      for (let i = 0; i < n; i++) sink = planHeaders(policy, facts);
    },
  }));
  const all = REQUESTS.filter((_, i) => inMix(i)).map((r) => r.facts);
  rows.push({
    kind: "plan+apply",
    count,
    request: "all",
    requestsPerIteration: all.length,
    run: (n) => {
      for (let i = 0; i < n; i++) {
        for (const f of all) {
          const h = new Headers(template);
          applyHeaders(h, planHeaders(policy, f).ops);
          sink = h;
        }
      }
    },
  });
  return rows;
}

/** Iterations that take about `ms` milliseconds, after a warm-up (which also memoises every combination). */
function calibrate(row: Row, ms: number): number {
  row.run(200);
  let n = 10;
  for (let attempt = 0; attempt < 20; attempt++) {
    const start = nowNs();
    row.run(n);
    const elapsed = nowNs() - start;
    if (elapsed >= 2e6) return Math.max(10, Math.round((n * ms * 1e6) / elapsed));
    n *= 4;
  }
  return n;
}

export interface RuleCountResult {
  readonly count: number;
  /** Validating the whole document (parsePolicy), once. */
  readonly parseMs: number;
  /** compilePolicy, median of three: once per policy version. */
  readonly compileMs: number;
  /** Rule combinations that had to skip a rule (a generator bug if not 0). */
  readonly conflicts: number;
  /** Matching rules per request of REQUESTS, in order. */
  readonly matches: number[];
  /** Warm: ns per request, the mean over the request set, per batch round. */
  readonly planNs: Spread;
  readonly planApplyNs: Spread;
  /** Warm: median ns per request by class (how many rules the request matches at 1,000 rules). */
  readonly planNsByClass: Record<string, number>;
  /** Warm: median ns per request by how many rules it matches in this policy. */
  readonly planNsByOwnMatches: Record<string, number>;
  /** Warm: median ns per request of each request. */
  readonly planNsByRequest: number[];
  /** Cold (the combination's first request, memo empty): median ns per request by this policy's own match count. */
  readonly coldNsByMatches: Record<string, number>;
  readonly coldSamples: Record<string, number>;
}

export interface RulesRatio {
  readonly row: string;
  /** Per batch round, N rules / 1 rule. */
  readonly r100: Spread;
  readonly r1000: Spread;
  /** The medians of the row's ns per request for 1, 100 and 1,000 rules. */
  readonly ns: readonly number[];
}

export interface RulesResult {
  readonly options: RulesOptions;
  readonly requests: readonly { readonly path: string; readonly contentType: string | null }[];
  readonly counts: RuleCountResult[];
  readonly ratios: RulesRatio[];
  readonly target: number;
  readonly meetsTarget: boolean;
}

/** Time the first request of each combination: clear the memo, plan every request once, one timer per call. */
function cold(policy: CompiledPolicy, rounds: number): { byMatches: Record<string, number>; samples: Record<string, number> } {
  const samples = new Map<number, number[]>();
  const matches = REQUESTS.map((r) => applicableRules(policy, r.facts));
  // One unrecorded pass so the merge code is compiled by the JIT: the figure is a cold memo, not a cold engine.
  for (let warm = 0; warm < 20; warm++) {
    policy.combos.clear();
    for (const r of REQUESTS) sink = planHeaders(policy, r.facts);
  }
  for (let round = 0; round < rounds; round++) {
    policy.combos.clear();
    REQUESTS.forEach((r, i) => {
      const m = matches[i] ?? 0;
      if (m === 0) return;
      const start = nowNs();
      sink = planHeaders(policy, r.facts);
      const elapsed = nowNs() - start;
      const list = samples.get(m) ?? [];
      list.push(elapsed);
      samples.set(m, list);
    });
  }
  const byMatches: Record<string, number> = {};
  const counts: Record<string, number> = {};
  for (const [m, list] of [...samples].sort((a, b) => a[0] - b[0])) {
    byMatches[String(m)] = median(list);
    counts[String(m)] = list.length;
  }
  return { byMatches, samples: counts };
}

/** Run the rules bench and return its numbers (nothing printed). */
export function runRules(options: RulesOptions = RULES_DEFAULTS): RulesResult {
  const template = new Headers();
  for (const [name, value] of ORIGIN_HEADERS) template.append(name, value);
  const policies = RULE_COUNTS.map((count) => {
    const { document, parseMs } = validDocument(count);
    const compiles = Array.from({ length: 3 }, () => compiled(document));
    const last = compiles[compiles.length - 1];
    if (last === undefined) throw new Error("no compile");
    return { count, parseMs, compileMs: median(compiles.map((c) => c.compileMs)), compiled: last };
  });
  const rows = policies.flatMap((p) => rowsFor(p.count, p.compiled.policy, template));
  const iterations = rows.map((row) => calibrate(row, options.batchMs));
  const samples: number[][] = rows.map(() => []);
  for (let batch = 0; batch < options.batches; batch++) {
    for (let k = 0; k < rows.length; k++) {
      const index = (batch + k) % rows.length;
      const row = rows[index];
      const n = iterations[index] ?? 0;
      if (row === undefined) continue;
      const start = nowNs();
      row.run(n);
      samples[index]?.push((nowNs() - start) / (n * row.requestsPerIteration));
    }
  }
  const rowSamples = (kind: Row["kind"], count: number, request: Row["request"]): number[] =>
    samples[rows.findIndex((r) => r.kind === kind && r.count === count && r.request === request)] ?? [];
  /** Per batch round, the mean ns per request over the chosen requests (NaN when none is chosen). */
  const groupSamples = (count: number, chosen: (request: number) => boolean): number[] => {
    const picked = REQUESTS.map((_, i) => i).filter(chosen);
    return Array.from({ length: options.batches }, (_, batch) =>
      picked.length === 0
        ? Number.NaN
        : picked.reduce((sum, i) => sum + (rowSamples("plan", count, i)[batch] ?? Number.NaN), 0) / picked.length,
    );
  };
  const ownMatches = new Map(policies.map((p) => [p.count, REQUESTS.map((r) => applicableRules(p.compiled.policy, r.facts))]));
  const counts: RuleCountResult[] = policies.map((p) => {
    const coldResult = cold(p.compiled.policy, options.coldRounds);
    const matches = ownMatches.get(p.count) ?? [];
    const byClass: Record<string, number> = {};
    for (const c of CLASSES) byClass[String(c)] = median(groupSamples(p.count, (i) => inMix(i) && REQUESTS[i]?.matchesAt1000 === c));
    const byOwn: Record<string, number> = {};
    for (const m of [...new Set(matches)].sort((x, y) => x - y))
      byOwn[String(m)] = median(groupSamples(p.count, (i) => inMix(i) && matches[i] === m));
    return {
      count: p.count,
      parseMs: p.parseMs,
      compileMs: p.compileMs,
      conflicts: p.compiled.conflicts,
      matches,
      planNs: spread(groupSamples(p.count, () => true)),
      planApplyNs: spread(rowSamples("plan+apply", p.count, "all")),
      planNsByClass: byClass,
      planNsByOwnMatches: byOwn,
      planNsByRequest: REQUESTS.map((_, i) => median(rowSamples("plan", p.count, i))),
      coldNsByMatches: coldResult.byMatches,
      coldSamples: coldResult.samples,
    };
  });
  const ratioRow = (row: string, of: (count: number) => number[]): RulesRatio => {
    const base = of(1);
    const per = (count: number): Spread => spread(of(count).map((t, i) => t / (base[i] ?? Number.NaN)));
    return { row, r100: per(100), r1000: per(1000), ns: RULE_COUNTS.map((count: number) => median(of(count))) };
  };
  const own1 = (count: number): number[] => groupSamples(count, (i) => inMix(i) && (ownMatches.get(count) ?? [])[i] === 1);
  const ratios: RulesRatio[] = [
    ratioRow("plan, all 11 requests", (count) => groupSamples(count, inMix)),
    ...CLASSES.map((c) =>
      ratioRow(c === 0 ? "plan, the 3 misses (0 rules in every policy)" : `plan, requests matching ${c} at 1,000`, (count) =>
        groupSamples(count, (i) => inMix(i) && REQUESTS[i]?.matchesAt1000 === c),
      ),
    ),
    ratioRow("plan, requests matching exactly 1 rule in their policy", own1),
    ratioRow("plan+apply, all 11 requests", (count) => rowSamples("plan+apply", count, "all")),
    ratioRow("plan, 4 other spellings of matched pages (not in the mix)", (count) => groupSamples(count, (i) => !inMix(i))),
  ];
  if (sink === undefined) throw new Error("the bench did no work");
  const target = ratios[0]?.r1000.median ?? Number.NaN;
  return {
    options,
    requests: REQUESTS.map((r) => ({ path: r.facts.path, contentType: r.facts.contentType })),
    counts,
    ratios,
    target: RULES_TARGET,
    meetsTarget: target <= RULES_TARGET,
  };
}

const ns = (s: Spread): string => `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;

/** The rules results as printable tables. */
export function formatRules(result: RulesResult): string {
  const perCount = formatTable(
    [
      "rules",
      "validate ms",
      "compile ms",
      "plan ns/req (min–max)",
      "plan+apply ns/req (min–max)",
      "cold: 1 / 2 / 3 matching, µs",
      "conflicts",
    ],
    result.counts.map((c) => [
      String(c.count),
      c.parseMs.toFixed(1),
      c.compileMs.toFixed(1),
      ns(c.planNs),
      ns(c.planApplyNs),
      ["1", "2", "3"].map((m) => (c.coldNsByMatches[m] === undefined ? "-" : ((c.coldNsByMatches[m] ?? 0) / 1000).toFixed(1))).join(" / "),
      String(c.conflicts),
    ]),
  );
  const byGroup = formatTable(
    [
      "warm ns per request",
      ...result.counts.map((c) => `${c.count} rule${c.count === 1 ? "" : "s"}`),
      "100 ÷ 1 (min–max)",
      "1000 ÷ 1 (min–max)",
    ],
    result.ratios.map((r) => [r.row, ...r.ns.map((v) => v.toFixed(0)), formatSpread(r.r100, 2), formatSpread(r.r1000, 2)]),
  );
  const paths = formatTable(
    ["request", "content type", ...result.counts.map((c) => `rules matched / ns, ${c.count}`)],
    result.requests.map((r, i) => [
      r.path,
      r.contentType ?? "",
      ...result.counts.map((c) => `${c.matches[i] ?? ""} / ${(c.planNsByRequest[i] ?? Number.NaN).toFixed(0)}`),
    ]),
  );
  const headline = result.ratios[0];
  const verdict =
    headline === undefined
      ? ""
      : `target: 1,000 rules ≤ ${result.target}× 1 rule per request (plan, all requests): ${headline.r1000.median.toFixed(2)} ${result.meetsTarget ? "yes" : "NO"}`;
  return `${perCount}\n\n${byGroup}\n\n${paths}\n\n${verdict}`;
}

/** The rules result with numbers rounded for the JSON file. */
export function roundRules(result: RulesResult): RulesResult {
  const r = (s: Spread, d: number): Spread => ({ median: round(s.median, d), min: round(s.min, d), max: round(s.max, d) });
  const rec = (o: Record<string, number>, d: number): Record<string, number> =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v, d)]));
  return {
    ...result,
    counts: result.counts.map((c) => ({
      ...c,
      parseMs: round(c.parseMs, 2),
      compileMs: round(c.compileMs, 2),
      planNs: r(c.planNs, 1),
      planApplyNs: r(c.planApplyNs, 1),
      planNsByClass: rec(c.planNsByClass, 1),
      planNsByOwnMatches: rec(c.planNsByOwnMatches, 1),
      planNsByRequest: c.planNsByRequest.map((v) => round(v, 1)),
      coldNsByMatches: rec(c.coldNsByMatches, 0),
    })),
    ratios: result.ratios.map((x) => ({ ...x, r100: r(x.r100, 3), r1000: r(x.r1000, 3), ns: x.ns.map((v) => round(v, 1)) })),
  };
}
