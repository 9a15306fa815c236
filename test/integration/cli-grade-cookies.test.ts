// The Observatory's cookie test behind the Worker, end to end: the real CLI's `check` against the Worker in
// Miniflare over https (a throw-away certificate the CLI trusts through NODE_EXTRA_CA_CERTS), in front of an
// origin that sets plain cookies. The built-in defaults add Secure and SameSite; a rule adds HttpOnly.

import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type RunningWorker } from "../support/miniflare-worker.js";
import { startOrigin, type Origin } from "../support/origin.js";
import { cli, json } from "./support/cli.js";

interface CheckJson {
  readonly grade: {
    readonly score: number | null;
    readonly observatory: {
      readonly tests: readonly { readonly name: string; readonly result: string; readonly pass: boolean; readonly scoreModifier: number }[];
    } | null;
  } | null;
}

const POLICY = { cookies: [{ name: "sessionid", httpOnly: true }] };

let dir = "";
let caFile = "";
let origin: Origin | undefined;
let worker: RunningWorker | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shw-grade-cookies-"));
  const key = join(dir, "key.pem");
  caFile = join(dir, "cert.pem");
  const subject = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"];
  const curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
  execFileSync("openssl", ["req", "-x509", ...curve, "-nodes", "-keyout", key, "-out", caFile, "-days", "2", ...subject], {
    stdio: "ignore",
  });
  origin = await startOrigin();
  worker = await startWorker({
    bindings: { ORIGIN_URL: origin.url, POLICY: JSON.stringify(POLICY) },
    extra: { https: true, httpsKey: await readFile(key, "utf8"), httpsCert: await readFile(caFile, "utf8") },
  });
});

afterAll(async () => {
  try {
    await worker?.dispose();
    await origin?.close();
  } finally {
    if (dir !== "") await rm(dir, { recursive: true, force: true });
  }
});

function cookiePage(): string {
  const params = new URLSearchParams([
    ["h", "Content-Type:text/html; charset=utf-8"],
    ["h", "Set-Cookie:theme=dark"],
    ["h", "Set-Cookie:sessionid=abc; Path=/"],
  ]);
  return new URL(`/respond?${params.toString()}`, (worker?.url ?? new URL("https://127.0.0.1:9/")).href).href;
}

describe("the Observatory's cookie test behind the Worker", () => {
  // The defaults add Secure; the rule adds HttpOnly to the session cookie. SameSite (the Observatory's +5)
  // is the strict preset's, not the defaults' (docs/policy-format.md, "cookies").
  it("passes for an origin that sets plain cookies: Secure on every cookie, HttpOnly on the session", async () => {
    const run = await cli(["check", cookiePage(), "--json"], { env: { NODE_EXTRA_CA_CERTS: caFile } });
    const report = json<CheckJson>(run);
    const cookies = report.grade?.observatory?.tests.find((t) => t.name === "cookies");
    expect(cookies?.result).toBe("cookies-secure-with-httponly-sessions");
    expect(cookies?.pass).toBe(true);
    expect(cookies?.scoreModifier).toBe(0);
  });
});
