// The `check` command's verdicts on raw header lines: present, missing, valid, duplicated, leaking.

import { describe, expect, it } from "vitest";
import { CHECKED_HEADERS, checkHeaders, checkHttpForm, type HeaderCheck, type HeaderReport } from "../../../bin/support/check-headers.js";

/** A response carrying every required header, valid, once. */
// A word list wrapped by hand: Prettier would give each word a line of its own.
// prettier-ignore
const GOOD: readonly string[] = [
  "Strict-Transport-Security", "max-age=31536000; includeSubDomains",
  "Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'",
  "X-Frame-Options", "DENY",
  "X-Content-Type-Options", "nosniff",
  "Referrer-Policy", "strict-origin-when-cross-origin",
  "Permissions-Policy", "geolocation=()",
  "Cross-Origin-Opener-Policy", "same-origin",
  "Cross-Origin-Resource-Policy", "same-origin",
];

/** GOOD with the lines of `name` (any case) taken out and `extra` appended. */
function variant(without: readonly string[], extra: readonly string[] = []): string[] {
  const drop = new Set(without.map((n) => n.toLowerCase()));
  const out: string[] = [];
  for (let i = 0; i + 1 < GOOD.length; i += 2) {
    const name = GOOD[i] ?? "";
    if (!drop.has(name.toLowerCase())) out.push(name, GOOD[i + 1] ?? "");
  }
  return [...out, ...extra];
}

function header(check: HeaderCheck, name: string): HeaderReport {
  const found = [...check.headers, ...check.leaks].find((h) => h.name.toLowerCase() === name.toLowerCase());
  if (found === undefined) throw new Error(`no report for ${name}`);
  return found;
}

function defectsOf(report: HeaderReport): string[] {
  return report.findings.filter((f) => f.severity === "defect").map((f) => f.message);
}

const https = { https: true, status: 200 };
const http = { https: false, status: 200 };

describe("checkHeaders", () => {
  it("finds no defect in a response with every header valid and sent once", () => {
    expect(checkHeaders(GOOD, https).defects).toBe(0);
  });

  it("reports every checked header, present or not, in a fixed order", () => {
    expect(checkHeaders([], https).headers.map((h) => h.name)).toEqual(CHECKED_HEADERS.map((h) => h.name));
  });

  it("reports a header's value and validity whatever the case of its name", () => {
    const report = header(checkHeaders(variant(["X-Frame-Options"], ["x-frame-options", "SAMEORIGIN"]), https), "X-Frame-Options");
    expect(report).toMatchObject({ state: "present", lines: ["SAMEORIGIN"], valid: true, findings: [] });
  });

  it.each([
    ["Content-Security-Policy"],
    ["X-Content-Type-Options"],
    ["Referrer-Policy"],
    ["Permissions-Policy"],
    ["Strict-Transport-Security"],
  ])("counts a missing %s as a defect", (name) => {
    const check = checkHeaders(variant([name]), https);
    expect(header(check, name).state).toBe("missing");
    expect(defectsOf(header(check, name))).toHaveLength(1);
    expect(check.defects).toBe(1);
  });

  it.each([["Cross-Origin-Opener-Policy"], ["Cross-Origin-Resource-Policy"]])("notes a missing %s without counting a defect", (name) => {
    const check = checkHeaders(variant([name]), https);
    expect(header(check, name).findings).toEqual([expect.objectContaining({ severity: "note" })]);
    expect(check.defects).toBe(0);
  });

  it("accepts a missing X-Frame-Options when CSP frame-ancestors covers framing", () => {
    const check = checkHeaders(variant(["X-Frame-Options"]), https);
    expect(header(check, "X-Frame-Options").state).toBe("missing");
    expect(check.defects).toBe(0);
  });

  it("counts a missing X-Frame-Options as a defect when the CSP has no frame-ancestors", () => {
    const lines = variant(["X-Frame-Options", "Content-Security-Policy"], ["Content-Security-Policy", "default-src 'self'"]);
    expect(checkHeaders(lines, https).defects).toBe(1);
  });

  it("says a Report-Only policy does not replace a missing enforced CSP", () => {
    const lines = variant(["Content-Security-Policy"], ["Content-Security-Policy-Report-Only", "default-src 'self'"]);
    const check = checkHeaders(lines, https);
    expect(defectsOf(header(check, "Content-Security-Policy"))[0]).toMatch(/Report-Only policy enforces nothing/);
  });

  it.each([
    ["X-Frame-Options", "ALLOW-FROM https://a.example"],
    ["X-Content-Type-Options", "no-sniff"],
    ["Referrer-Policy", "always"],
    ["Permissions-Policy", "geolocation=(self"],
    ["Cross-Origin-Opener-Policy", "same-site"],
    ["Cross-Origin-Resource-Policy", "none"],
    ["Strict-Transport-Security", "max-age=1; max-age=2"],
    ["Content-Security-Policy", "frame-ancestor 'none'"],
  ])("marks %s: %j invalid, a defect", (name, value) => {
    const report = header(checkHeaders(variant([name], [name, value]), https), name);
    expect(report.valid).toBe(false);
    expect(defectsOf(report)).toHaveLength(1);
  });

  it("reports each duplicated line, and judges the joined value browsers see", () => {
    const report = header(
      checkHeaders(variant(["X-Frame-Options"], ["X-Frame-Options", "DENY", "x-frame-options", "SAMEORIGIN"]), https),
      "X-Frame-Options",
    );
    expect(report.lines).toEqual(["DENY", "SAMEORIGIN"]);
    expect(report.valid).toBe(false);
    expect(defectsOf(report)).toEqual([expect.stringMatching(/^2 lines/), expect.stringMatching(/^invalid/)]);
  });

  it("counts two identical lines as a duplicate even though each is valid", () => {
    const report = header(checkHeaders(variant([], ["X-Content-Type-Options", "nosniff"]), https), "X-Content-Type-Options");
    expect(report.valid).toBe(false);
    expect(defectsOf(report)[0]).toMatch(/^2 lines/);
  });

  it("counts two CSP lines as a defect although both are valid policies", () => {
    const report = header(checkHeaders(variant([], ["Content-Security-Policy", "img-src 'self'"]), https), "Content-Security-Policy");
    expect(report.valid).toBe(true);
    expect(defectsOf(report)).toEqual([expect.stringMatching(/^2 lines: browsers apply every one/)]);
  });

  it("counts HSTS over plain http as a defect", () => {
    const report = header(checkHeaders(GOOD, http), "Strict-Transport-Security");
    expect(report.state).toBe("present");
    expect(defectsOf(report)).toEqual([expect.stringMatching(/sent over plain http/)]);
  });

  it("treats HSTS missing on http as not applicable, with a note that it cannot be told from http", () => {
    const check = checkHeaders(variant(["Strict-Transport-Security"]), http);
    const report = header(check, "Strict-Transport-Security");
    expect(report.state).toBe("not-applicable");
    expect(report.findings).toEqual([{ severity: "note", message: expect.stringMatching(/no https at all, this check cannot tell/) }]);
    expect(check.defects).toBe(0);
  });

  it.each([
    ["max-age=0", /forget/],
    ["max-age=300", /under one year/],
  ])("notes a weak HSTS %j without counting a defect", (value, note) => {
    const check = checkHeaders(variant(["Strict-Transport-Security"], ["Strict-Transport-Security", value]), https);
    expect(header(check, "Strict-Transport-Security").findings).toEqual([{ severity: "note", message: expect.stringMatching(note) }]);
    expect(check.defects).toBe(0);
  });

  it("reports CSP source problems with the directive and the source", () => {
    const lines = variant(["Content-Security-Policy"], ["Content-Security-Policy", "default-src self; frame-ancestors 'none'"]);
    const report = header(checkHeaders(lines, https), "Content-Security-Policy");
    expect(report.valid).toBe(false);
    expect(defectsOf(report)).toEqual([expect.stringMatching(/^default-src: expected .*'self'.*, received "self"$/)]);
  });

  it("accepts a fresh nonce in a live CSP", () => {
    const lines = variant(
      ["Content-Security-Policy"],
      ["Content-Security-Policy", "script-src 'nonce-r4nd0m' 'strict-dynamic'; frame-ancestors 'none'"],
    );
    expect(checkHeaders(lines, https).defects).toBe(0);
  });

  it("accepts several policies in one CSP line, separated by commas", () => {
    const lines = variant(["Content-Security-Policy"], ["Content-Security-Policy", "default-src 'self', frame-ancestors 'none'"]);
    expect(checkHeaders(lines, https).defects).toBe(0);
  });

  it.each([
    ["X-Powered-By", "Express"],
    ["X-AspNet-Version", "4.0.30319"],
    ["X-AspNetMvc-Version", "5.2"],
    ["Server", "nginx/1.25.3"],
    ["Server", "Apache/2.4.57 (Ubuntu)"],
    ["Server", "Microsoft-IIS/10.0"],
  ])("counts the leak header %s: %j as a defect", (name, value) => {
    const check = checkHeaders([...GOOD, name, value], https);
    expect(check.leaks).toEqual([expect.objectContaining({ name, lines: [value] })]);
    expect(check.defects).toBe(1);
  });

  it.each([["cloudflare"], ["nginx"], ["AmazonS3"]])("accepts a Server header without a version: %j", (value) => {
    const check = checkHeaders([...GOOD, "Server", value], https);
    expect(check.leaks).toEqual([]);
    expect(check.defects).toBe(0);
  });

  it("does not require page headers on a redirect, but still HSTS on https", () => {
    const check = checkHeaders(["Location", "https://example.com/"], { https: true, status: 301 });
    expect(check.defects).toBe(1);
    expect(defectsOf(header(check, "Strict-Transport-Security"))).toHaveLength(1);
    expect(check.general).toEqual([expect.objectContaining({ severity: "note" })]);
  });
});

describe("checkHttpForm", () => {
  it.each([
    [301, "https://example.com/", "note", /redirects to https/],
    [308, "/", "note", /not to https/],
    [302, "http://www.example.com/", "note", /not to https/],
    [301, null, "defect", /without a usable Location/],
    [200, null, "defect", /serves a 200 page over plain http/],
    [403, null, "note", /answers 403/],
  ] as const)("judges %i with Location %j as a %s", (status, location, severity, message) => {
    expect(checkHttpForm(status, location, "http://example.com/")).toEqual([{ severity, message: expect.stringMatching(message) }]);
  });
});
