// The nonce decision per response, the nonce itself, stamped-body headers, and nonce/report CSP rendering.

import { describe, expect, it } from "vitest";
import { applyHeaders } from "../../../src/core/headers/apply-headers.js";
import { compilePolicy } from "../../../src/core/policy/compile-policy.js";
import { matchMarkerScope } from "../../../src/core/nonce/marker-scope.js";
import { createFiller, createNonce, decideNonce, XHTML, type ResponseFacts } from "../../../src/core/nonce/decide-nonce.js";
import { planHeaders } from "../../../src/core/policy/plan-headers.js";
import { createMarker } from "../../../src/core/nonce/nonce-marker.js";
import { adjustForStampedBody, scrubHeaders, scrubHeaderValues } from "../../../src/core/nonce/stamped-response.js";
import { compile, cspMap, doc } from "../support.js";

const NONCE = "bm9uY2Vub25jZW5vbmNlMQ==";
const html: ResponseFacts = {
  method: "GET",
  status: 200,
  contentType: "text/html; charset=utf-8",
  hasBody: true,
  originHeaders: new Headers(),
};

function planFor(document: unknown, https = true) {
  return planHeaders(compile([document]), { https, path: "/", contentType: "text/html" });
}

describe("decideNonce on a path with a marked nonce", () => {
  const policy = compile([{ nonce: {} }]);
  const plan = planHeaders(policy, { https: true, path: "/", contentType: "text/html" });
  const scope = matchMarkerScope(policy, "/");
  const decide = (facts: Partial<ResponseFacts>) => decideNonce(plan, { ...html, ...facts }, scope);

  it.each<[string, Partial<ResponseFacts>]>([
    ["a GET of HTML", {}],
    ["XHTML", { contentType: "application/xhtml+xml" }],
    ["no content type (sniffed)", { contentType: null }],
    ["text/plain then text/html", { contentType: "text/plain, text/html" }],
    ["an ASCII page labelled UTF-16", { contentType: "text/html; charset=utf-16" }],
    ["a POST answered with HTML", { method: "POST" }],
    ["a 404 page", { status: 404 }],
    ["a deflate page", { contentEncoding: "deflate" }],
  ])("stamps %s: our nonce in the CSP and in place of the marker", (_, facts) => {
    const decision = decide(facts);
    expect(decision.stamp).toBe(true);
    expect(decision.body).toMatchObject({ kind: "rewrite", scrub: true, sameLength: false });
  });

  it.each<[string, Partial<ResponseFacts>, boolean]>([
    ["JSON", { contentType: "application/json" }, true],
    ["an image", { contentType: "image/png" }, true],
    ["gzip JSON (workerd decodes, so the length changes)", { contentType: "application/json", contentEncoding: "gzip" }, false],
  ])("scrubs %s with filler no header carries", (_, facts, sameLength) => {
    const decision = decide(facts);
    expect(decision.stamp).toBe(false);
    expect(decision.body).toEqual({ kind: "rewrite", scrub: true, tags: null, coding: expect.anything(), sameLength });
  });

  it.each<[string, Partial<ResponseFacts>]>([
    ["a 206", { status: 206 }],
    ["zstd", { contentEncoding: "zstd" }],
    ["br inside a chain", { contentEncoding: "gzip, br" }],
  ])("refuses %s", (_, facts) => {
    expect(decide(facts).body.kind).toBe("refuse");
  });

  it.each<[string, Partial<ResponseFacts>]>([
    ["HEAD", { method: "HEAD", hasBody: false }],
    ["a 204", { status: 204, hasBody: false }],
    ["a 304", { status: 304, hasBody: false }],
  ])("leaves %s without a body to rewrite", (_, facts) => {
    expect(decide(facts)).toMatchObject({ stamp: false, body: { kind: "untouched" } });
  });

  it("removes both CSP headers on a 304", () => {
    const decision = decide({ status: 304, hasBody: false });
    expect(decision.ops.filter((op) => op.name.startsWith("Content-Security-Policy")).map((op) => op.kind)).toEqual(["remove", "remove"]);
  });

  it("puts filler, not the nonce, where the origin's own CSP stays (the policy only defaults)", () => {
    const originHeaders = new Headers([["Content-Security-Policy", "script-src 'nonce-abc'"]]);
    expect(decide({ originHeaders })).toMatchObject({ stamp: false, body: { kind: "rewrite", scrub: true, sameLength: true } });
  });
});

describe("decideNonce elsewhere (blanket mode, or no nonce)", () => {
  const plan = planFor({ nonce: { mode: "blanket" } });

  it.each<[string, Partial<ResponseFacts>, boolean]>([
    ["a GET of HTML", {}, true],
    ["XHTML (the browser's XML parser, which the stamper does not model)", { contentType: "application/xhtml+xml" }, false],
    ["XHTML with a charset", { contentType: "application/xhtml+xml; charset=utf-8" }, false],
    ["text/plain then text/html", { contentType: "text/plain, text/html" }, true],
    ["JSON", { contentType: "application/json" }, false],
    ["no content type", { contentType: null }, false],
    ["HEAD", { method: "HEAD", hasBody: false }, false],
    ["a 206", { status: 206 }, false],
    ["a 204", { status: 204, hasBody: false }, false],
    ["a 304", { status: 304, hasBody: false }, false],
    ["a POST answered with HTML", { method: "POST" }, true],
    ["a 404 page", { status: 404 }, true],
    ["zstd HTML", { contentEncoding: "zstd" }, false],
  ])("%s → stamp %s", (_, facts, stamp) => {
    expect(decideNonce(plan, { ...html, ...facts }).stamp).toBe(stamp);
  });

  it("passes XHTML through untouched, with the CSP minus the nonce, and says why", () => {
    const decision = decideNonce(plan, { ...html, contentType: "application/xhtml+xml" });
    expect(decision).toEqual({ stamp: false, ops: plan.ops, why: XHTML, body: { kind: "untouched" } });
    const headers = new Headers();
    applyHeaders(headers, decision.ops);
    expect(headers.get("content-security-policy")).not.toMatch(/nonce/i);
  });

  it("leaves the CSP headers and the body to an origin that runs its own nonces when the policy only defaults", () => {
    const originHeaders = new Headers([["Content-Security-Policy", "script-src 'NONCE-abc'"]]);
    const decision = decideNonce(plan, { ...html, originHeaders });
    expect(decision).toMatchObject({ stamp: false, body: { kind: "untouched" } });
    const headers = new Headers(originHeaders);
    applyHeaders(headers, decision.ops);
    expect(headers.get("content-security-policy")).toBe("script-src 'NONCE-abc'");
  });

  it("stamps over an origin's own nonces when the policy sets the CSP: set always wins", () => {
    const originHeaders = new Headers([["Content-Security-Policy-Report-Only", "script-src 'nonce-abc'"]]);
    expect(decideNonce(planFor({ nonce: { mode: "blanket" }, csp: { action: "set" } }), { ...html, originHeaders }).stamp).toBe(true);
  });

  it("does not read the origin's CSP when the policy has no nonce", () => {
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
    for (const directive of ["script-src", "script-src-elem", "style-src", "style-src-elem"])
      expect(map.get(directive)).toContain(`'nonce-${NONCE}'`);
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
    const { policy } = compilePolicy(
      [{ from: "POLICY", document: doc({ csp: { directives: { "report-uri": ["https://r.example/csp"] } } }) }],
      { reportOnly: false, reportPath: "/__csp-report" },
    );
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

  it("agrees with btoa for every value of every byte position", () => {
    for (let position = 0; position < 16; position++) {
      for (let value = 0; value < 256; value++) {
        const bytes = new Uint8Array(16).map((_, i) => (i === position ? value : (i * 37 + value) & 255));
        expect(createNonce((b) => (b.set(bytes), b))).toBe(btoa(String.fromCharCode(...bytes)));
      }
    }
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
    const strong = new Headers([
      ["ETag", '"v1"'],
      ["Content-Length", "10"],
    ]);
    adjustForStampedBody(strong);
    expect(strong.get("etag")).toBe('W/"v1"');
    expect(strong.has("content-length")).toBe(false);
    const weak = new Headers([["ETag", 'W/"v1"']]);
    adjustForStampedBody(weak);
    expect(weak.get("etag")).toBe('W/"v1"');
  });
});

describe("scrubHeaders", () => {
  const marker = createMarker();

  it("rewrites every value that carries the marker and keeps each Set-Cookie line apart", () => {
    const headers = new Headers([
      ["Link", `</a.js>; rel=preload; nonce=${marker}`],
      ["X-Plain", "nothing"],
      ["Set-Cookie", `a=${marker}; Path=/`],
      ["Set-Cookie", "b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT"],
    ]);
    scrubHeaders(headers, marker, "NEW");
    expect(headers.get("link")).toBe("</a.js>; rel=preload; nonce=NEW");
    expect(headers.get("x-plain")).toBe("nothing");
    expect(headers.getSetCookie()).toEqual(["a=NEW; Path=/", "b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT"]);
  });

  it("scrubs every marker in one pass, and reports a header name that carries one (in any case) without rewriting anything", () => {
    const other = createMarker();
    const both = [
      { marker, replacement: "NEW" },
      { marker: other, replacement: "OTHER" },
    ];
    const headers = new Headers([
      ["Link", `${marker} ${other}`],
      ["Set-Cookie", `a=${other}`],
    ]);
    expect(scrubHeaderValues(headers, both)).toBe(true);
    expect(headers.get("link")).toBe("NEW OTHER");
    expect(headers.getSetCookie()).toEqual(["a=OTHER"]);
    const named = new Headers([
      ["Link", marker],
      [`X-${other.toUpperCase()}`, "1"],
    ]);
    expect(scrubHeaderValues(named, both)).toBe(false);
    expect(named.get("link")).toBe(marker);
  });

  it("leaves Set-Cookie lines alone when none carries the marker", () => {
    const headers = new Headers([
      ["Set-Cookie", "a=1"],
      ["Set-Cookie", "b=2"],
    ]);
    scrubHeaders(headers, marker, "NEW");
    expect(headers.getSetCookie()).toEqual(["a=1", "b=2"]);
  });
});

describe("decideNonce and charsets in blanket mode", () => {
  const plan = planHeaders(compile([{ nonce: { mode: "blanket" } }]), { https: true, path: "/", contentType: "text/html" });
  const facts: ResponseFacts = { method: "GET", status: 200, contentType: "", hasBody: true, originHeaders: new Headers() };

  it.each([
    ["text/html; charset=UTF-16", false],
    ['text/html;charset="utf-16le"', false],
    ["text/html; charset=utf-32", false],
    ["text/html; charset=utf-8", true],
    ["text/html; charset=windows-1252", true],
    ["text/html; charset=shift_jis", true],
  ])("%s → stamp %s", (contentType, stamp) => {
    expect(decideNonce(plan, { ...facts, contentType }).stamp).toBe(stamp);
  });

  it("decides the same for a content type seen before, also past the number of types it remembers", () => {
    const types = Array.from({ length: 700 }, (_, i) =>
      i % 3 === 0 ? `text/html; v=${i}` : i % 3 === 1 ? `text/html; charset=utf-16; v=${i}` : `application/json; v=${i}`,
    );
    const first = types.map((contentType) => decideNonce(plan, { ...facts, contentType }).stamp);
    expect(first).toEqual(types.map((_, i) => i % 3 === 0));
    expect(types.map((contentType) => decideNonce(plan, { ...facts, contentType }).stamp)).toEqual(first);
    expect(decideNonce(plan, { ...facts, contentType: "no/such; type" }).stamp).toBe(false);
    expect(decideNonce(plan, { ...facts, contentType: "no/such; type" }).stamp).toBe(false);
  });
});

describe("createFiller", () => {
  it("draws characters of the marker alphabet, of the length asked, evenly", () => {
    expect(createFiller(4, (bytes) => bytes.fill(0))).toBe("AAAA");
    expect(createFiller(3, (bytes) => Object.assign(bytes, [63, 64, 255]))).toBe("-A-");
    expect(createFiller(40)).toMatch(/^[A-Za-z0-9_-]{40}$/);
  });
});
