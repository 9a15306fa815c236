// `npm start` end to end: scripts/start.ts brings up the demo origin and wrangler dev (https), serves the demo
// through the Worker, and takes everything down again on Ctrl+C. The other stop signals (SIGTERM and SIGHUP to
// npm, a supervisor's SIGTERM) each need a start of their own: lifecycle/start-signals.test.ts, in test:e2e.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BANNER_TIMEOUT_MS, connectionRefused, killAll, REQUEST_TIMEOUT_MS, startDemo, type Started } from "../support/demo-process.js";
import { uploadExpectingContinue } from "../support/expect-upload.js";
import { fetchLocal } from "../support/fetch-local.js";
import { expectStopped } from "./support/expect-stopped.js";

afterAll(killAll);

describe("npm start", () => {
  let started: Started | undefined;
  const running = (): Started => {
    if (started === undefined) throw new Error("npm start did not come up (see beforeAll)");
    return started;
  };
  const get = (path: string): Promise<Response> => fetchLocal(new URL(path, running().workerUrl), { timeoutMs: REQUEST_TIMEOUT_MS });

  beforeAll(async () => {
    // The real command, with a fresh document in the local KV (a developer's earlier push is kept otherwise).
    started = await startDemo("npm", ["start", "--", "--reset"]);
  }, BANNER_TIMEOUT_MS + 10_000);

  it("prints the https URL to open, a GET curl line, the road and every demo path", () => {
    const { output, workerUrl, workerPort } = running();
    expect(workerUrl).toBe(`https://127.0.0.1:${workerPort}/`);
    // A GET: a HEAD (curl -sI) carries no nonce by design, so the nonce would look broken.
    expect(output.tail(200)).toContain(`curl -sk -D - -o /dev/null ${workerUrl}nonce`);
    expect(output.tail(200)).not.toContain("curl -sI");
    expect(output.tail(200)).toMatch(/security-headers-worker scan http:\/\/127\.0\.0\.1:\d+\/ --out/);
    expect(output.tail(200)).toMatch(/REPORTS_TOKEN=\S+ npx security-headers-worker reports https:\/\/127\.0\.0\.1:\d+ --suggest/);
    expect(output.tail(200)).toContain("Reset the local POLICY_KV");
    for (const path of [
      "/api/data.json",
      "/slow",
      "/missing",
      "/error",
      "/old-page",
      "/cookies",
      "/weak-headers",
      "/embed/widget",
      "/login",
      "/hash",
      "/blanket",
      "/report-only",
    ]) {
      expect(output.tail(200)).toMatch(new RegExp(`^\\s+${path.replace(/[.]/g, "\\.")}\\s`, "m"));
    }
  });

  it("serves the index through the Worker with a CSP and X-Frame-Options: DENY", async () => {
    const res = await get("/");
    const body = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html\b/);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    // The demo origin's page, and it knows it was reached through the Worker.
    expect(body).toContain("through the Worker");
  });

  it("leaves one valid X-Frame-Options and strips the leak headers and HSTS on /weak-headers", async () => {
    const res = await get("/weak-headers");
    await res.text();
    expect(res.status).toBe(200);
    // Two origin lines would arrive joined ("DENY, SAMEORIGIN"): exactly "DENY" means one line, one value.
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.has("x-powered-by")).toBe(false);
    expect(res.headers.has("x-aspnet-version")).toBe(false);
    // The demo is https with "hsts": false (a browser would pin localhost for a year): the origin's own passes.
    expect(res.headers.get("strict-transport-security")).toBe("max-age=0");
    // What the page says about Referrer-Policy: a valid origin value wins under the `default` action.
    expect(res.headers.get("referrer-policy")).toBe("unsafe-url");
  });

  it("keeps both Set-Cookie headers on /cookies", async () => {
    const res = await get("/cookies");
    await res.text();
    expect(res.status).toBe(200);
    const cookies = res.headers.getSetCookie();
    expect(cookies).toHaveLength(2);
    // The demo serves https by default, so the built-in cookie defaults append Secure.
    expect(cookies).toContain("demo_theme=dark; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT; SameSite=Lax; Secure");
  });

  it("passes the 302 of /old-page through without following it", async () => {
    const res = await get("/old-page");
    await res.text();
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
  });

  it("serves the CSP road: a hash, a blanket nonce and a Report-Only page, from the rules seeded with the examples", async () => {
    const hash = await get("/hash");
    await hash.text();
    expect(hash.headers.get("content-security-policy")).toMatch(/script-src 'self' https:\/\/cdn\.example\.com 'sha256-/);
    const blanket = await get("/blanket");
    const html = await blanket.text();
    const nonce = /'nonce-([^']+)'/.exec(blanket.headers.get("content-security-policy") ?? "")?.[1];
    // Every script the page holds gets the nonce, the "injected" one too: what blanket mode gives up.
    expect([...html.matchAll(/<script nonce="([^"]*)">/g)].map((m) => m[1])).toEqual([nonce, nonce]);
    const reportOnly = await get("/report-only");
    await reportOnly.text();
    expect(reportOnly.headers.has("content-security-policy")).toBe(false);
    expect(reportOnly.headers.get("content-security-policy-report-only")).toMatch(
      /script-src 'self' 'report-sample'.*report-to csp-endpoint/,
    );
  });

  it("serves the per-path rules seeded into the local KV from examples/policy.json", async () => {
    const embed = await get("/embed/widget");
    await embed.text();
    expect(embed.status).toBe(200);
    expect(embed.headers.has("x-frame-options")).toBe(false);
    expect(embed.headers.get("content-security-policy")).toContain("frame-ancestors https://partner.example.com");
    const login = await get("/login");
    await login.text();
    expect(login.headers.get("cache-control")).toBe("no-store");
    expect(login.headers.get("clear-site-data")).toBe('"cache"');
  });

  it("serves the marked-nonce page with this run's NONCE_MARKER swapped for the CSP's nonce", async () => {
    const res = await get("/nonce");
    const html = await res.text();
    const nonce = /'nonce-([^']+)'/.exec(res.headers.get("content-security-policy") ?? "")?.[1];
    expect(nonce).toBeDefined();
    const marked = [...html.matchAll(/<script nonce="([^"]*)">/g)].map((m) => m[1]);
    expect(marked).toEqual([nonce, "__CSP_NONCE__"]);
  });

  it("answers a 2 MiB upload sent the way curl sends it (Expect: 100-continue) with the demo origin's page", async () => {
    // curl --data-binary @2MB.bin http://127.0.0.1:8787/ answered 502: the origin's 100 Continue came back as the answer.
    const upload = await uploadExpectingContinue(new URL("/", running().workerUrl), [Buffer.alloc(2 * 1024 * 1024, 0x5a)], false, {
      idleTimeoutMs: REQUEST_TIMEOUT_MS,
    });
    expect(upload.status).toBe(200);
    expect(upload.headers["x-frame-options"]).toBe("DENY");
    expect(upload.body.toString("utf8")).toContain("through the Worker");
  });

  it("stops wrangler and the demo origin on Ctrl+C (SIGINT to the process group)", async () => {
    const current = running();
    const pid = current.child.pid;
    if (pid === undefined) throw new Error("no pid");
    expect(await connectionRefused(current.originPort)).toBe(false);
    // npm does not pass a signal on to its script (there is a `sh -c` in between): a terminal signals the
    // whole foreground group, so wrangler gets SIGINT from the terminal and from the script, both harmless.
    process.kill(-pid, "SIGINT");
    await expectStopped(current);
  });
});
