// The load test's sizes and bounds, from the environment, with modest defaults that CI can afford.

/** Everything the load run is sized and bounded by. */
export interface LoadConfig {
  /** Requests in the measured phase (after warm-up). */
  readonly requests: number;
  /** Keep-alive connections, and requests in flight at once. */
  readonly connections: number;
  /** Requests before the start RSS is taken: JIT, socket buffers and the policy cache settle here. */
  readonly warmupRequests: number;
  /** Wall-clock bound for the whole load (warm-up and measured phase); past it the test fails. */
  readonly timeLimitMs: number;
  /** How long one request may sit without a byte moving before it counts as failed. */
  readonly idleTimeoutMs: number;
  /**
   * Allowed growth of our workerd's RSS (after a full GC, start to end) beyond the growth of a bare
   * pass-through Worker's workerd under the same schedule, before the per-10-MiB-download slack that
   * load.test.ts adds. See there for why 32 MiB.
   */
  readonly maxRssGrowthBytes: number;
  /** How often workerd's RSS is sampled during the measured phase. */
  readonly sampleEveryMs: number;
  /** Seed of the request mix, so a failing run can be replayed exactly. */
  readonly seed: number;
}

const MiB = 1 << 20;

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`${name}: expected an integer from 1 to ${max}, received ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Read the load test's configuration; a malformed variable fails loudly rather than running something else. */
export function loadConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LoadConfig {
  const connections = positiveInt(env, "LOAD_CONNECTIONS", 64, 1024);
  return {
    requests: positiveInt(env, "LOAD_REQUESTS", 6000, 1_000_000),
    connections,
    warmupRequests: positiveInt(env, "LOAD_WARMUP", connections * 8, 100_000),
    timeLimitMs: positiveInt(env, "LOAD_TIME_LIMIT_S", 120, 3600) * 1000,
    idleTimeoutMs: positiveInt(env, "LOAD_IDLE_TIMEOUT_S", 30, 600) * 1000,
    maxRssGrowthBytes: positiveInt(env, "LOAD_MAX_RSS_GROWTH_MB", 32, 4096) * MiB,
    sampleEveryMs: positiveInt(env, "LOAD_SAMPLE_MS", 250, 60_000),
    seed: positiveInt(env, "LOAD_SEED", 1, 2 ** 31 - 1),
  };
}
