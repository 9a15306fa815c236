// What `npm start` puts in local KV: the demo's document (the examples plus the CSP road's rules, valid, the
// hash matching the page it allows), seeded only when the key is absent or --reset asks for it.

import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HASHED_SCRIPT, roadPage, roadRules } from "../../../demo/road.js";
import { checkDocument } from "../../../bin/support/documents.js";
import { bareEnvironment } from "../../../bin/support/environment.js";
import { demoDocument, seedLocalState } from "../../../scripts/demo-state.js";
import { inlineHashes } from "../../../bin/support/inline-hashes.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

describe("the demo's document", () => {
  it("is examples/policy.json with the road's rules after its own, and validates", async () => {
    const text = await demoDocument(ROOT);
    const examples = JSON.parse(await readFile(join(ROOT, "examples", "policy.json"), "utf8")) as { rules: unknown[] };
    const document = JSON.parse(text) as { rules: { path: string }[] };
    expect(document.rules.map((r) => r.path)).toEqual([
      ...examples.rules.map((r) => (r as { path: string }).path),
      "/hash",
      "/blanket",
      "/report-only",
    ]);
    expect(checkDocument(text, bareEnvironment().config).ok).toBe(true);
  });

  it("allows by hash exactly the first inline script of /hash, not the injected one", async () => {
    const html = roadPage("/hash", (title, body) => `<!doctype html><title>${title}</title>${body}`, "unused-marker") ?? "";
    const { scripts } = await inlineHashes(html);
    const allowed = (roadRules()[0] as { csp: { add: { "script-src": string[] } } }).csp.add["script-src"];
    expect(scripts).toHaveLength(2);
    expect(allowed).toEqual([scripts[0]]);
    expect(html).toContain(HASHED_SCRIPT);
  });
});

describe("seedLocalState", () => {
  let root: string;
  let calls: string[][];

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "shw-demo-state-"));
    calls = [];
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** A wrangler that lists `keys` in KV and records every command. */
  function wrangler(keys: string[]): (args: readonly string[]) => Promise<string> {
    return (args) => {
      calls.push([...args]);
      return Promise.resolve(args[1] === "key" && args[2] === "list" ? JSON.stringify(keys.map((name) => ({ name }))) : "");
    };
  }

  const options = (reset: boolean, keys: string[]) => ({ root: ROOT, persistTo: join(root, "state"), reset, run: wrangler(keys) });

  it("seeds the document when the local KV has no policy key, then migrates D1", async () => {
    expect(await seedLocalState(options(false, ["other"]))).toBe("seeded");
    expect(calls.map((c) => c.slice(0, 3).join(" "))).toEqual(["kv key list", "kv key put", "d1 migrations apply"]);
  });

  it("keeps a document someone pushed, and still migrates D1", async () => {
    expect(await seedLocalState(options(false, ["policy"]))).toBe("kept");
    expect(calls.map((c) => c.slice(0, 3).join(" "))).toEqual(["kv key list", "d1 migrations apply"]);
  });

  it("seeds it again with --reset, without asking what is there", async () => {
    expect(await seedLocalState(options(true, ["policy"]))).toBe("reset");
    expect(calls.map((c) => c.slice(0, 3).join(" "))).toEqual(["kv key put", "d1 migrations apply"]);
    const put = calls[0] ?? [];
    expect(JSON.parse(await readFile(put[put.indexOf("--path") + 1] ?? "", "utf8"))).toEqual(JSON.parse(await demoDocument(ROOT)));
  });
});
