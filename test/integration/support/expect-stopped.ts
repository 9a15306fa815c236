// What "stopped" means for `npm start` after a stop signal, shared by start.test and the lifecycle tests.

import { expect } from "vitest";
import { connectionRefused, EXIT_TIMEOUT_MS, waitForExit, waitForGroupGone, type Started } from "../../support/demo-process.js";

/** After a stop signal: the process exits, nothing of its group survives, and both ports are closed. */
export async function expectStopped(started: Started): Promise<void> {
  const { child, output, originPort, workerPort } = started;
  const pid = child.pid;
  if (pid === undefined) throw new Error("no pid");
  expect(await waitForExit(child, EXIT_TIMEOUT_MS), `still running after the signal:\n${output.tail()}`).toBe(true);
  const gone = await waitForGroupGone(pid, EXIT_TIMEOUT_MS);
  expect(gone, `wrangler or workerd outlived the start script:\n${output.tail()}`).toBe(true);
  expect(await connectionRefused(originPort), "the demo origin still accepts connections").toBe(true);
  expect(await connectionRefused(workerPort), "the Worker still accepts connections").toBe(true);
}
