// `npm start` stopped by a signal to one process: SIGTERM and SIGHUP to npm alone, and a supervisor's SIGTERM
// to the start script alone. Each case needs its own wrangler dev start (about 10 s of both cores), so these run
// with the browser tests (`npm run test:e2e`, which .ci/run runs); start.test.ts keeps Ctrl+C in `npm test`.

import { afterAll, describe, it } from "vitest";
import { BANNER_TIMEOUT_MS, EXIT_TIMEOUT_MS, killAll, killGroup, startDemo } from "../../support/demo-process.js";
import { expectStopped } from "../support/expect-stopped.js";

afterAll(killAll);

describe("npm start, stopped by a signal to npm alone", () => {
  it(
    "stops everything on SIGTERM (npm passes it on) and on SIGHUP (npm does not: the script sees npm gone)",
    async () => {
      // Before, a SIGTERM to npm killed its `sh -c` and left tsx, wrangler and workerd running.
      // One after the other: both share the checkout's local state (.wrangler/state), and two D1 migrations
      // run at once fail with SQLITE_BUSY.
      const term = await startDemo("npm", ["start"]);
      const hup = await startDemo("npm", ["start"]).catch(async (error: unknown) => {
        await killGroup(term.child);
        throw error;
      });
      try {
        for (const [current, signal] of [
          [term, "SIGTERM"],
          [hup, "SIGHUP"],
        ] as const) {
          const pid = current.child.pid;
          if (pid === undefined) throw new Error("no pid");
          process.kill(pid, signal);
        }
        await Promise.all([expectStopped(term), expectStopped(hup)]);
      } finally {
        await Promise.all([killGroup(term.child), killGroup(hup.child)]);
      }
    },
    2 * (BANNER_TIMEOUT_MS + EXIT_TIMEOUT_MS),
  );
});

describe("the start script under a supervisor", () => {
  // The integration project's 180 s, which this case had there (test:e2e's default is 120 s).
  it("passes SIGTERM on to wrangler when only the script is signalled", async () => {
    // Nothing else signals wrangler, so only forwarding stops it.
    const current = await startDemo(process.execPath, ["--import", "tsx", "scripts/start.ts"]);
    try {
      const pid = current.child.pid;
      if (pid === undefined) throw new Error("no pid");
      process.kill(pid, "SIGTERM");
      await expectStopped(current);
    } finally {
      await killGroup(current.child);
    }
  }, 180_000);
});
