// Browser tests: Debian's Chromium through playwright-core, against the Worker in Miniflare. Run by
// `npm run test:e2e` (and .ci/run, which installs Chromium first), not by `npm test`.

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "e2e",
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    setupFiles: ["./test/console-guard.ts"],
  },
});
