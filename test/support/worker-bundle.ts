// Bundle the Worker (or any Worker entry) with esbuild for Miniflare, the way wrangler would.

import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The Worker's source bundled into one ES module, as a string. */
export async function bundleWorker(entry = "src/index.ts"): Promise<string> {
  const result = await build({
    entryPoints: [new URL(entry, `file://${ROOT}`).pathname],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const [file] = result.outputFiles;
  if (file === undefined) throw new Error(`esbuild produced no output for ${entry}`);
  return file.text;
}
