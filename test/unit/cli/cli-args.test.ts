// The CLI's command line: a near-miss command or option gets a "did you mean", and stays a usage error.

import { describe, expect, it } from "vitest";
import { runMain } from "../../support/cli-io.js";

describe("misspelled commands", () => {
  it.each([
    ["valdate", "validate"],
    ["explian", "explain"],
    ["psuh", "push"],
    ["chek", "check"],
    ["hashs", "hashes"],
    ["report", "reports"],
    ["--hepl", "--help"],
    ["--verison", "--version"],
  ])("suggests the command for %s", async (typo, meant) => {
    const run = await runMain([typo]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`unknown command "${typo}" (did you mean \`${meant}\`?)`);
  });

  it("lists the commands without a guess when nothing is close", async () => {
    const run = await runMain(["frobnicate"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown command "frobnicate"; expected one of validate');
    expect(run.stderr).not.toContain("did you mean");
  });

  it("suggests the command for `help` with a typo", async () => {
    const run = await runMain(["help", "valdate"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown command "valdate" (did you mean `validate`?)');
  });
});

describe("misspelled options", () => {
  it.each([
    [["validate", "x.json", "--jsn"], "--jsn", "--json"],
    [["validate", "x.json", "--policy-vars", "y.json"], "--policy-vars", "--policy-var"],
    [["explain", "x.json", "/", "--http"], "--http", "--https"],
    [["explain", "x.json", "/", "--orgin-header=X: y"], "--orgin-header", "--origin-header"],
    [["push", "x.json", "--remot"], "--remot", "--remote"],
    [["check", "https://example.com/", "--timout", "5"], "--timout", "--timeout"],
    [["hashes", "x.html", "--no-style"], "--no-style", "--no-styles"],
  ])("%j suggests the option", async (args, typo, meant) => {
    const run = await runMain(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`unknown option ${typo} (did you mean ${meant}?)`);
  });

  it("names an unknown option that is close to nothing, without a guess", async () => {
    const run = await runMain(["validate", "x.json", "--frobnicate"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option --frobnicate");
    expect(run.stderr).not.toContain("did you mean");
  });

  it("still names a missing option value", async () => {
    const run = await runMain(["explain", "x.json", "/", "--status"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--status");
  });
});
