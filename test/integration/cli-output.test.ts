// What the CLI prints, whatever the reader does: a pipe closed early (`| head -1`) ends each command
// quietly with its own status.

import { describe, expect, it } from "vitest";
import { cli, EXAMPLE } from "./support/cli.js";

describe("a reader that closes the pipe early", () => {
  it.each([
    ["validate", [EXAMPLE], 0],
    ["validate --json", [EXAMPLE, "--json"], 0],
    ["explain", [EXAMPLE, "/embed/widget", "--https"], 0],
    ["explain --json", [EXAMPLE, "/", "--json"], 0],
    ["--help", [], 0],
  ] as const)("%s ends quietly with its own status when stdout is closed", async (name, rest, status) => {
    const [command] = name.split(" ");
    const args = command === "--help" ? ["--help"] : [command ?? "", ...rest];
    const run = await cli(args, { closeStdout: true });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(status);
  });

  it("keeps an invalid document's status 1 when stdout is closed", async () => {
    const run = await cli(["validate", "test/unit/fixtures/policy/invalid/csp-unknown-directive.json"], { closeStdout: true });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(1);
  });

  it("keeps the usage status 2 when stderr is closed", async () => {
    const run = await cli(["validate"], { closeStderr: true });
    expect(run.stdout).toBe("");
    expect(run.code).toBe(2);
  });
});
