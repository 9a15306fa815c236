// Browser tests: Debian's Chromium through playwright-core, against the Worker in Miniflare; and the process
// lifecycle cases that each start `npm start` of their own (test/integration/lifecycle/). Run by
// `npm run test:e2e` (and .ci/run, which installs Chromium first), not by `npm test`. One file at a time: the
// demo's starts share the checkout's .wrangler/state, where two D1 migrations at once fail with SQLITE_BUSY.

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "e2e",
    include: ["test/e2e/**/*.test.ts", "test/integration/lifecycle/**/*.test.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    setupFiles: ["./test/console-guard.ts"],
  },
});
