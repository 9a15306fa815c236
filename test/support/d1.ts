// Apply the migrations in migrations/ to a D1 database from Miniflare's API, as `wrangler d1 migrations
// apply` does for wrangler dev (tests that run the Worker in Miniflare directly need the schema too).

import { readdirSync, readFileSync } from "node:fs";
import type { D1Database } from "miniflare";

const DIR = new URL("../../migrations/", import.meta.url);

/** Run every statement of every migration file, in file-name order. */
export async function applyMigrations(db: D1Database): Promise<void> {
  for (const file of readdirSync(DIR).filter((f) => f.endsWith(".sql")).sort()) {
    const sql = readFileSync(new URL(file, DIR), "utf8")
      .split("\n")
      .map((line) => line.replace(/--.*$/, ""))
      .join("\n");
    for (const statement of sql.split(";").map((s) => s.trim()).filter((s) => s !== "")) {
      await db.prepare(statement).run();
    }
  }
}
