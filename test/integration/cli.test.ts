// The CLI end to end: its main() with the environment a shell would give it, the real local wrangler for
// KV, a real origin and the Worker in Miniflare for `check`. Exit statuses and output are what users see.
// Most cases run main() in this process (a process each cost about a second of tsx start-up); what only
// a real process shows (the bin script, colours on a pipe) runs `node bin/security-headers-worker.js`.

import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type RunningWorker } from "../support/miniflare-worker.js";
import { startOrigin, type Origin } from "../support/origin.js";
import { runMain } from "../support/cli-io.js";
import { cli as runCli, EXAMPLE, json, ROOT, WRANGLER, type CliRun } from "./support/cli.js";

const HEADERS_FIXTURES = join(ROOT, "test", "unit", "fixtures", "headers-files");

/** Run the CLI's main() in the repository, with this process's variables and these (undefined unsets one), as the bin script would. */
function cli(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const merged: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", SHW_WRANGLER: WRANGLER, ...env };
  const variables = Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
  return runMain(args, { env: variables, cwd: ROOT });
}

let dir = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shw-cli-test-"));
});

afterAll(async () => {
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

/** A document with issues at known paths, the second one only visible past the schema. */
const INVALID = {
  hsts: { maxAge: 300, includeSubdomains: true },
  csp: { directives: { "script-src": ["self"] } },
  rules: [{ path: "/a" }, { path: "/b" }, { path: "/c", headers: { "X-Frame-Options": "ALLOWALL" } }],
};

async function writeJson(name: string, value: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
  return file;
}

describe("help and usage", () => {
  it("prints the tool's help with every command and exits 0, from the bin script", async () => {
    const run = await runCli(["--help"]);
    expect(run.code).toBe(0);
    for (const command of ["validate", "explain", "push", "pull", "check", "import"]) expect(run.stdout).toContain(command);
  });

  it.each([["validate"], ["explain"], ["push"], ["pull"], ["check"], ["import"]])("prints %s --help and exits 0", async (command) => {
    const run = await cli([command, "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: security-headers-worker ${command}`));
  });

  it("exits 2 on an unknown command", async () => {
    const run = await cli(["frobnicate"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown command "frobnicate"');
  });

  it("exits 2 on an unknown option, naming it", async () => {
    const run = await cli(["validate", EXAMPLE, "--strict"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--strict");
  });

  it("exits 2 on a bad option value, naming the flag and the value", async () => {
    const run = await cli(["explain", EXAMPLE, "/", "--status", "9000"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--status: expected a whole number from 100 to 599, received "9000"');
  });

  it("prints no colour codes when stdout is not a terminal", async () => {
    const run = await runCli(["validate", EXAMPLE], { env: { NO_COLOR: undefined, FORCE_COLOR: undefined } });
    expect(run.stdout).not.toMatch(/\x1b\[/);
  });
});

describe("validate", () => {
  it("says examples/policy.json is valid, with a summary, and exits 0", async () => {
    const run = await cli(["validate", EXAMPLE]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("is valid");
    expect(run.stdout).toContain("rules: 5");
    expect(run.stdout).toContain("marked nonces use the NONCE_MARKER secret: the Worker needs it set");
    expect(run.stdout).toMatch(/headers owned on https.*: 10 sent/);
  });

  it("lists every issue of an invalid document with its path, expectation and value, and exits 1", async () => {
    const run = await cli(["validate", await writeJson("invalid.json", INVALID)]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('rules[2].headers["X-Frame-Options"]: expected a valid X-Frame-Options value');
    expect(run.stdout).toContain('received "ALLOWALL"');
    expect(run.stdout).toContain("hsts.includeSubdomains: expected a known field");
    expect(run.stdout).toContain('csp.directives["script-src"][0]');
  });

  it("reports the issues that only appear over the built-in defaults", async () => {
    const run = await cli(["validate", await writeJson("preload-short.json", { hsts: { maxAge: 300, preload: true } })]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("when compiled over the built-in defaults");
    expect(run.stdout).toContain("hsts.preload: expected preload only with includeSubDomains");
  });

  it("reports rules that cannot be combined on a path both match", async () => {
    const document = {
      rules: [
        { path: "/a/*", hsts: { maxAge: 31536000, preload: true } },
        { path: "/a/b", hsts: { maxAge: 300 } },
      ],
    };
    const run = await cli(["validate", await writeJson("conflict.json", document)]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("on /a/b: KV.rules[1] /a/b");
  });

  it("exits 1 and names the file when it cannot be read", async () => {
    const run = await cli(["validate", join(dir, "missing.json")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("missing.json");
    expect(run.stderr).toContain("no such file");
  });
});

interface Explanation {
  readonly rules: {
    readonly applied: readonly { readonly from: string }[];
    readonly skippedForContentType: readonly { readonly from: string }[];
  };
  readonly sent: readonly { readonly name: string; readonly value: string | null; readonly from: string; readonly action: string }[];
  readonly removed: readonly { readonly name: string; readonly from: string; readonly originValue: string | null }[];
  /** What the Worker's nonce decision was, in words (null when the policy has no nonce). */
  readonly nonce?: string | null;
}

/** explain --json's route: the canonical path the rules matched, or why the Worker refuses the path. */
interface ExplainedRoute extends Explanation {
  readonly route: {
    readonly matchedAs: string | null;
    readonly readings: readonly { path: string; how: string }[];
    readonly refused: string | null;
  };
}

function sent(x: Explanation, name: string) {
  return x.sent.find((op) => op.name.toLowerCase() === name.toLowerCase());
}

function removed(x: Explanation, name: string) {
  return x.removed.find((op) => op.name.toLowerCase() === name.toLowerCase());
}

describe("explain", () => {
  it("shows /embed/widget framed by the partner only, with X-Frame-Options removed by the rule", async () => {
    const run = await cli(["explain", EXAMPLE, "/embed/widget", "--https", "--json"]);
    expect(run.code).toBe(0);
    const x = json<Explanation>(run);
    expect(x.rules.applied.map((r) => r.from)).toEqual(["KV.rules[0] /embed/*"]);
    expect(sent(x, "Content-Security-Policy")?.value).toMatch(/(^|; )frame-ancestors https:\/\/partner\.example\.com(;|$)/);
    expect(sent(x, "X-Frame-Options")).toBeUndefined();
    expect(removed(x, "X-Frame-Options")?.from).toBe("KV.rules[0] /embed/*");
  });

  it("prints each header with the layer or rule that produced it", async () => {
    const run = await cli(["explain", EXAMPLE, "/embed/widget", "--https"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/frame-ancestors ← KV\.rules\[0\] \/embed\/\*/);
    expect(run.stdout).toMatch(/X-Frame-Options\s+← KV\.rules\[0\] \/embed\/\*/);
    expect(run.stdout).toMatch(/Strict-Transport-Security: max-age=63072000; includeSubDomains; preload\n\s+← KV/);
  });

  it("sends no HSTS over http and says why", async () => {
    const x = json<Explanation>(await cli(["explain", EXAMPLE, "/", "--json"]));
    expect(sent(x, "Strict-Transport-Security")).toBeUndefined();
    expect(removed(x, "Strict-Transport-Security")?.from).toBe("http (HSTS is for https only)");
    expect(sent(x, "Content-Security-Policy")?.value).not.toContain("upgrade-insecure-requests");
  });

  it("shows a rule limited to another content type as skipped", async () => {
    const x = json<Explanation>(await cli(["explain", EXAMPLE, "/api/users", "--json"]));
    expect(x.rules.applied).toEqual([]);
    expect(x.rules.skippedForContentType.map((r) => r.from)).toEqual(["KV.rules[3] /api/*"]);
  });

  it("applies a rule for its content type", async () => {
    const x = json<Explanation>(await cli(["explain", EXAMPLE, "/api/users", "--content-type", "application/json", "--json"]));
    expect(x.rules.applied.map((r) => r.from)).toEqual(["KV.rules[3] /api/*"]);
    expect(sent(x, "Content-Security-Policy")?.value).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it("keeps a valid origin value under default, appends to a list, and strips a leak header", async () => {
    const run = await cli([
      "explain",
      EXAMPLE,
      "/",
      "--json",
      "--origin-header",
      "Referrer-Policy: no-referrer",
      "--origin-header",
      "Permissions-Policy: geolocation=(self)",
      "--origin-header",
      "X-Powered-By: Express",
    ]);
    const x = json<Explanation>(run);
    expect(sent(x, "Referrer-Policy")?.value).toBe("no-referrer");
    expect(sent(x, "Permissions-Policy")?.value).toBe(
      "geolocation=(self), camera=(), microphone=(), payment=(), usb=(), browsing-topics=()",
    );
    expect(removed(x, "X-Powered-By")).toMatchObject({ from: "defaults", originValue: "Express" });
  });

  it("says a blanket-mode XHTML page goes out unstamped, as the Worker decides", async () => {
    const policy = await writeJson("blanket-policy.json", { nonce: { mode: "blanket" } });
    const xhtml = json<Explanation>(await cli(["explain", policy, "/", "--content-type", "application/xhtml+xml", "--json"]));
    expect(xhtml.nonce).toMatch(/^no nonce: XHTML: browsers parse it as XML/);
    expect(sent(xhtml, "Content-Security-Policy")?.value).not.toMatch(/nonce/i);
    const page = json<Explanation>(await cli(["explain", policy, "/", "--content-type", "text/html", "--json"]));
    expect(page.nonce).toMatch(/stamped on every script\/style element/);
  });

  it("layers a POLICY var document under the file", async () => {
    const varFile = await writeJson("policy-var.json", { headers: { "X-Robots-Tag": "noindex" } });
    const x = json<Explanation>(await cli(["explain", EXAMPLE, "/", "--policy-var", varFile, "--json"]));
    expect(sent(x, "X-Robots-Tag")).toMatchObject({ value: "noindex", from: "POLICY" });
  });

  it("shows the canonical path the rules matched for another spelling of it", async () => {
    const x = json<ExplainedRoute>(await cli(["explain", EXAMPLE, "//EMBED/widget;jsessionid=1", "--json"]));
    expect(x.route).toEqual({ matchedAs: "/embed/widget", readings: [], refused: null });
    expect(x.rules.applied.map((r) => r.from)).toEqual(["KV.rules[0] /embed/*"]);
    const run = await cli(["explain", EXAMPLE, "//EMBED/widget;jsessionid=1"]);
    expect(run.stdout).toMatch(/Path\s+rules match it as \/embed\/widget\n/);
  });

  it("says when the Worker refuses a path instead of matching it", async () => {
    const run = await cli(["explain", EXAMPLE, "/embed%2F..%2Flogin"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /Path\s+refused: the Worker answers 400 .*\(its readings select different rules: .*read with the encoded \/ or \\ kept/,
    );
    const x = json<ExplainedRoute>(await cli(["explain", EXAMPLE, "/embed%2F..%2Flogin", "--json"]));
    expect(x.route.matchedAs).toBeNull();
    expect(x.rules.applied).toEqual([]);
  });

  it("shows the other readings of a path, which select the same rules", async () => {
    const run = await cli(["explain", EXAMPLE, "/caf%E9"]);
    expect(run.stdout).toMatch(
      /Path\s+rules match it as \/caf%e9\n\s+and read with non-UTF-8 escapes as Latin-1 .* as \/café: the same rules\n/,
    );
  });

  it("refuses an invalid document with its issues and exits 1", async () => {
    const run = await cli(["explain", await writeJson("invalid-explain.json", INVALID), "/"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('rules[2].headers["X-Frame-Options"]');
  });
});

describe("push and pull against the local wrangler", () => {
  it("pushes a document and pulls back the same bytes", async () => {
    const persist = join(dir, "state-roundtrip");
    const push = await cli(["push", EXAMPLE, "--local", "--persist-to", persist]);
    expect(push.stderr).toBe("");
    expect(push.code).toBe(0);
    expect(push.stdout).toContain("pushed");
    const out = join(dir, "pulled.json");
    const pull = await cli(["pull", "--local", "--persist-to", persist, "--out", out]);
    expect(pull.code).toBe(0);
    expect(await readFile(out, "utf8")).toBe(await readFile(EXAMPLE, "utf8"));
  });

  it("pulls to stdout by default", async () => {
    const persist = join(dir, "state-stdout");
    expect((await cli(["push", EXAMPLE, "--persist-to", persist, "--key", "site-policy"])).code).toBe(0);
    const pull = await cli(["pull", "--persist-to", persist, "--key", "site-policy"]);
    expect(pull.code).toBe(0);
    expect(pull.stdout).toBe(await readFile(EXAMPLE, "utf8"));
  });

  it("refuses an invalid document, stores nothing, and pull then says the key is missing", async () => {
    const persist = join(dir, "state-invalid");
    const push = await cli(["push", await writeJson("invalid-push.json", INVALID), "--local", "--persist-to", persist]);
    expect(push.code).toBe(1);
    expect(push.stderr).toContain("nothing was pushed");
    expect(push.stderr).toContain('rules[2].headers["X-Frame-Options"]');
    const pull = await cli(["pull", "--local", "--persist-to", persist]);
    expect(pull.code).toBe(1);
    expect(pull.stdout).toBe("");
    expect(pull.stderr).toContain('key "policy" in POLICY_KV');
    expect(pull.stderr).toContain("does not exist");
  });

  it("exits 2 for --local with --remote, before running wrangler", async () => {
    const run = await cli(["push", EXAMPLE, "--local", "--remote"], { SHW_WRANGLER: join(dir, "no-wrangler-here") });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--local and --remote");
  });

  it("exits 1 naming the binary when wrangler cannot be run", async () => {
    const missing = join(dir, "no-wrangler-here");
    const run = await cli(["pull", "--local"], { SHW_WRANGLER: missing });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(missing);
  });
});

interface HeaderReport {
  readonly name: string;
  readonly state: string;
  readonly lines: readonly string[];
  readonly valid: boolean | undefined;
  readonly findings: readonly { readonly severity: string; readonly message: string }[];
}

interface CheckReport {
  readonly response: { readonly status: number } | null;
  readonly check: { readonly headers: readonly HeaderReport[]; readonly leaks: readonly HeaderReport[]; readonly defects: number } | null;
  readonly defects: number;
}

function reportOf(report: CheckReport, name: string): HeaderReport | undefined {
  return report.check?.headers.find((h) => h.name.toLowerCase() === name.toLowerCase());
}

describe("check", () => {
  let origin: Origin | undefined;
  let worker: RunningWorker | undefined;
  const originUrl = (path: string): string => new URL(path, origin?.url ?? "http://127.0.0.1:9/").href;
  const workerUrl = (path: string): string => new URL(path, worker?.url ?? "http://127.0.0.1:9/").href;

  beforeAll(async () => {
    origin = await startOrigin();
    worker = await startWorker({ bindings: { ORIGIN_URL: origin.url } });
  });

  afterAll(async () => {
    try {
      await worker?.dispose();
    } finally {
      await origin?.close();
    }
  });

  it("counts the missing headers of a bare origin as defects and exits 1", async () => {
    const run = await cli(["check", originUrl("/html"), "--json"]);
    expect(run.code).toBe(1);
    const report = json<CheckReport>(run);
    for (const name of ["Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Permissions-Policy"]) {
      expect(reportOf(report, name)?.state).toBe("missing");
    }
    expect(report.defects).toBe(5);
  });

  it("prints a line per header, missing ones marked as defects", async () => {
    const run = await cli(["check", originUrl("/html")]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ Content-Security-Policy\s+missing/);
    expect(run.stdout).toContain("5 defects");
  });

  it("reports duplicated X-Frame-Options lines, HSTS over http and a leak header", async () => {
    const path =
      "/respond?h=X-Frame-Options:DENY&h=X-Frame-Options:SAMEORIGIN&h=Strict-Transport-Security:max-age%3D31536000&h=X-Powered-By:Express";
    const run = await cli(["check", originUrl(path), "--json"]);
    expect(run.code).toBe(1);
    const report = json<CheckReport>(run);
    const xfo = reportOf(report, "X-Frame-Options");
    expect(xfo?.lines).toEqual(["DENY", "SAMEORIGIN"]);
    expect(xfo?.findings.map((f) => f.message)).toContainEqual(expect.stringMatching(/^2 lines/));
    expect(reportOf(report, "Strict-Transport-Security")?.findings.map((f) => f.message)).toContainEqual(
      expect.stringMatching(/sent over plain http/),
    );
    expect(report.check?.leaks.map((l) => l.name)).toEqual(["X-Powered-By"]);
  });

  it("finds no defect in the Worker's response over http, and treats the absent HSTS as not applicable", async () => {
    const run = await cli(["check", workerUrl("/html"), "--json"]);
    const report = json<CheckReport>(run);
    expect(report.defects).toBe(0);
    expect(run.code).toBe(0);
    const hsts = reportOf(report, "Strict-Transport-Security");
    expect(hsts?.state).toBe("not-applicable");
    expect(hsts?.findings).toEqual([{ severity: "note", message: expect.stringMatching(/cannot be sent over http/) }]);
  });

  it("says in its report that HSTS cannot be judged from an http URL", async () => {
    const run = await cli(["check", workerUrl("/html")]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("no https at all, this check cannot tell");
    expect(run.stdout).toContain("no defects");
  });

  it("finds the Worker collapsing the origin's duplicate lines and stripping its HSTS over http", async () => {
    const path =
      "/respond?h=X-Frame-Options:DENY&h=X-Frame-Options:DENY&h=Strict-Transport-Security:max-age%3D31536000&h=X-Powered-By:Express";
    const run = await cli(["check", workerUrl(path), "--json"]);
    expect(json<CheckReport>(run).defects).toBe(0);
    expect(run.code).toBe(0);
  });

  it("exits 1 when the URL cannot be fetched", async () => {
    const closed = await startOrigin();
    const url = new URL("/", closed.url).href;
    await closed.close();
    const run = await cli(["check", url, "--timeout", "5000"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("failed");
  });

  it("gives up on a response that never comes, after --timeout", async () => {
    const run = await cli(["check", originUrl("/stall"), "--timeout", "300"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("no response within 300 ms");
  });

  it("exits 2 for a URL that is not http or https", async () => {
    const run = await cli(["check", "ftp://example.com/"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('received "ftp://example.com/"');
  });
});

describe("import", () => {
  it("converts the Pages fixture, reports each skipped line, and exits 1", async () => {
    const run = await cli(["import", join(HEADERS_FIXTURES, "pages-site._headers")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("line 25: expected a header the policy may own: Set-Cookie");
    expect(run.stderr).toContain('received "https://:project.pages.dev/*"');
    expect(run.stderr).toContain('rules[2].cspReportOnly.directives["script-src"][0]');
    const document = JSON.parse(run.stdout) as { $schema: string; rules: { path: string }[] };
    expect(Object.keys(document)[0]).toBe("$schema");
    expect(document.$schema).toBe("./policy.schema.json");
    expect(document.rules.map((r) => r.path)).toEqual(["/*", "/embed/*", "/blog/:slug", "/api/*", "/assets/*.js"]);
  });

  it("writes a clean conversion to --out, which then validates", async () => {
    const out = join(dir, "imported.json");
    const run = await cli(["import", join(HEADERS_FIXTURES, "netlify-site._headers"), "--out", out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`wrote ${out}: 3 rules`);
    expect((await cli(["validate", out])).code).toBe(0);
  });
});

describe("hashes", () => {
  const script = 'document.title = "hashed";';
  const style = "body { margin: 0 }";
  const sha = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

  it("writes the inline script and style hashes into the rule, replacing an earlier run's", async () => {
    const page = join(dir, "page.html");
    await writeFile(
      page,
      `<!doctype html><style>${style}</style><script>${script}</script><script src="/x.js"></script><b onclick="x()">b</b>`,
    );
    const policy = await writeJson("hash-policy.json", {
      rules: [{ path: "/docs/*", csp: { add: { "script-src": ["https://cdn.example.com", "'sha256-OLDOLDOLD='"] } } }],
    });
    const run = await cli(["hashes", page, "--path", "/docs/*", "--policy", policy]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("1 inline event handler");
    const written = JSON.parse(await readFile(policy, "utf8")) as { rules: { path: string; csp: { add: Record<string, string[]> } }[] };
    expect(written.rules[0]?.csp.add).toEqual({ "script-src": ["https://cdn.example.com", sha(script)], "style-src": [sha(style)] });
    expect((await cli(["validate", policy])).code).toBe(0);
  });

  it("prints a new rule without --policy", async () => {
    const page = join(dir, "page2.html");
    await writeFile(page, `<script>${script}</script>`);
    const run = await cli(["hashes", page, "--no-styles"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ path: "/*", csp: { add: { "script-src": [sha(script)] } } });
  });

  it("refuses a bad path pattern as a usage error", async () => {
    expect((await cli(["hashes", "x.html", "--path", "docs"])).code).toBe(2);
  });
});
