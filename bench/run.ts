// `npm run bench`: the micro, rules, proxy and nonce benches; prints tables and writes bench/results/latest.json.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { formatMicro, MICRO_DEFAULTS, roundMicro, runMicro, type MicroOptions, type MicroResult } from "./micro.js";
import { formatNonce, NONCE_DEFAULTS, roundNonce, runNonce, type NonceOptions, type NonceResult } from "./nonce.js";
import { formatProxy, PROXY_DEFAULTS, roundProxy, runProxy, type ProxyOptions, type ProxyResult } from "./proxy.js";
import { formatRules, roundRules, RULES_DEFAULTS, runRules, type RulesOptions, type RulesResult } from "./rules.js";
import { round } from "./stats.js";

const USAGE = `usage: npm run bench -- [options]   (each option also reads an env var, e.g. BENCH_ROUNDS=15)
  --only LIST             benches to run, comma-separated: micro,rules,proxy,nonce (BENCH_ONLY, default all, in that order)
  --rounds N              interleaved proxy rounds per workload (BENCH_ROUNDS, default ${PROXY_DEFAULTS.rounds})
  --duration S            seconds per small-body run (BENCH_DURATION, default ${PROXY_DEFAULTS.durationS})
  --big-requests N        requests per 10 MiB run (BENCH_BIG_REQUESTS, default ${PROXY_DEFAULTS.bigRequests})
  --warmup S              unrecorded seconds per Worker and workload (BENCH_WARMUP, default ${PROXY_DEFAULTS.warmupS})
  --ttfb-samples N        first-byte samples per Worker (BENCH_TTFB_SAMPLES, default ${PROXY_DEFAULTS.ttfbSamples})
  --memory-rounds N       1 GiB streams per Worker (BENCH_MEMORY_ROUNDS, default ${PROXY_DEFAULTS.memoryRounds})
  --memory-bytes N        bytes per memory stream (BENCH_MEMORY_BYTES, default ${PROXY_DEFAULTS.memoryBytes})
  --scheme https|http     scheme the Worker sees (BENCH_SCHEME, default ${PROXY_DEFAULTS.scheme})
  --entry FILE            the Worker entry proxy and nonce bundle as ours, e.g. a snapshot of another tree (BENCH_ENTRY, default ${PROXY_DEFAULTS.entry})
  --control               also run a second bare Worker (proxy and nonce): the A/A ratio shows the noise floor (BENCH_CONTROL=1)
  --micro-batches N       timed batches per micro row (BENCH_MICRO_BATCHES, default ${MICRO_DEFAULTS.batches})
  --micro-batch-ms MS     target ms per micro batch (BENCH_MICRO_BATCH_MS, default ${MICRO_DEFAULTS.batchMs})
  --rules-batches N       timed batches per rules row (BENCH_RULES_BATCHES, default ${RULES_DEFAULTS.batches})
  --rules-batch-ms MS     target ms per rules batch (BENCH_RULES_BATCH_MS, default ${RULES_DEFAULTS.batchMs})
  --rules-cold N          cold-combination samples per request and rule count (BENCH_RULES_COLD, default ${RULES_DEFAULTS.coldRounds})
  --nonce-rounds N        interleaved nonce rounds per page (BENCH_NONCE_ROUNDS, default ${NONCE_DEFAULTS.rounds})
  --nonce-duration S      seconds per 2 KiB nonce run (BENCH_NONCE_DURATION, default ${NONCE_DEFAULTS.durationS})
  --nonce-big-seconds S   target seconds per 1 MiB nonce run, a count sized per Worker (BENCH_NONCE_BIG_SECONDS, default ${NONCE_DEFAULTS.bigSeconds})
  --nonce-ttfb-samples N  first-byte samples per nonce Worker (BENCH_NONCE_TTFB_SAMPLES, default ${NONCE_DEFAULTS.ttfbSamples})
  --nonce-hold-ms MS      how long the held page waits before the origin ends it (BENCH_NONCE_HOLD_MS, default ${NONCE_DEFAULTS.holdMs})
  --blanket-rounds N      rounds of the blanket side-by-side, 1 MiB ordinary and hostile bodies (BENCH_BLANKET_ROUNDS, default ${NONCE_DEFAULTS.blanketRounds})
  --blanket-requests N    requests per body and Worker in each of those rounds (BENCH_BLANKET_REQUESTS, default ${NONCE_DEFAULTS.blanketRequests})
  --out FILE              JSON output (BENCH_OUT, default bench/results/latest.json)`;

const ROOT = fileURLToPath(new URL("../", import.meta.url));

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    rounds: { type: "string" },
    duration: { type: "string" },
    "big-requests": { type: "string" },
    warmup: { type: "string" },
    "ttfb-samples": { type: "string" },
    "memory-rounds": { type: "string" },
    "memory-bytes": { type: "string" },
    scheme: { type: "string" },
    control: { type: "boolean" },
    entry: { type: "string" },
    "micro-batches": { type: "string" },
    "micro-batch-ms": { type: "string" },
    "rules-batches": { type: "string" },
    "rules-batch-ms": { type: "string" },
    "rules-cold": { type: "string" },
    "nonce-rounds": { type: "string" },
    "nonce-duration": { type: "string" },
    "nonce-big-seconds": { type: "string" },
    "nonce-ttfb-samples": { type: "string" },
    "nonce-hold-ms": { type: "string" },
    "blanket-rounds": { type: "string" },
    "blanket-requests": { type: "string" },
    out: { type: "string" },
    help: { type: "boolean" },
  },
});

if (values.help === true) {
  console.log(USAGE);
  process.exit(0);
}

/** A positive number from the flag, else the env var, else the default; anything else is a usage error. */
function num(flag: string | undefined, env: string, fallback: number, integer = true): number {
  const raw = flag ?? process.env[env];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    console.error(`bad value ${JSON.stringify(raw)} for ${env}\n${USAGE}`);
    process.exit(2);
  }
  return value;
}

function pick<T extends string>(raw: string | undefined, allowed: readonly T[], fallback: T, env: string): T {
  const value = raw ?? process.env[env] ?? fallback;
  const found = allowed.find((a) => a === value);
  if (found === undefined) {
    console.error(`bad value ${JSON.stringify(value)} for ${env}\n${USAGE}`);
    process.exit(2);
  }
  return found;
}

const BENCHES = ["micro", "rules", "proxy", "nonce"] as const;
type Bench = (typeof BENCHES)[number];

/** The benches to run: a comma-separated list, "all" (the default), or "both" (the old default: micro and proxy). */
function selected(raw: string | undefined): ReadonlySet<Bench> {
  const value = raw ?? process.env.BENCH_ONLY ?? "all";
  if (value === "all") return new Set(BENCHES);
  if (value === "both") return new Set<Bench>(["micro", "proxy"]);
  const chosen = new Set<Bench>();
  for (const name of value.split(",")) chosen.add(pick(name.trim(), BENCHES, "micro", "BENCH_ONLY"));
  return chosen;
}

const only = selected(values.only);
const microOptions: MicroOptions = {
  batches: num(values["micro-batches"], "BENCH_MICRO_BATCHES", MICRO_DEFAULTS.batches),
  batchMs: num(values["micro-batch-ms"], "BENCH_MICRO_BATCH_MS", MICRO_DEFAULTS.batchMs, false),
};
const rulesOptions: RulesOptions = {
  batches: num(values["rules-batches"], "BENCH_RULES_BATCHES", RULES_DEFAULTS.batches),
  batchMs: num(values["rules-batch-ms"], "BENCH_RULES_BATCH_MS", RULES_DEFAULTS.batchMs, false),
  coldRounds: num(values["rules-cold"], "BENCH_RULES_COLD", RULES_DEFAULTS.coldRounds),
};
const proxyOptions: ProxyOptions = {
  ...PROXY_DEFAULTS,
  rounds: num(values.rounds, "BENCH_ROUNDS", PROXY_DEFAULTS.rounds),
  durationS: num(values.duration, "BENCH_DURATION", PROXY_DEFAULTS.durationS, false),
  bigRequests: num(values["big-requests"], "BENCH_BIG_REQUESTS", PROXY_DEFAULTS.bigRequests),
  warmupS: num(values.warmup, "BENCH_WARMUP", PROXY_DEFAULTS.warmupS, false),
  ttfbSamples: num(values["ttfb-samples"], "BENCH_TTFB_SAMPLES", PROXY_DEFAULTS.ttfbSamples),
  memoryRounds: num(values["memory-rounds"], "BENCH_MEMORY_ROUNDS", PROXY_DEFAULTS.memoryRounds),
  memoryBytes: num(values["memory-bytes"], "BENCH_MEMORY_BYTES", PROXY_DEFAULTS.memoryBytes),
  scheme: pick(values.scheme, ["https", "http"], PROXY_DEFAULTS.scheme, "BENCH_SCHEME"),
  control: values.control === true || process.env.BENCH_CONTROL === "1",
  entry: values.entry ?? process.env.BENCH_ENTRY ?? PROXY_DEFAULTS.entry,
};
const nonceOptions: NonceOptions = {
  ...NONCE_DEFAULTS,
  rounds: num(values["nonce-rounds"], "BENCH_NONCE_ROUNDS", NONCE_DEFAULTS.rounds),
  durationS: num(values["nonce-duration"], "BENCH_NONCE_DURATION", NONCE_DEFAULTS.durationS, false),
  bigSeconds: num(values["nonce-big-seconds"], "BENCH_NONCE_BIG_SECONDS", NONCE_DEFAULTS.bigSeconds, false),
  warmupS: proxyOptions.warmupS,
  ttfbSamples: num(values["nonce-ttfb-samples"], "BENCH_NONCE_TTFB_SAMPLES", NONCE_DEFAULTS.ttfbSamples),
  holdMs: num(values["nonce-hold-ms"], "BENCH_NONCE_HOLD_MS", NONCE_DEFAULTS.holdMs),
  scheme: proxyOptions.scheme,
  control: proxyOptions.control,
  entry: proxyOptions.entry,
  blanketRounds: num(values["blanket-rounds"], "BENCH_BLANKET_ROUNDS", NONCE_DEFAULTS.blanketRounds),
  blanketRequests: num(values["blanket-requests"], "BENCH_BLANKET_REQUESTS", NONCE_DEFAULTS.blanketRequests),
};
const out = values.out ?? process.env.BENCH_OUT ?? `${ROOT}bench/results/latest.json`;

function packageVersion(path: string): string {
  try {
    const parsed: unknown = JSON.parse(readFileSync(`${ROOT}${path}`, "utf8"));
    return typeof parsed === "object" && parsed !== null && "version" in parsed && typeof parsed.version === "string"
      ? parsed.version
      : "unknown";
  } catch {
    return "unknown";
  }
}

/** A digest of every file under `root` (src/ by default), so a run on an uncommitted tree still names the code it measured. */
function srcDigest(root = join(ROOT, "src")): string {
  const hash = createHash("sha256");
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else
        hash
          .update(`${relative(dirname(root), path)}\0`)
          .update(readFileSync(path))
          .update("\0");
    }
  };
  walk(root);
  return hash.digest("hex").slice(0, 16);
}

/** The commit measured, and whether src/ differs from it (another engineer may be editing the tree). */
function gitState(): { commit: string; srcDirty: boolean; srcDigest: string } {
  const digest = srcDigest();
  try {
    const git = (...args: string[]): string => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
    return { commit: git("rev-parse", "HEAD"), srcDirty: git("status", "--porcelain", "--", "src").length > 0, srcDigest: digest };
  } catch {
    return { commit: "unknown", srcDirty: true, srcDigest: digest };
  }
}

const startedAt = new Date();
const loadBefore = loadavg();
let micro: MicroResult | undefined;
let rules: RulesResult | undefined;
let proxy: ProxyResult | undefined;
let nonce: NonceResult | undefined;

if (only.has("micro")) {
  console.log(`micro bench (plain Node ${process.version}): ${microOptions.batches} batches of ~${microOptions.batchMs} ms per row\n`);
  micro = runMicro(microOptions);
  console.log(`${formatMicro(micro)}\n`);
}
if (only.has("rules")) {
  console.log(
    `rules bench (plain Node ${process.version}): 1, 100 and 1,000 rules; ${rulesOptions.batches} batches of ~${rulesOptions.batchMs} ms per row\n`,
  );
  rules = runRules(rulesOptions);
  console.log(`${formatRules(rules)}\n`);
}
if (only.has("proxy")) {
  console.log(`proxy bench (Miniflare, ${proxyOptions.scheme} as seen by the Worker)`);
  proxy = await runProxy(proxyOptions, (line) => console.log(line));
  console.log(`\n${formatProxy(proxy)}\n`);
  for (const [who, log] of Object.entries(proxy.workerdLog)) {
    if (log.lines > 0) console.log(`workerd (${who}) wrote ${log.lines} log line(s), e.g. ${log.samples[0] ?? ""}`);
  }
  if (proxy.leftRunning > 0) console.log(`WARNING: ${proxy.leftRunning} workerd process(es) of ours still running`);
}
if (only.has("nonce")) {
  console.log(`nonce bench (Miniflare, ${nonceOptions.scheme} as seen by the Worker)`);
  nonce = await runNonce(nonceOptions, (line) => console.log(line));
  console.log(`\n${formatNonce(nonce)}\n`);
  for (const [who, log] of Object.entries(nonce.workerdLog)) {
    if (log.lines > 0) console.log(`workerd (${who}) wrote ${log.lines} log line(s), e.g. ${log.samples[0] ?? ""}`);
  }
  if (nonce.leftRunning > 0) console.log(`WARNING: ${nonce.leftRunning} workerd process(es) of ours still running`);
}

const report = {
  date: startedAt.toISOString(),
  elapsedS: round((Date.now() - startedAt.getTime()) / 1000, 1),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    node: process.version,
    loadavgBefore: loadBefore.map((v) => round(v, 2)),
    loadavgAfter: loadavg().map((v) => round(v, 2)),
  },
  git: gitState(),
  // What proxy and nonce bundled as ours, and a digest of the directory it is in (equal to srcDigest for src/index.ts).
  ours: { entry: proxyOptions.entry, dirDigest: srcDigest(dirname(resolve(ROOT, proxyOptions.entry))) },
  versions: {
    workerdRunning: proxy?.workerd.version ?? nonce?.workerd.version ?? "not run",
    workerdTopLevelPackage: packageVersion("node_modules/workerd/package.json"),
    miniflare: packageVersion("node_modules/miniflare/package.json"),
    autocannon: packageVersion("node_modules/autocannon/package.json"),
  },
  micro: micro === undefined ? null : roundMicro(micro),
  rules: rules === undefined ? null : roundRules(rules),
  proxy: proxy === undefined ? null : roundProxy(proxy),
  nonce: nonce === undefined ? null : roundNonce(nonce),
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`wrote ${out} (${report.elapsedS} s)`);
