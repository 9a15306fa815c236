// The local state `npm start` gives the Worker: the policy document in POLICY_KV, seeded only when the key is
// absent (what you pushed with `push --local` survives a restart; `npm start -- --reset` seeds it again), and
// the report collector's D1 schema (applied migrations are recorded, so a second run applies nothing).

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { roadRules } from "../demo/road.js";
import { DEFAULT_KV_KEY } from "../src/core/policy/parse-env.js";
import { parsePolicyJson } from "../src/core/policy/parse-policy.js";

/** Runs one wrangler command to completion and returns what it printed on stdout; rejects when it fails. */
export type WranglerRunner = (args: readonly string[], what: string) => Promise<string>;

/** A failure meant for the person at the terminal. */
export class DemoStateError extends Error {}

/** The demo's document: examples/policy.json with the CSP road's rules (/hash, /blanket, /report-only) after its own. */
export async function demoDocument(root: string): Promise<string> {
  const text = await readFile(join(root, "examples", "policy.json"), "utf8");
  const example = JSON.parse(text) as { rules?: unknown[] };
  const document = { ...example, $schema: undefined, rules: [...(example.rules ?? []), ...roadRules()] };
  const json = `${JSON.stringify(document, null, 2)}\n`;
  const result = parsePolicyJson(json);
  if (!result.ok) {
    const lines = result.issues.map((i) => `  ${i.path || "(document)"}: expected ${i.message}, got ${i.received}`);
    throw new DemoStateError(`the demo's policy (examples/policy.json and demo/road.ts) is not valid:\n${lines.join("\n")}`);
  }
  return json;
}

/** Whether the local POLICY_KV holds the key already. */
async function hasPolicy(run: WranglerRunner, persistTo: string): Promise<boolean> {
  const listed = await run(
    ["kv", "key", "list", "--binding", "POLICY_KV", "--local", "--persist-to", persistTo, "--prefix", DEFAULT_KV_KEY],
    "reading the local KV",
  );
  let keys: unknown;
  try {
    keys = JSON.parse(listed);
  } catch {
    throw new DemoStateError(`reading the local KV: wrangler kv key list printed something other than JSON: ${listed.slice(0, 200)}`);
  }
  return (
    Array.isArray(keys) &&
    keys.some((k: unknown) => typeof k === "object" && k !== null && (k as { name?: unknown }).name === DEFAULT_KV_KEY)
  );
}

/**
 * Seed the policy document when the local KV has none (or `reset`), and apply the D1 migrations. Returns
 * what happened to the document, for the terminal.
 */
export async function seedLocalState(options: {
  readonly root: string;
  readonly persistTo: string;
  readonly reset: boolean;
  readonly run: WranglerRunner;
}): Promise<"seeded" | "reset" | "kept"> {
  const { root, persistTo, reset, run } = options;
  const document = await demoDocument(root);
  let outcome: "seeded" | "reset" | "kept" = "kept";
  if (reset || !(await hasPolicy(run, persistTo))) {
    const dir = resolve(root, persistTo);
    const file = join(dir, "demo-policy.json");
    await mkdir(dir, { recursive: true });
    await writeFile(file, document);
    await run(
      ["kv", "key", "put", DEFAULT_KV_KEY, "--path", file, "--binding", "POLICY_KV", "--local", "--persist-to", persistTo],
      "seeding the local KV",
    );
    outcome = reset ? "reset" : "seeded";
  }
  await run(["d1", "migrations", "apply", "REPORTS_DB", "--local", "--persist-to", persistTo], "migrating the local D1");
  return outcome;
}

/** What to say about the document, once seeding is done. */
export function seedMessage(outcome: "seeded" | "reset" | "kept"): string {
  switch (outcome) {
    case "seeded":
      return `Seeded the local POLICY_KV ("${DEFAULT_KV_KEY}") from examples/policy.json and the demo's CSP road (demo/road.ts).`;
    case "reset":
      return `Reset the local POLICY_KV ("${DEFAULT_KV_KEY}") to examples/policy.json and the demo's CSP road (--reset).`;
    case "kept":
      return `Kept the document already in the local POLICY_KV ("${DEFAULT_KV_KEY}"), as you pushed it; \`npm start -- --reset\` seeds the demo's again.`;
  }
}
