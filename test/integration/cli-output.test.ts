// What the CLI prints, whatever the reader does and whatever the network or a document holds: a pipe
// closed early (`| head -1`) ends each command quietly with its own status, and no control character from
// a header value or a document reaches the terminal raw.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMain } from "../support/cli-io.js";
import { cli, EXAMPLE } from "./support/cli.js";

/** Written out here, not taken from the CLI: C0 but the line break, DEL, C1, zero-width and bidi controls, separators, the BOM. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
/** CSI (C1), then what a terminal would act on: clear the screen. */
const CSI = "\u009b2J";

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

describe("control characters from the network or a document", () => {
  let server: Server | undefined;
  let base = "";
  let dir = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "shw-cli-output-"));
    // Node writes header values as Latin-1, so U+009B goes out as the single byte 0x9B, which clients accept.
    server = createServer((_, res) => {
      res.setHeader("Content-Type", "text/html");
      res.setHeader("X-Frame-Options", `DENY${CSI}`);
      res.setHeader("Content-Security-Policy", `default-src 'self' ${CSI}; script-src self`);
      res.setHeader("Server", `nginx/1.24.0${CSI}`);
      res.setHeader("Location", `/next${CSI}`);
      res.setHeader(`X-Powered-By`, `PHP${CSI}`);
      res.end("<p>hi</p>");
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    if (dir !== "") await rm(dir, { recursive: true, force: true });
  });

  it.each([[[] as string[]], [["--json"]]])("check %j escapes what the server sent", async (flags) => {
    const run = await runMain(["check", `${base}/`, ...flags]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(flags.length === 0 ? "\\x9b2J" : "\\u009b2J");
    expect(run.stdout).not.toMatch(RAW_CONTROL);
    expect(run.stderr).not.toMatch(RAW_CONTROL);
  });

  it("explain escapes a rule's description and the origin's headers", async () => {
    const file = join(dir, "described.json");
    await writeFile(
      file,
      JSON.stringify({ rules: [{ path: "/x", description: `clears${CSI} the screen\u202e`, headers: { "X-Note": "fine" } }] }),
    );
    for (const flags of [[], ["--json"]]) {
      const run = await runMain(["explain", file, "/x", "--origin-header", `X-Origin: a${CSI}\u007f`, ...flags]);
      expect(run.code).toBe(0);
      expect(run.stdout).not.toMatch(RAW_CONTROL);
    }
  });

  it.each([["validate"], ["push"], ["import"]])("%s escapes the values it quotes in issues", async (command) => {
    const file = join(dir, `bad-${command}.json`);
    const text =
      command === "import"
        ? `/x\n  X-Frame-Options: ALLOW${CSI}\n  Set-Cookie: a${CSI}\n`
        : JSON.stringify({ headers: { "X-Frame-Options": `ALLOW${CSI}`, [`X-Bad${CSI}`]: "x" }, rules: [{ path: `/a${CSI}` }] });
    await writeFile(file, text);
    const run = await runMain([command, file], { env: { SHW_WRANGLER: join(dir, "no-wrangler") } });
    expect(run.code).toBe(1);
    expect(`${run.stdout}${run.stderr}`).toContain("\\x9b2J");
    expect(run.stdout).not.toMatch(RAW_CONTROL);
    expect(run.stderr).not.toMatch(RAW_CONTROL);
  });
});
