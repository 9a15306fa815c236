// Three test projects (the pure core in plain Node, the bundled Worker in Miniflare, the Worker shell inside workerd); in each, a test that prints to the console fails (test/console-guard.ts).

import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
import { FUZZ_SEED, providedFuzzRuns } from "./test/fuzz-config.js";
import { dropRefusedFetchLines } from "./test/pool-log-filter.js";
// Brings in the ProvidedContext entry (originUrl) that the worker project's globalSetup provides.
import type {} from "./test/worker/global-setup.js";

// The worker pool's verbose workerd prints three lines for each refused fetch; see test/pool-log-filter.ts.
dropRefusedFetchLines();

export default defineConfig({
  test: {
    // vitest's default for a run is one worker fewer than the cores: on the 2-core machines we and CI use,
    // that is a single worker, and the 116 files ran one after another (no two files' spans overlapped in
    // a --reporter=json run). Most integration time is waiting on other processes (workerd, wrangler, the
    // CLI, origin timeouts), so two files at once keep both cores busy; bigger machines keep the default.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        // Property tests are bounded by run count, not time (GUIDE.md: no timed assertions); on a 2-core machine
        // shared with other runs a seeded property can take several seconds, so the 5 s default only made flakes.
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
          setupFiles: ["./test/console-guard.ts"],
          testTimeout: 30_000,
        },
      },
      {
        // Blanket stamping against parse5 (test/html/differential.ts): a seeded slice here, the long run
        // with `npm run test:html`.
        test: { name: "html", include: ["test/html/**/*.test.ts"], environment: "node", testTimeout: 600_000 },
      },
      {
        // The Worker bundled and run in Miniflare, talked to over its own socket: big bodies, raw bytes,
        // WebSockets, memory. Slower than the rest, so generous timeouts.
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          // Each lifecycle case starts `npm start` (wrangler dev) of its own: run by vitest.e2e.config.ts.
          exclude: ["test/integration/lifecycle/**"],
          environment: "node",
          testTimeout: 180_000,
          hookTimeout: 60_000,
          setupFiles: ["./test/console-guard.ts"],
        },
      },
      {
        plugins: [
          // The D1 migrations are read here, in Node, and applied inside workerd by test/worker/apply-migrations.ts.
          cloudflareTest(async ({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { ORIGIN_URL: inject("originUrl"), TEST_MIGRATIONS: await readD1Migrations("./migrations") } },
          })),
        ],
        test: {
          name: "worker",
          // As in the unit project: with two files at once on a loaded 2-core machine, kv.test's 1,000 requests
          // took over the 5 s default (and the file's later cases then failed on the state the first left).
          testTimeout: 30_000,
          include: ["test/worker/**/*.test.ts"],
          globalSetup: ["./test/worker/global-setup.ts"],
          setupFiles: ["./test/console-guard.ts", "./test/worker/apply-migrations.ts"],
          // workerd has no process.env: the fuzz properties read FUZZ_RUNS and FUZZ_SEED through inject().
          provide: { fuzzRuns: providedFuzzRuns(), fuzzSeed: FUZZ_SEED },
        },
      },
    ],
  },
});
