// Runs before every worker test file: storage is isolated per file, so each file gets the D1 schema afresh.

import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

await applyD1Migrations(env.REPORTS_DB, env.TEST_MIGRATIONS);
