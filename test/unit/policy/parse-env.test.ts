// Environment bindings: each bad binding falls back on its own, with an issue naming it.

import { describe, expect, it } from "vitest";
import {
  DEFAULT_CACHE_SECONDS,
  DEFAULT_KV_KEY,
  DEFAULT_REPORT_PATH,
  DEFAULT_ORIGIN_TIMEOUT_MS,
  parseEnv,
} from "../../../src/core/policy/parse-env.js";

describe("parseEnv", () => {
  it("defaults to route mode, 30 s, enforced, no POLICY", () => {
    expect(parseEnv({})).toEqual({
      config: {
        origin: { kind: "route" },
        originTimeoutMs: DEFAULT_ORIGIN_TIMEOUT_MS,
        reportOnly: false,
        policy: undefined,
        kvKey: DEFAULT_KV_KEY,
        cacheSeconds: DEFAULT_CACHE_SECONDS,
        reports: { enabled: false, path: DEFAULT_REPORT_PATH, sampleRate: 1, token: undefined },
        allowedHosts: undefined,
        nonceMarkers: [],
      },
      issues: [],
    });
  });

  it("reads a fixed origin's scheme, host and port", () => {
    expect(parseEnv({ ORIGIN_URL: "http://127.0.0.1:9001" }).config.origin).toEqual({
      kind: "url",
      protocol: "http:",
      hostname: "127.0.0.1",
      port: "9001",
      host: "127.0.0.1:9001",
    });
    expect(parseEnv({ ORIGIN_URL: "https://origin.example.com/" }).config.origin).toMatchObject({
      hostname: "origin.example.com",
      port: "",
    });
  });

  it.each([
    "ftp://origin.example.com",
    "https://origin.example.com/app",
    "https://u:p@origin.example.com",
    "https://o.example.com/?q=1",
    "not a url",
    42,
  ])("refuses ORIGIN_URL %j instead of guessing", (value) => {
    const { config, issues } = parseEnv({ ORIGIN_URL: value });
    expect(config.origin).toEqual({ kind: "invalid" });
    expect(issues.map((i) => i.path)).toEqual(["ORIGIN_URL"]);
  });

  it("reads the timeout as a string or a number", () => {
    expect(parseEnv({ ORIGIN_TIMEOUT_MS: "2500" }).config.originTimeoutMs).toBe(2500);
    expect(parseEnv({ ORIGIN_TIMEOUT_MS: 2500 }).config.originTimeoutMs).toBe(2500);
  });

  it.each(["0", "-5", "1.5", "ten", "600001"])("falls back to the default timeout for %j", (value) => {
    const { config, issues } = parseEnv({ ORIGIN_TIMEOUT_MS: value });
    expect(config.originTimeoutMs).toBe(DEFAULT_ORIGIN_TIMEOUT_MS);
    expect(issues.map((i) => i.path)).toEqual(["ORIGIN_TIMEOUT_MS"]);
  });

  it("reads CSP_REPORT_ONLY strictly, keeping the policy enforced on anything unclear", () => {
    expect(parseEnv({ CSP_REPORT_ONLY: "true" }).config.reportOnly).toBe(true);
    expect(parseEnv({ CSP_REPORT_ONLY: true }).config.reportOnly).toBe(true);
    expect(parseEnv({ CSP_REPORT_ONLY: "false" }).config.reportOnly).toBe(false);
    const { config, issues } = parseEnv({ CSP_REPORT_ONLY: "yes" });
    expect(config.reportOnly).toBe(false);
    expect(issues[0]?.path).toBe("CSP_REPORT_ONLY");
  });

  it("reads POLICY as JSON text or as an object", () => {
    expect(parseEnv({ POLICY: '{"hsts":{"maxAge":300}}' }).config.policy).toEqual({ hsts: { maxAge: 300 } });
    expect(parseEnv({ POLICY: { hsts: { maxAge: 300 } } }).config.policy).toEqual({ hsts: { maxAge: 300 } });
  });

  it("drops an invalid POLICY and prefixes its issue paths", () => {
    const { config, issues } = parseEnv({ POLICY: '{"hsts":{"maxAge":"1"},"headers":{"X-A":"a\\nb"}}' });
    expect(config.policy).toBeUndefined();
    expect(issues.map((i) => i.path).sort()).toEqual(['POLICY.headers["X-A"]', "POLICY.hsts.maxAge"]);
  });

  it("reports a near-miss binding name with the likely fix", () => {
    const { issues } = parseEnv({ CSP_REPORTONLY: "true", UNRELATED_THING: "x" });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe("CSP_REPORTONLY");
    expect(issues[0]?.message).toContain("did you mean `CSP_REPORT_ONLY`?");
  });

  it("reads the report collector's settings, each falling back on its own", () => {
    const token = "t".repeat(32);
    expect(
      parseEnv({ REPORTS_ENABLED: "true", REPORT_PATH: "/csp", REPORT_SAMPLE_RATE: "0.25", REPORTS_TOKEN: token }).config.reports,
    ).toEqual({
      enabled: true,
      path: "/csp",
      sampleRate: 0.25,
      token,
    });
    const { config, issues } = parseEnv({ REPORTS_ENABLED: "yes", REPORT_PATH: "csp", REPORT_SAMPLE_RATE: "2", REPORTS_TOKEN: "short" });
    expect(config.reports).toEqual({ enabled: false, path: DEFAULT_REPORT_PATH, sampleRate: 1, token: undefined });
    expect(issues.map((i) => i.path)).toEqual(["REPORTS_ENABLED", "REPORT_PATH", "REPORT_SAMPLE_RATE", "REPORTS_TOKEN"]);
    expect(JSON.stringify(issues)).not.toContain("short");
  });

  it("reads ALLOWED_HOSTS, dropping a bad entry with an issue and keeping the rest", () => {
    const { config, issues } = parseEnv({ ALLOWED_HOSTS: "www.example.com, https://bad.example.com, *.example.net" });
    expect([...(config.allowedHosts?.exact ?? [])]).toEqual(["www.example.com"]);
    expect(config.allowedHosts?.suffixes).toEqual([".example.net"]);
    expect(issues.map((i) => i.path)).toEqual(["ALLOWED_HOSTS[1]"]);
  });

  it("suggests ALLOWED_HOSTS for a near miss", () => {
    const { issues } = parseEnv({ ALLOWED_HOST: "www.example.com" });
    expect(issues[0]?.message).toContain("did you mean `ALLOWED_HOSTS`?");
  });
});
