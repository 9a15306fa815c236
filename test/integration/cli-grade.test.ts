// `check`'s grade end to end: the CLI against the Worker in Miniflare (over https, the bin itself with a
// certificate it trusts through NODE_EXTRA_CA_CERTS, which node reads only at start; over http, the same
// main() in this process) in front of a local origin; --min-grade as a CI gate.

import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type RunningWorker } from "../support/miniflare-worker.js";
import { startOrigin, type Origin } from "../support/origin.js";
import { runMain } from "../support/cli-io.js";
import { cli, json } from "./support/cli.js";

interface GradeJson {
  readonly grade: string | null;
  readonly score: number | null;
  readonly minGrade: string | null;
  readonly meetsMinGrade: boolean;
  readonly findings: readonly {
    readonly source: string;
    readonly severity: string;
    readonly header: string;
    readonly message: string;
    readonly fix: string;
  }[];
  readonly observatory: {
    readonly tests: readonly { readonly name: string; readonly result: string; readonly scoreModifier: number }[];
  } | null;
}

interface CheckJson {
  readonly defects: number;
  readonly response: { readonly rawHeaders: readonly string[] } | null;
  readonly grade: GradeJson | null;
}

/** The origin's /respond URL sending these header lines, and an HTML Content-Type. */
function respondPath(pairs: readonly [string, string][]): string {
  const params = new URLSearchParams([
    ["h", "Content-Type:text/html; charset=utf-8"],
    ...pairs.map(([name, value]): [string, string] => ["h", `${name}:${value}`]),
  ]);
  return `/respond?${params.toString()}`;
}

function header(report: CheckJson, name: string): string | undefined {
  const raw = report.response?.rawHeaders ?? [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]?.toLowerCase() === name) return raw[i + 1];
  return undefined;
}

let dir = "";
let origin: Origin | undefined;
let http: RunningWorker | undefined;
let https: RunningWorker | undefined;
let caFile = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shw-grade-test-"));
  // A throw-away certificate for 127.0.0.1, trusted by the CLI alone (NODE_EXTRA_CA_CERTS in its environment).
  const key = join(dir, "key.pem");
  caFile = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      caFile,
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  origin = await startOrigin();
  http = await startWorker({ bindings: { ORIGIN_URL: origin.url } });
  https = await startWorker({
    bindings: { ORIGIN_URL: origin.url },
    extra: { https: true, httpsKey: await readFile(key, "utf8"), httpsCert: await readFile(caFile, "utf8") },
  });
});

afterAll(async () => {
  try {
    await https?.dispose();
    await http?.dispose();
    await origin?.close();
  } finally {
    if (dir !== "") await rm(dir, { recursive: true, force: true });
  }
});

function httpsUrl(path: string): string {
  return new URL(path, (https?.url ?? new URL("https://127.0.0.1:9/")).href).href;
}

function httpUrl(path: string): string {
  return new URL(path, (http?.url ?? new URL("http://127.0.0.1:9/")).href).href;
}

describe("check's grade behind the Worker over https", () => {
  it("gives the built-in defaults in front of an nginx origin A+ (115) with no defect, Server stripped to nginx", async () => {
    const run = await cli(["check", httpsUrl(respondPath([["Server", "nginx/1.24.0 (Ubuntu)"]])), "--min-grade", "A+", "--json"], {
      env: { NODE_EXTRA_CA_CERTS: caFile },
    });
    const report = json<CheckJson>(run);
    expect(report.defects).toBe(0);
    expect(header(report, "server")).toBe("nginx");
    expect([report.grade?.grade, report.grade?.score, report.grade?.meetsMinGrade]).toEqual(["A+", 115, true]);
    expect(report.grade?.findings.filter((f) => f.severity === "weakness")).toEqual([]);
    expect(run.code).toBe(0);
  });

  it("fails --min-grade A when the origin's weak CSP, referrer policy and camera=* pass through the default action", async () => {
    const weak: [string, string][] = [
      ["Content-Security-Policy", "default-src * 'unsafe-inline' 'unsafe-eval'"],
      ["Referrer-Policy", "unsafe-url"],
      ["Permissions-Policy", "camera=*"],
    ];
    const url = httpsUrl(respondPath(weak));
    const run = await cli(["check", url, "--min-grade", "A", "--json"], { env: { NODE_EXTRA_CA_CERTS: caFile } });
    expect(run.code).toBe(1);
    const report = json<CheckJson>(run);
    expect(report.defects).toBe(0);
    // 100 - 20 (CSP with unsafe-inline) - 5 (unsafe referrer): B, and no bonus under 90.
    expect([report.grade?.grade, report.grade?.score, report.grade?.meetsMinGrade]).toEqual(["B", 75, false]);
    const weaknesses = (report.grade?.findings ?? []).filter((f) => f.severity === "weakness");
    expect(new Set(weaknesses.map((f) => `${f.source} ${f.header}`))).toEqual(
      new Set([
        "observatory Content-Security-Policy",
        "observatory Referrer-Policy",
        "csp-evaluator Content-Security-Policy",
        "permissions-policy Permissions-Policy",
      ]),
    );
    expect(weaknesses.find((f) => f.header === "Referrer-Policy")?.fix).toContain('"action": "set"');

    const text = await cli(["check", url, "--min-grade", "A"], { env: { NODE_EXTRA_CA_CERTS: caFile } });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/! Content-Security-Policy\s+default-src \* 'unsafe-inline' 'unsafe-eval'/);
    expect(text.stdout).toMatch(/! Permissions-Policy\s+camera=\*/);
    expect(text.stdout).toContain("Grade B (75)");
    expect(text.stdout).toContain("grade B (75) is below --min-grade A");
    expect(text.stdout).toContain("no defects");
  });
});

describe("check's grade over http", () => {
  it("counts an http:// URL as a site without https: the defaults earn C+ (60), and --min-grade gates on it", async () => {
    // 100 - 20 (no https, so no HSTS) - 20 (no redirect to https) = 60 < 90: the +15 of bonuses is dropped.
    const pass = await runMain(["check", httpUrl("/html"), "--min-grade", "C+", "--json"]);
    expect([json<CheckJson>(pass).grade?.grade, json<CheckJson>(pass).grade?.score]).toEqual(["C+", 60]);
    expect(pass.code).toBe(0);
    const fail = await runMain(["check", httpUrl("/html"), "--min-grade", "b"]);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toContain("an http:// URL counts as a site without https");
    expect(fail.stdout).toContain("is below --min-grade B");
  });

  it("exits 2 for a --min-grade that is no grade", async () => {
    const run = await runMain(["check", httpUrl("/html"), "--min-grade", "A++"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--min-grade: expected one of A+, A, A-, B+, B, B-, C+, C, C-, D+, D, D-, F, received "A++"');
  });
});
