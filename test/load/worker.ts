// The Worker in Miniflare with its inspector on, so the load test can force a GC before it reads memory.

import { Miniflare, type Json } from "miniflare";
import { COMPATIBILITY_DATE } from "../support/miniflare-worker.js";
import { bundleWorker } from "../support/worker-bundle.js";
import { connectInspector, type Inspector } from "./inspector.js";

/** The isolate of the Worker under test, as workerd's inspector names an unnamed Miniflare worker. */
export const USER_ISOLATE = "core:user:";

export interface InspectableWorker {
  /** http://127.0.0.1:PORT/ — the Worker's own socket (never wrangler dev's proxy, PLATFORM.md §3). */
  readonly url: URL;
  readonly mf: Miniflare;
  readonly inspector: Inspector;
  dispose(): Promise<void>;
}

/**
 * Like test/support/miniflare-worker.ts's startWorker, plus `inspectorPort: 0`: the same bundle (or
 * `script`, e.g. BARE_WORKER), bindings and compatibility date, with a KV namespace POLICY_KV.
 */
export async function startInspectableWorker(bindings: Record<string, Json>, script?: string): Promise<InspectableWorker> {
  const mf = new Miniflare({
    modules: true,
    script: script ?? (await bundleWorker()),
    compatibilityDate: COMPATIBILITY_DATE,
    bindings,
    kvNamespaces: ["POLICY_KV"],
    host: "127.0.0.1",
    port: 0,
    inspectorPort: 0,
  });
  try {
    const url = await mf.ready;
    const inspector = await connectInspector(await mf.getInspectorURL());
    return {
      url,
      mf,
      inspector,
      dispose: async () => {
        inspector.close();
        await mf.dispose();
      },
    };
  } catch (error) {
    await mf.dispose();
    throw error;
  }
}
