// Types for tests inside workerd: the main module's exports and the bindings the pool provides.

declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("../../src/index.js");
  }
  interface Env {
    ORIGIN_URL: string;
    CSP_REPORT_ONLY?: string;
    POLICY_KV: KVNamespace;
    REPORTS_DB: D1Database;
    REPORT_LIMITER: RateLimit;
    /** The D1 migrations, read in Node by vitest.config.ts. */
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  }
}
