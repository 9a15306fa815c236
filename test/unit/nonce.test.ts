// The nonce decision per response, the nonce itself, stamped-body headers, and nonce/report CSP rendering.

import { describe, expect, it } from "vitest";
import { applyHeaders } from "../../src/core/apply-headers.js";
import { compilePolicy } from "../../src/core/compile-policy.js";
import { createNonce, decideNonce, type ResponseFacts } from "../../src/core/nonce.js";
import { planHeaders } from "../../src/core/plan.js";
import { adjustForStampedBody } from "../../src/core/stamped-response.js";
import { compile, cspMap, doc } from "./support.js";

const NONCE = "bm9uY2Vub25jZW5vbmNlMQ==";
const html: ResponseFacts = { method: "GET", status: 200, contentType: "text/html; charset=utf-8", hasBody: true, originHeaders: new Headers() };

function planFor(document: unknown, https = true) {
  return planHeaders(compile([document]), { https, path: "/", contentType: "text/html" });
}

describe("decideNonce", () => {
  const plan = planFor({ nonce: {} });

  it.each<[string, Partial<ResponseFacts>, boolean]>([
    ["a GET of HTML", {}, true],
    ["XHTML", { contentType: "application/xhtml+xml" }, true],
    ["JSON", { contentType: "application/json" }, false],
    ["no content type", { contentType: null }, false],
    ["HEAD", { method: "HEAD", hasBody: false }, false],
    ["a 206", { status: 206 }, false],
    ["a 204", { status: 204, hasBody: false }, false],
    ["a 304", { status: 304, hasBody: false }, false],
    ["a POST answered with HTML", { method: "POST" }, true],
    ["a 404 page", { status: 404 }, true],
  ])("%s → stamp %s", (_, facts, stamp) => {
    expect(decideNonce(plan, { ...html, ...facts }).stamp).toBe(stamp);
  });

  it("removes both CSP headers on a 304", () => {
    const decision = decideNonce(plan, { ...html, status: 304 });
    expect(decision.ops.filter((op) => op.name.startsWith("Content-Security-Policy")).map((op) => op.kind)).toEqual(["remove", "remove"]);
  });

  it("leaves CSP headers to an origin that runs its own nonces, with a nonce policy or a CSP that is set", () => {
    const originHeaders = new Headers([["Content-Security-Policy-Report-Only", "script-src 'NONCE-abc'"]]);
    for (const p of [plan, planFor({ csp: { action: "set" } })]) {
      const decision = decideNonce(p, { ...html, originHeaders });
      expect(decision.stamp).toBe(false);
      expect(decision.ops.some((op) => op.name.startsWith("Content-Security-Policy"))).toBe(false);
    }
  });

  it("does not read the origin's CSP when the policy's CSP only defaults (the origin's wins anyway)", () => {
    const reads: string[] = [];
    const originHeaders = { get: (name: string) => (reads.push(name), null) };
    expect(decideNonce(planFor({}), { ...html, originHeaders }).stamp).toBe(false);
    expect(reads).toEqual([]);
  });

  it("never stamps under a policy without nonces", () => {
    expect(decideNonce(planFor({}), html)).toMatchObject({ stamp: false, why: "no nonce in this policy" });
  });
});

describe("nonce plans", () => {
  it("put the nonce in script-src, starting from default-src", () => {
    const plan = planFor({ nonce: {} });
    const headers = new Headers();
    applyHeaders(headers, plan.nonce?.ops ?? [], NONCE);
    expect(cspMap(headers.get("content-security-policy")).get("script-src")).toEqual(["'self'", `'nonce-${NONCE}'`]);
    expect(cspMap(headers.get("content-security-policy")).has("style-src")).toBe(false);
  });

  it("stamp script-src-elem and style-src-elem too when the policy has them", () => {
    const plan = planFor({ nonce: { styles: true }, csp: { directives: { "script-src-elem": ["'self'"], "style-src-elem": ["'self'"] } } });
    const headers = new Headers();
    applyHeaders(headers, plan.nonce?.ops ?? [], NONCE);
    const map = cspMap(headers.get("content-security-policy"));
    for (const directive of ["script-src", "script-src-elem", "style-src", "style-src-elem"]) expect(map.get(directive)).toContain(`'nonce-${NONCE}'`);
  });

  it("are absent when no CSP is sent", () => {
    expect(planFor({ nonce: {}, csp: false }).nonce).toBeNull();
  });

  it("refuse to apply without a nonce", () => {
    expect(() => applyHeaders(new Headers(), planFor({ nonce: {} }).nonce?.ops ?? [])).toThrow("without a nonce");
  });

  it("reject a nonce for neither scripts nor styles", () => {
    const { rejected } = compilePolicy([{ from: "KV", document: doc({ nonce: { scripts: false } }) }], { reportOnly: false });
    expect(rejected[0]?.issues.map((i) => i.path)).toEqual(["nonce.scripts"]);
  });
});

describe("the report endpoint in the CSP", () => {
  it("adds report-uri, report-to and Reporting-Endpoints when the collector is on", () => {
    const { policy } = compilePolicy([], { reportOnly: false, reportPath: "/__csp-report" });
    const headers = new Headers([["Reporting-Endpoints", 'other="https://r.example/x"']]);
    applyHeaders(headers, planHeaders(policy, { https: true, path: "/", contentType: null }).ops);
    const map = cspMap(headers.get("content-security-policy"));
    expect(map.get("report-uri")).toEqual(["/__csp-report"]);
    expect(map.get("report-to")).toEqual(["csp-endpoint"]);
    expect(headers.get("reporting-endpoints")).toBe('other="https://r.example/x", csp-endpoint="/__csp-report"');
  });

  it("keeps a policy's own report directives", () => {
    const { policy } = compilePolicy([{ from: "POLICY", document: doc({ csp: { directives: { "report-uri": ["https://r.example/csp"] } } }) }], { reportOnly: false, reportPath: "/__csp-report" });
    const headers = new Headers();
    applyHeaders(headers, planHeaders(policy, { https: true, path: "/", contentType: null }).ops);
    expect(cspMap(headers.get("content-security-policy")).get("report-uri")).toEqual(["https://r.example/csp"]);
  });
});

describe("createNonce", () => {
  it("encodes 16 random bytes as base64", () => {
    const nonce = createNonce((bytes) => bytes.fill(0xab));
    expect(nonce).toBe(btoa(String.fromCharCode(...new Array<number>(16).fill(0xab))));
    expect(nonce).toHaveLength(24);
  });

  it("draws from the platform CSPRNG by default", () => {
    expect(createNonce()).not.toBe(createNonce());
  });
});

describe("adjustForStampedBody", () => {
  it.each([
    [null, "private"],
    ["public, max-age=600", "private, max-age=600"],
    ["max-age=60, s-maxage=3600, proxy-revalidate", "private, max-age=60"],
    ["private, max-age=60", "private, max-age=60"],
    ["no-store", "no-store"],
  ])("turns Cache-Control %j into %j", (before, after) => {
    const headers = new Headers(before === null ? [] : [["Cache-Control", before]]);
    adjustForStampedBody(headers);
    expect(headers.get("cache-control")).toBe(after);
  });

  it("weakens a strong ETag, keeps a weak one, and drops Content-Length", () => {
    const strong = new Headers([["ETag", '"v1"'], ["Content-Length", "10"]]);
    adjustForStampedBody(strong);
    expect(strong.get("etag")).toBe('W/"v1"');
    expect(strong.has("content-length")).toBe(false);
    const weak = new Headers([["ETag", 'W/"v1"']]);
    adjustForStampedBody(weak);
    expect(weak.get("etag")).toBe('W/"v1"');
  });
});

describe("decideNonce and charsets", () => {
  const plan = planHeaders(compile([{ nonce: {} }]), { https: true, path: "/", contentType: "text/html" });
  const facts: ResponseFacts = { method: "GET", status: 200, contentType: "", hasBody: true, originHeaders: new Headers() };

  it.each([
    ["text/html; charset=UTF-16", false],
    ["text/html;charset=\"utf-16le\"", false],
    ["text/html; charset=utf-32", false],
    ["text/html; charset=utf-8", true],
    ["text/html; charset=windows-1252", true],
    ["text/html; charset=shift_jis", true],
  ])("%s → stamp %s", (contentType, stamp) => {
    expect(decideNonce(plan, { ...facts, contentType }).stamp).toBe(stamp);
  });
});
