// Apply the migrations in migrations/ to a D1 database from Miniflare's API, as `wrangler d1 migrations
// apply` does for wrangler dev (tests that run the Worker in Miniflare directly need the schema too).

import { readdirSync, readFileSync } from "node:fs";
import type { Miniflare } from "miniflare";

/** The D1 binding Miniflare hands out (its type is not exported under a name). */
export type MiniflareD1 = Awaited<ReturnType<Miniflare["getD1Database"]>>;

const DIR = new URL("../../migrations/", import.meta.url);

/** Run every statement of every migration file, in file-name order. */
export async function applyMigrations(db: MiniflareD1): Promise<void> {
  for (const file of readdirSync(DIR)
    .filter((f) => f.endsWith(".sql"))
    .sort()) {
    const sql = readFileSync(new URL(file, DIR), "utf8")
      .split("\n")
      .map((line) => line.replace(/--.*$/, ""))
      .join("\n");
    for (const statement of sql
      .split(";")
      .map((s) => s.trim())
      .filter((s) => s !== "")) {
      await db.prepare(statement).run();
    }
  }
}
