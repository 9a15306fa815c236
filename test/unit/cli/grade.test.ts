// The grade adapter against known header sets: what the MDN HTTP Observatory's published scoring gives
// each one (worked out from its score table in the comments), and the findings the three graders add.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gradeAtLeast, gradeRetrieval, parseGrade, type GradeReport } from "../../../bin/support/grade/grade.js";
import { gradeHeaders } from "../../../bin/support/grade/offline.js";
import type { Retrieval, RetrievedResponse } from "../../../bin/support/grade/observatory.js";
import { fuzzParameters } from "../../fuzz-config.js";

const URL_HTTPS = new URL("https://example.com/");

/** The headers today's built-in defaults put on an https HTML response (test/unit/cli/grade-policy.test.ts computes them). */
const DEFAULTS: Record<string, string> = {
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "content-security-policy": "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
  "permissions-policy": "geolocation=(), camera=(), microphone=()",
};

/** DEFAULTS without some headers. */
function without(...names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(DEFAULTS).filter(([name]) => !names.includes(name)));
}

function page(headers: Record<string, string | string[]>, body = "", status = 200): RetrievedResponse {
  return { url: URL_HTTPS, status, headers: { "content-type": "text/html; charset=utf-8", ...headers }, body, verified: true };
}

/** An https page fetched on its own, as `check https://host:port/` retrieves it (no http:// form). */
function httpsOnly(response: RetrievedResponse): Retrieval {
  return { hostname: "example.com", page: response, https: response, http: null };
}

function modifiers(report: GradeReport): Record<string, string> {
  return Object.fromEntries(
    (report.observatory?.tests ?? []).filter((t) => t.scoreModifier !== 0).map((t) => [t.name, `${t.result} ${t.scoreModifier}`]),
  );
}

describe("the Observatory's grade", () => {
  it("gives a bare https site D (30): no CSP -25, no HSTS -20, no X-Frame-Options -20, no X-Content-Type-Options -5", async () => {
    const report = await gradeRetrieval(httpsOnly(page({})));
    expect([report.grade, report.score]).toEqual(["D", 30]);
    expect(modifiers(report)).toEqual({
      "content-security-policy": "csp-not-implemented -25",
      "strict-transport-security": "hsts-not-implemented -20",
      "x-frame-options": "x-frame-options-not-implemented -20",
      "x-content-type-options": "x-content-type-options-not-implemented -5",
    });
  });

  it("gives today's defaults A+ (115): CSP without unsafe +5, a private Referrer-Policy +5, framing via CSP +5", async () => {
    const report = await gradeRetrieval(httpsOnly(page(DEFAULTS)));
    expect([report.grade, report.score]).toEqual(["A+", 115]);
    expect(modifiers(report)).toEqual({
      "content-security-policy": "csp-implemented-with-no-unsafe 5",
      "referrer-policy": "referrer-policy-private 5",
      "x-frame-options": "x-frame-options-implemented-via-csp 5",
    });
    expect(report.findings.filter((f) => f.severity === "weakness")).toEqual([]);
  });

  it("gives the bad CSP, unsafe-url and camera=* B (75): unsafe CSP -20, unsafe referrer -5, and no bonus under 90", async () => {
    const bad = {
      ...DEFAULTS,
      "content-security-policy": "default-src * 'unsafe-inline' 'unsafe-eval'",
      "referrer-policy": "unsafe-url",
      "permissions-policy": "camera=*",
    };
    const report = await gradeRetrieval(httpsOnly(page(bad)));
    expect([report.grade, report.score]).toEqual(["B", 75]);
    expect(modifiers(report)).toEqual({
      "content-security-policy": "csp-implemented-with-unsafe-inline -20",
      "referrer-policy": "referrer-policy-unsafe -5",
    });
    const weak = report.findings.filter((f) => f.severity === "weakness").map((f) => `${f.source} ${f.header}: ${f.message}`);
    expect(weak).toEqual([
      "observatory Content-Security-Policy: Content Security Policy (CSP): csp-implemented-with-unsafe-inline (-20 points)",
      "observatory Referrer-Policy: Referrer Policy: referrer-policy-unsafe (-5 points)",
      "csp-evaluator Content-Security-Policy: default-src 'unsafe-inline'",
      "csp-evaluator Content-Security-Policy: default-src *",
      "permissions-policy Permissions-Policy: camera=*",
    ]);
    for (const finding of report.findings) {
      expect(finding.why).not.toBe("");
      expect(finding.fix).not.toBe("");
    }
    expect(report.findings.find((f) => f.message === "camera=*")?.fix).toContain('"camera=()"');
  });

  it("counts bonuses only when the score without them is at least 90 (the extra-credit rule)", async () => {
    // Without X-Content-Type-Options: 100 - 5 = 95 ≥ 90, so the +15 counts: 110.
    expect((await gradeRetrieval(httpsOnly(page(without("x-content-type-options"))))).score).toBe(110);
    // Without HSTS: 100 - 20 = 80 < 90, so the +15 is dropped: 80, B+.
    const report = await gradeRetrieval(httpsOnly(page(without("strict-transport-security"))));
    expect([report.grade, report.score]).toEqual(["B+", 80]);
  });

  it("sees a Report-Only CSP through the headers object's get(), as the Observatory's axios response has it", async () => {
    const csp = DEFAULTS["content-security-policy"] ?? "";
    const report = await gradeRetrieval(
      httpsOnly(page({ ...without("content-security-policy"), "content-security-policy-report-only": csp })),
    );
    expect(report.observatory?.tests.find((t) => t.name === "content-security-policy")?.result).toBe(
      "csp-not-implemented-but-reporting-enabled",
    );
  });

  it("reads a CSP and a referrer policy from the page's meta tags", async () => {
    const rest = without("content-security-policy", "referrer-policy");
    const body = `<html><head><meta http-equiv="Content-Security-Policy" content="default-src 'self'"><meta name="referrer" content="no-referrer"></head></html>`;
    const report = await gradeRetrieval(httpsOnly(page(rest, body)));
    const results = Object.fromEntries((report.observatory?.tests ?? []).map((t) => [t.name, t.result]));
    expect(results["content-security-policy"]).toBe("csp-implemented-with-no-unsafe");
    expect(results["referrer-policy"]).toBe("referrer-policy-private");
  });

  it("feeds Set-Cookie lines to the cookie test: a session cookie without HttpOnly costs 30", async () => {
    const report = await gradeRetrieval(
      httpsOnly(
        page({ ...DEFAULTS, "set-cookie": ["sessionid=abc; Path=/; Secure", "theme=dark; Path=/; Secure; HttpOnly; SameSite=Lax"] }),
      ),
    );
    expect(modifiers(report).cookies).toBe("cookies-session-without-httponly-flag -30");
  });

  it("grades an http route that redirects to https as the Observatory's redirection test does", async () => {
    const https = page(DEFAULTS);
    const first: RetrievedResponse = {
      url: new URL("http://example.com/"),
      status: 301,
      headers: { location: "https://example.com/" },
      body: "",
      verified: true,
    };
    const route = [
      { url: first.url, status: 301 },
      { url: URL_HTTPS, status: 200 },
    ];
    const report = await gradeRetrieval({ hostname: "example.com", page: https, https, http: { response: first, route } });
    expect(report.observatory?.tests.find((t) => t.name === "redirection")?.result).toBe("redirection-to-https");
    const offHost = await gradeRetrieval({
      hostname: "example.com",
      page: https,
      https,
      http: {
        response: first,
        route: [route[0] ?? { url: first.url, status: 301 }, { url: new URL("https://www.example.org/"), status: 200 }],
      },
    });
    expect(modifiers(offHost).redirection).toBe("redirection-off-host-from-http -5");
  });

  it("does not grade a status the Observatory refuses, but still reports the CSP findings", async () => {
    const report = await gradeRetrieval(httpsOnly(page({ ...DEFAULTS, "content-security-policy": "script-src 'unsafe-inline'" }, "", 404)));
    expect(report.grade).toBeNull();
    expect(report.ungraded).toContain("404");
    expect(report.findings.some((f) => f.source === "csp-evaluator" && f.severity === "weakness")).toBe(true);
  });

  it("works without the HSTS preload list (its download is denied at install), counting no host as preloaded", async () => {
    const report = await gradeRetrieval(httpsOnly(page(DEFAULTS)));
    expect(report.observatory?.preloadList).toBe(false);
    expect(report.observatory?.tests.find((t) => t.name === "strict-transport-security")?.result).toBe(
      "hsts-implemented-max-age-at-least-six-months",
    );
  });
});

describe("any response", () => {
  it("gets a report, never an exception, whatever its headers hold (the CSP Evaluator throws on a source that is no URL)", async () => {
    expect(
      (await gradeRetrieval(httpsOnly(page({ "content-security-policy": "default-src 'self' \u009b2J; script-src self" })))).findings,
    ).toContainEqual(
      expect.objectContaining({ source: "csp-evaluator", severity: "note", why: expect.stringContaining("could not read this policy") }),
    );
    const text = fc.string({
      unit: fc.constantFrom("a", "*", ":", "/", ".", ";", ",", "'", " ", "=", "(", ")", '"', "\u009b", "1", "-", "h"),
    });
    const names = fc.constantFrom(
      "content-security-policy",
      "content-security-policy-report-only",
      "permissions-policy",
      "referrer-policy",
      "strict-transport-security",
      "x-frame-options",
      "set-cookie",
      "cross-origin-resource-policy",
    );
    await fc.assert(
      fc.asyncProperty(fc.dictionary(names, text), fc.string(), async (headers, body) => {
        const report = await gradeRetrieval(httpsOnly(page(headers, body)));
        expect(report.grade === null ? report.ungraded : report.score).not.toBeNull();
      }),
      fuzzParameters(60),
    );
  });
});

describe("the offline grade of computed headers", () => {
  it("grades a Headers object as an https page of the policy host", async () => {
    const headers = new Headers({ ...DEFAULTS, "content-type": "text/html" });
    const report = await gradeHeaders(headers, "/admin");
    expect([report.grade, report.score]).toEqual(["A+", 115]);
  });
});

describe("grades", () => {
  it("parses a grade in any case and orders them from A+ to F", () => {
    expect(parseGrade("a+")).toBe("A+");
    expect(parseGrade(" b- ")).toBe("B-");
    expect(parseGrade("E")).toBeNull();
    expect(gradeAtLeast("A+", "A")).toBe(true);
    expect(gradeAtLeast("A", "A")).toBe(true);
    expect(gradeAtLeast("A-", "A")).toBe(false);
    expect(gradeAtLeast("F", "D-")).toBe(false);
  });
});
