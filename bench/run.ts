// `npm run bench`: the micro bench, then the proxy bench; prints tables and writes bench/results/latest.json.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { formatMicro, MICRO_DEFAULTS, roundMicro, runMicro, type MicroOptions, type MicroResult } from "./micro.js";
import { formatProxy, PROXY_DEFAULTS, roundProxy, runProxy, type ProxyOptions, type ProxyResult } from "./proxy.js";
import { round } from "./stats.js";

const USAGE = `usage: npm run bench -- [options]   (each option also reads an env var, e.g. BENCH_ROUNDS=15)
  --only micro|proxy      run one bench (default: both, micro first)
  --rounds N              interleaved proxy rounds per workload (BENCH_ROUNDS, default ${PROXY_DEFAULTS.rounds})
  --duration S            seconds per small-body run (BENCH_DURATION, default ${PROXY_DEFAULTS.durationS})
  --big-requests N        requests per 10 MiB run (BENCH_BIG_REQUESTS, default ${PROXY_DEFAULTS.bigRequests})
  --warmup S              unrecorded seconds per Worker and workload (BENCH_WARMUP, default ${PROXY_DEFAULTS.warmupS})
  --ttfb-samples N        first-byte samples per Worker (BENCH_TTFB_SAMPLES, default ${PROXY_DEFAULTS.ttfbSamples})
  --memory-rounds N       1 GiB streams per Worker (BENCH_MEMORY_ROUNDS, default ${PROXY_DEFAULTS.memoryRounds})
  --memory-bytes N        bytes per memory stream (BENCH_MEMORY_BYTES, default ${PROXY_DEFAULTS.memoryBytes})
  --scheme https|http     scheme the Worker sees (BENCH_SCHEME, default ${PROXY_DEFAULTS.scheme})
  --control               also run a second bare Worker: the A/A ratio shows the noise floor (BENCH_CONTROL=1)
  --micro-batches N       timed batches per micro row (BENCH_MICRO_BATCHES, default ${MICRO_DEFAULTS.batches})
  --micro-batch-ms MS     target ms per micro batch (BENCH_MICRO_BATCH_MS, default ${MICRO_DEFAULTS.batchMs})
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
    "micro-batches": { type: "string" },
    "micro-batch-ms": { type: "string" },
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

const only = pick(values.only, ["both", "micro", "proxy"], "both", "BENCH_ONLY");
const microOptions: MicroOptions = {
  batches: num(values["micro-batches"], "BENCH_MICRO_BATCHES", MICRO_DEFAULTS.batches),
  batchMs: num(values["micro-batch-ms"], "BENCH_MICRO_BATCH_MS", MICRO_DEFAULTS.batchMs, false),
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
};
const out = values.out ?? process.env.BENCH_OUT ?? `${ROOT}bench/results/latest.json`;

function packageVersion(path: string): string {
  try {
    const parsed: unknown = JSON.parse(readFileSync(`${ROOT}${path}`, "utf8"));
    return typeof parsed === "object" && parsed !== null && "version" in parsed && typeof parsed.version === "string" ? parsed.version : "unknown";
  } catch {
    return "unknown";
  }
}

/** A digest of every file under src/, so a run on an uncommitted tree still names the code it measured. */
function srcDigest(): string {
  const hash = createHash("sha256");
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(`${relative(ROOT, path)}\0`).update(readFileSync(path)).update("\0");
    }
  };
  walk(join(ROOT, "src"));
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
let proxy: ProxyResult | undefined;

if (only !== "proxy") {
  console.log(`micro bench (plain Node ${process.version}): ${microOptions.batches} batches of ~${microOptions.batchMs} ms per row\n`);
  micro = runMicro(microOptions);
  console.log(`${formatMicro(micro)}\n`);
}
if (only !== "micro") {
  console.log(`proxy bench (Miniflare, ${proxyOptions.scheme} as seen by the Worker)`);
  proxy = await runProxy(proxyOptions, (line) => console.log(line));
  console.log(`\n${formatProxy(proxy)}\n`);
  for (const [who, log] of Object.entries(proxy.workerdLog)) {
    if (log.lines > 0) console.log(`workerd (${who}) wrote ${log.lines} log line(s), e.g. ${log.samples[0] ?? ""}`);
  }
  if (proxy.leftRunning > 0) console.log(`WARNING: ${proxy.leftRunning} workerd process(es) of ours still running`);
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
  versions: {
    workerdRunning: proxy?.workerd.version ?? "not run",
    workerdTopLevelPackage: packageVersion("node_modules/workerd/package.json"),
    miniflare: packageVersion("node_modules/miniflare/package.json"),
    autocannon: packageVersion("node_modules/autocannon/package.json"),
  },
  micro: micro === undefined ? null : roundMicro(micro),
  proxy: proxy === undefined ? null : roundProxy(proxy),
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`wrote ${out} (${report.elapsedS} s)`);
