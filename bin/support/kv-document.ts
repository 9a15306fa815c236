// Read the policy document a Worker's KV namespace holds, byte for byte, with wrangler (for pull, and for
// push's comparison with what is live).

import { decodeDocument } from "../../src/core/policy/decode-document.js";
import { CommandError } from "./command.js";
import { describeTarget, plainOutput, runWrangler, targetFlags, type KvTarget } from "./wrangler.js";

/** What wrangler prints (through its logger, on stdout, exit 0) when the key does not exist. */
const NOT_FOUND = "Value not found";

/** The stored document, or that the key does not exist. */
export type StoredDocument = { readonly found: true; readonly text: string } | { readonly found: false };

/** Whether the key exists: `wrangler kv key list --prefix`, for when `get` printed its not-found line. */
async function keyExists(
  binary: string,
  target: KvTarget,
  io: { cwd: string; env: Readonly<Record<string, string | undefined>> },
): Promise<boolean> {
  const result = await runWrangler(binary, ["kv", "key", "list", "--prefix", target.key, ...targetFlags(target)], io.cwd, io.env);
  if (result.code !== 0) throw new CommandError(`wrangler kv key list exited with ${result.code}:\n${plainOutput(result)}`);
  let keys: unknown;
  try {
    keys = JSON.parse(result.stdout.toString("utf8"));
  } catch {
    throw new CommandError(`wrangler kv key list printed something other than JSON:\n${plainOutput(result)}`);
  }
  return (
    Array.isArray(keys) &&
    keys.some((entry: unknown) => typeof entry === "object" && entry !== null && "name" in entry && entry.name === target.key)
  );
}

/**
 * `wrangler kv key get`, decoded strictly as the Worker decodes it. wrangler prints "Value not found" both for
 * a missing key and for a value that is that text; `confirmMissing` asks `kv key list` which it was.
 */
export async function readStoredDocument(
  binary: string,
  target: KvTarget,
  io: { cwd: string; env: Readonly<Record<string, string | undefined>> },
  confirmMissing = true,
): Promise<StoredDocument> {
  // No --text: with it wrangler prints the value through its logger, adding a newline (and printing
  // nothing at a quiet log level); without it the bytes are written to stdout exactly as stored.
  const result = await runWrangler(binary, ["kv", "key", "get", target.key, ...targetFlags(target)], io.cwd, io.env);
  if (result.code !== 0) throw new CommandError(`wrangler kv key get exited with ${result.code}:\n${plainOutput(result)}`);
  if (result.stdout.toString("utf8").trim() === NOT_FOUND && (!confirmMissing || !(await keyExists(binary, target, io))))
    return { found: false };
  try {
    return { found: true, text: decodeDocument(result.stdout) };
  } catch {
    throw new CommandError(`${describeTarget(target)} is not valid UTF-8, so the Worker cannot apply it`);
  }
}
