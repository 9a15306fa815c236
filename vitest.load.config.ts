// Load with integrity (`npm run test:load`, not `npm test`): sizes from LOAD_* env vars, see test/load/config.ts.

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "load",
    include: ["test/load/**/*.test.ts"],
    environment: "node",
    // The test bounds itself (LOAD_TIME_LIMIT_S, 120 s by default) and sets its own timeout above that.
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
