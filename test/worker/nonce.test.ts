// Nonces: a fresh one per HTML response, in the CSP and on the elements the policy selects, streamed;
// never on non-HTML, HEAD or 304, and never over an origin's own nonce-based CSP.

import { describe, expect, it } from "vitest";
import { createMarker } from "../../src/core/nonce/nonce-marker.js";
import { call, cspMap, ORIGIN_URL, respond, unique } from "./support.js";

/** The site's secret marker, drawn per run: the NONCE_MARKER binding, and what the origin writes. */
const MARKER = createMarker();
const MARKED = JSON.stringify({ nonce: { scripts: true, styles: true } });
const SECRET = { NONCE_MARKER: MARKER };
const PAGE = `https://www.example.com/nonce-page?marker=${MARKER}`;
const BLANKET = JSON.stringify({ nonce: { scripts: true, styles: true, mode: "blanket" } });

function nonceOf(csp: string | null, directive = "script-src"): string {
  const source = cspMap(csp)
    .get(directive)
    ?.find((s) => s.startsWith("'nonce-"));
  if (source === undefined) throw new Error(`no nonce in ${directive} of ${String(csp)}`);
  return source.slice("'nonce-".length, -1);
}

function nonceAttributes(html: string, tag: string): (string | null)[] {
  return [...html.matchAll(new RegExp(`<${tag}\\b[^>]*>`, "g"))].map((m) => /\snonce="([^"]*)"/.exec(m[0])?.[1] ?? null);
}

describe("marked mode (the default)", () => {
  it("stamps the marked elements with the CSP's nonce and leaves the rest alone", async () => {
    const res = await call(PAGE, {}, { POLICY: MARKED, ...SECRET });
    const csp = res.headers.get("content-security-policy");
    const nonce = nonceOf(csp);
    expect(nonceOf(csp, "style-src")).toBe(nonce);
    const html = await res.text();
    expect(nonceAttributes(html, "script")).toEqual([nonce, null, nonce]);
    expect(nonceAttributes(html, "style")).toEqual([nonce, null]);
    expect(html).toContain('onclick="clicked()"');
    expect(html).not.toContain(MARKER);
  });

  it("uses a fresh 128-bit nonce for every response", async () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const res = await call(PAGE, {}, { POLICY: MARKED, ...SECRET });
      nonces.add(nonceOf(res.headers.get("content-security-policy")));
      await res.body?.cancel();
    }
    expect(nonces.size).toBe(5);
    for (const nonce of nonces) expect(atob(nonce)).toHaveLength(16);
  });

  it("honours the policy's own marker", async () => {
    const own = createMarker();
    const policy = JSON.stringify({ nonce: { marker: own } });
    const res = await call(`https://www.example.com/nonce-page?marker=${own}`, {}, { POLICY: policy });
    const nonce = nonceOf(res.headers.get("content-security-policy"));
    expect(nonceAttributes(await res.text(), "script")).toEqual([nonce, null, nonce]);
  });

  it("adds 'strict-dynamic' when asked", async () => {
    const res = await call(PAGE, {}, { POLICY: JSON.stringify({ nonce: { strictDynamic: true } }), ...SECRET });
    expect(cspMap(res.headers.get("content-security-policy")).get("script-src")).toContain("'strict-dynamic'");
    await res.body?.cancel();
  });

  it("shares one nonce between the enforced and the Report-Only policy", async () => {
    const policy = JSON.stringify({ nonce: {}, cspReportOnly: { directives: { "script-src": ["'none'"] } } });
    const res = await call(PAGE, {}, { POLICY: policy, ...SECRET });
    expect(nonceOf(res.headers.get("content-security-policy-report-only"))).toBe(nonceOf(res.headers.get("content-security-policy")));
    await res.body?.cancel();
  });

  it("puts the nonce in the Report-Only header under CSP_REPORT_ONLY", async () => {
    const res = await call(PAGE, {}, { POLICY: MARKED, CSP_REPORT_ONLY: "true", ...SECRET });
    expect(res.headers.has("content-security-policy")).toBe(false);
    const nonce = nonceOf(res.headers.get("content-security-policy-report-only"));
    expect(nonceAttributes(await res.text(), "script")[0]).toBe(nonce);
  });
});

describe("blanket mode", () => {
  it("stamps every script, style, stylesheet and script/style preload, but not icons or fonts", async () => {
    const res = await call("https://www.example.com/nonce-page", {}, { POLICY: BLANKET });
    const nonce = nonceOf(res.headers.get("content-security-policy"));
    const html = await res.text();
    expect(nonceAttributes(html, "script")).toEqual([nonce, nonce, nonce]);
    expect(nonceAttributes(html, "style")).toEqual([nonce, nonce]);
    expect(nonceAttributes(html, "link")).toEqual([nonce, nonce, nonce, null, nonce, null]);
    expect(html).toContain('onclick="clicked()"');
  });
});

describe("responses that get no nonce", () => {
  it("sends a nonce-free CSP with non-HTML and leaves the body alone", async () => {
    const res = await call("https://www.example.com/json", {}, { POLICY: MARKED, ...SECRET });
    expect(res.headers.get("content-security-policy")).not.toContain("nonce");
    expect(await res.json()).toEqual({ ok: true, items: [1, 2, 3] });
  });

  it("sends a nonce-free CSP with HEAD", async () => {
    const res = await call(PAGE, { method: "HEAD" }, { POLICY: MARKED, ...SECRET });
    expect(res.headers.get("content-security-policy")).not.toContain("nonce");
    expect(res.body).toBeNull();
  });

  it("sends no CSP at all with a 304, so the cached page keeps the policy stored with it", async () => {
    const res = await call("https://www.example.com/etag", { headers: { "If-None-Match": '"v1"' } }, { POLICY: MARKED, ...SECRET });
    expect(res.status).toBe(304);
    expect(res.headers.has("content-security-policy")).toBe(false);
    expect(res.headers.has("content-security-policy-report-only")).toBe(false);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("keeps an origin's own nonce-based CSP and body when the policy's CSP only defaults", async () => {
    const own = "script-src 'nonce-originOwn123'";
    const res = await call(`https://www.example.com/nonce-page?csp=${encodeURIComponent(own)}`, {}, { POLICY: BLANKET });
    expect(res.headers.get("content-security-policy")).toBe(own);
    expect(nonceAttributes(await res.text(), "script")).toEqual(["__CSP_NONCE__", null, "__CSP_NONCE__"]);
  });

  it("replaces an origin's own nonce-based CSP when the policy sets the CSP: set always wins", async () => {
    const own = "script-src 'nonce-originOwn123'";
    const policy = JSON.stringify({ nonce: { mode: "blanket" }, csp: { action: "set" } });
    const res = await call(`https://www.example.com/nonce-page?csp=${encodeURIComponent(own)}`, {}, { POLICY: policy });
    const nonce = nonceOf(res.headers.get("content-security-policy"));
    expect(cspMap(res.headers.get("content-security-policy")).get("default-src")).toEqual(["'self'"]);
    expect(nonceAttributes(await res.text(), "script")).toEqual([nonce, nonce, nonce]);
  });
});

describe("an origin's CSP", () => {
  it("does not replace the built-in CSP when it only reports (report-uri alone restricts nothing)", async () => {
    const res = await call(
      respond([
        ["Content-Type", "text/html"],
        ["Content-Security-Policy", "report-uri /csp"],
      ]),
    );
    const map = cspMap(res.headers.get("content-security-policy"));
    expect(map.get("default-src")).toEqual(["'self'"]);
    expect(map.get("object-src")).toEqual(["'none'"]);
    await res.body?.cancel();
  });

  it("keeps the enforced CSP the policy sets when the origin sends a Report-Only CSP with 'nonce-", async () => {
    const policy = JSON.stringify({ csp: { action: "set" }, nonce: {} });
    const url = respond([
      ["Content-Type", "text/html"],
      ["Content-Security-Policy-Report-Only", "script-src 'nonce-abc'"],
    ]);
    const res = await call(url, {}, { POLICY: policy, ...SECRET });
    const map = cspMap(res.headers.get("content-security-policy"));
    expect(map.get("default-src")).toEqual(["'self'"]);
    expect(map.get("script-src")).toContain(`'nonce-${nonceOf(res.headers.get("content-security-policy"))}'`);
    await res.body?.cancel();
  });
});

describe("a stamped body", () => {
  it("is private to the browser, with a weak validator and no stale length", async () => {
    const res = await call(`${PAGE}&cache=public%2C%20max-age%3D600%2C%20s-maxage%3D3600`, {}, { POLICY: MARKED, ...SECRET });
    expect(res.headers.get("cache-control")).toBe("private, max-age=600");
    expect(res.headers.get("etag")).toBe('W/"page-v1"');
    expect(res.headers.has("content-length")).toBe(false);
    await res.body?.cancel();
  });

  it("works on gzip HTML from the origin", async () => {
    const res = await call(`${PAGE}&gzip=1`, {}, { POLICY: MARKED, ...SECRET });
    const nonce = nonceOf(res.headers.get("content-security-policy"));
    expect(nonceAttributes(await res.text(), "script")).toEqual([nonce, null, nonce]);
  });

  it.each(["marked", "blanket"])("streams in %s mode: the first bytes arrive before the origin finishes", async (mode) => {
    const id = unique("hold-html");
    const first = encodeURIComponent(`<!doctype html><script nonce="${MARKER}">a()</script>\n`);
    const res = await call(
      `https://www.example.com/hold?id=${id}&type=text/html&first=${first}`,
      {},
      { POLICY: JSON.stringify({ nonce: { mode } }), ...SECRET },
    );
    const nonce = nonceOf(res.headers.get("content-security-policy"));
    const reader = res.body?.getReader();
    if (reader === undefined) throw new Error("no body");
    let seen = "";
    while (!seen.includes("</script>")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`ended early: ${seen}`);
      seen += new TextDecoder().decode(value);
    }
    expect(seen).toContain(`nonce="${nonce}"`);
    expect((await fetch(`${ORIGIN_URL}/release?id=${id}`)).status).toBe(200);
    await reader.cancel();
  });
});
