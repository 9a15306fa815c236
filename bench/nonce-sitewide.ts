// Nonce bench, site-wide scrubbing: what a marker costs the pages *outside* its marked rules (every body of
// such a site is scrubbed, with filler and no nonce), against the bare Worker and our Worker with no marker.

import { BARE_WORKER } from "../test/support/miniflare-worker.js";
import { startOrigin } from "../test/support/origin.js";
import { bundleWorker } from "../test/support/worker-bundle.js";
import { load, startBenchWorker, type BenchWorker, type LoadRun, type LoadSpec } from "./harness.js";
import { MARKER } from "./pages.js";
import { formatSpread, formatTable, median, round, spread, type Spread } from "./stats.js";

/** A site with a marker whose marked rule covers only /marked/*: the bench's pages are all outside it. */
export const SITEWIDE_POLICY = JSON.stringify({ rules: [{ path: "/marked/*", nonce: { mode: "marked" } }] });

/** The options of the nonce bench this part reads. */
interface SitewideOptions {
  readonly rounds: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly scheme: "https" | "http";
  readonly entry: string;
}

type Who = "bare" | "plain" | "sitewide";

/** One body, side by side: per contender the median rps and CPU per request, and the ratios to bare per round. */
export interface SitewideRow {
  readonly name: string;
  readonly bytes: number;
  readonly cpuUs: Readonly<Record<Who, number>>;
  readonly rpsRatio: Readonly<Record<Exclude<Who, "bare">, Spread>>;
  readonly cpuRatio: Readonly<Record<Exclude<Who, "bare">, Spread>>;
  /** (sitewide − plain) CPU per request, per round: the scrub alone. */
  readonly scrubUs: Spread;
  /** The same per MiB of body. */
  readonly scrubUsPerMiB: Spread;
  readonly errors: number;
}

const MiB = 1 << 20;

const BODIES: readonly { name: string; path: string; bytes: number; connections: number; big: boolean }[] = [
  { name: "HTML 2 KiB (no marker)", path: "/page?kb=2", bytes: 2048, connections: 10, big: false },
  { name: "JSON 1 KiB (no marker)", path: "/json?kb=1", bytes: 1024, connections: 10, big: false },
  { name: "binary 1 MiB (no marker)", path: `/bytes?n=${MiB}`, bytes: MiB, connections: 3, big: true },
];

/**
 * Run bare, ours without a marker ("plain") and ours on a site with a marker ("sitewide") over each body
 * in interleaved rounds (who goes first rotates), and stop every Worker and the origin afterwards.
 */
export async function runSitewide(o: SitewideOptions, log: (line: string) => void): Promise<SitewideRow[]> {
  const origin = await startOrigin();
  const workers: BenchWorker<Who>[] = [];
  try {
    const ours = await bundleWorker(o.entry);
    const specs: [Who, string, Record<string, string>][] = [
      ["bare", BARE_WORKER, {}],
      ["plain", ours, {}],
      ["sitewide", ours, { POLICY: SITEWIDE_POLICY, NONCE_MARKER: MARKER }],
    ];
    for (const [who, script, bindings] of specs) workers.push(await startBenchWorker(who, script, { ORIGIN_URL: origin.url, ...bindings }));
    const pids = workers.map((w) => w.pid);
    const rows: SitewideRow[] = [];
    for (const body of BODIES) {
      const spec: LoadSpec = {
        path: body.path,
        connections: body.connections,
        run: { durationS: body.big ? 2 * o.durationS : o.durationS },
      };
      for (const worker of workers) await load(worker, spec, o.scheme, pids, { durationS: o.warmupS });
      const rounds: Record<Who, LoadRun>[] = [];
      for (let r = 0; r < o.rounds; r++) {
        const order = [...workers.slice(r % workers.length), ...workers.slice(0, r % workers.length)];
        const runs: Partial<Record<Who, LoadRun>> = {};
        for (const worker of order) runs[worker.who] = await load(worker, spec, o.scheme, pids);
        const { bare, plain, sitewide } = runs;
        if (bare === undefined || plain === undefined || sitewide === undefined) throw new Error("a contender did not run");
        rounds.push({ bare, plain, sitewide });
        log(
          `  site-wide ${body.name} round ${r + 1}/${o.rounds}: plain ${(plain.rps / bare.rps).toFixed(3)}, ` +
            `sitewide ${(sitewide.rps / bare.rps).toFixed(3)} of bare; cpu µs bare ${bare.cpuUsPerRequest.toFixed(0)}, ` +
            `plain ${plain.cpuUsPerRequest.toFixed(0)}, sitewide ${sitewide.cpuUsPerRequest.toFixed(0)}`,
        );
      }
      rows.push(rowOf(body, rounds));
    }
    return rows;
  } finally {
    for (const worker of workers) await worker.mf.dispose();
    await origin.close();
  }
}

function rowOf(body: (typeof BODIES)[number], rounds: readonly Record<Who, LoadRun>[]): SitewideRow {
  const ratio = (who: Exclude<Who, "bare">, of: (run: LoadRun) => number): Spread => spread(rounds.map((r) => of(r[who]) / of(r.bare)));
  const scrub = rounds.map((r) => r.sitewide.cpuUsPerRequest - r.plain.cpuUsPerRequest);
  const cpu = (who: Who): number => round(median(rounds.map((r) => r[who].cpuUsPerRequest)), 1);
  return {
    name: body.name,
    bytes: body.bytes,
    cpuUs: { bare: cpu("bare"), plain: cpu("plain"), sitewide: cpu("sitewide") },
    rpsRatio: { plain: ratio("plain", (r) => r.rps), sitewide: ratio("sitewide", (r) => r.rps) },
    cpuRatio: { plain: ratio("plain", (r) => r.cpuUsPerRequest), sitewide: ratio("sitewide", (r) => r.cpuUsPerRequest) },
    scrubUs: spread(scrub),
    scrubUsPerMiB: spread(scrub.map((us) => (us * MiB) / body.bytes)),
    errors: rounds.reduce((n, r) => n + r.plain.errors + r.plain.non2xx + r.sitewide.errors + r.sitewide.non2xx, 0),
  };
}

/** The site-wide rows as a printable table. */
export function formatSitewide(rows: readonly SitewideRow[]): string {
  if (rows.length === 0) return "";
  return (
    "site-wide scrubbing: a site with a marker serving pages outside its marked rule, against bare and our Worker with no marker " +
    "(figures from a loaded machine are provisional)\n" +
    formatTable(
      [
        "body",
        "plain rps ÷ bare",
        "sitewide rps ÷ bare",
        "cpu/req µs bare / plain / sitewide",
        "sitewide cpu ÷ bare",
        "scrub µs/req (sitewide − plain)",
        "scrub ms/MiB",
        "errors",
      ],
      rows.map((r) => [
        r.name,
        formatSpread(r.rpsRatio.plain),
        formatSpread(r.rpsRatio.sitewide),
        `${r.cpuUs.bare.toFixed(0)} / ${r.cpuUs.plain.toFixed(0)} / ${r.cpuUs.sitewide.toFixed(0)}`,
        r.cpuRatio.sitewide.median.toFixed(2),
        formatSpread(r.scrubUs, 0),
        (r.scrubUsPerMiB.median / 1000).toFixed(2),
        String(r.errors),
      ]),
    )
  );
}
