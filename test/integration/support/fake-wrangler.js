#!/usr/bin/env node
// A stand-in for `wrangler kv key get|put|list`, for push and pull tests that need no real wrangler: the
// namespace is a directory (FAKE_WRANGLER_KV), one file per key, and every call is logged to calls.jsonl
// there. Output follows wrangler 4: get writes the stored bytes, or "Value not found" with exit 0.

import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.FAKE_WRANGLER_KV;
if (dir === undefined || dir === "") {
  process.stderr.write("fake wrangler: FAKE_WRANGLER_KV is not set\n");
  process.exit(1);
}
mkdirSync(dir, { recursive: true });
const args = process.argv.slice(2);
appendFileSync(join(dir, "calls.jsonl"), `${JSON.stringify(args)}\n`);

const [kv, key, verb, name] = args;
const flag = (option) => {
  const i = args.indexOf(option);
  return i === -1 ? undefined : args[i + 1];
};
const fileOf = (k) => join(dir, `key-${encodeURIComponent(k)}`);

if (kv !== "kv" || key !== "key") {
  process.stderr.write(`fake wrangler: unsupported command ${args.join(" ")}\n`);
  process.exit(1);
} else if (verb === "get") {
  const file = fileOf(name);
  process.stdout.write(existsSync(file) ? readFileSync(file) : "Value not found\n");
} else if (verb === "put") {
  copyFileSync(flag("--path"), fileOf(name));
  process.stdout.write(`Writing the contents of ${flag("--path")} to the key "${name}".\n`);
} else if (verb === "list") {
  const prefix = flag("--prefix") ?? "";
  const names = readdirSync(dir)
    .filter((f) => f.startsWith("key-"))
    .map((f) => decodeURIComponent(f.slice(4)))
    .filter((k) => k.startsWith(prefix));
  process.stdout.write(JSON.stringify(names.map((k) => ({ name: k }))));
} else {
  process.stderr.write(`fake wrangler: unsupported kv key ${verb}\n`);
  process.exit(1);
}
