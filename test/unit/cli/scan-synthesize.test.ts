// `scan`'s pure part: from what Chromium saw on each page (two loads) to a policy document that the Worker's
// own validator accepts, judged by the CSP the Worker would send for each scanned path.

import { describe, expect, it } from "vitest";
import type { DocumentLoad, ObservedViolation, SiteScan, Visit } from "../../../bin/support/scan/observations.js";
import { synthesizePolicy } from "../../../bin/support/scan/synthesize.js";
import { hashSource } from "../../../bin/support/scan/sources.js";
import { checkDocument } from "../../../bin/support/documents.js";
import { bareEnvironment } from "../../../bin/support/environment.js";
import { applyHeaders } from "../../../src/core/headers/apply-headers.js";
import { createMarker } from "../../../src/core/nonce/nonce-marker.js";
import { planHeaders } from "../../../src/core/policy/plan-headers.js";
import { cspMap } from "../../support/csp-map.js";

const SITE = "https://shop.example";
const CDN = "https://cdn.example.net";
const ADS = "https://ads.example.org";

/** A violation of the scanner's Report-Only policy for a load by URL. */
function load(directive: string, url: string): ObservedViolation {
  return { directive, blocked: url, sample: "", sourceFile: "", line: 0 };
}

/** A violation for inline code, with the element's whole text as the page read it. */
function inline(directive: "script-src-elem" | "style-src-elem", text: string, label = "script"): ObservedViolation {
  return { directive, blocked: "inline", sample: text.slice(0, 40), sourceFile: `${SITE}/`, line: 1, element: { label, text } };
}

function page(
  path: string,
  html: string,
  violations: ObservedViolation[],
  dom: Partial<NonNullable<DocumentLoad["dom"]>> = {},
): DocumentLoad {
  return {
    url: `${SITE}${path}`,
    html,
    violations,
    dom: { handlers: [], javascriptUrls: [], formActions: [], plugins: [], ...dom },
    ownCsp: false,
  };
}

function visit(pages: DocumentLoad[], extra: Partial<Visit> = {}): Visit {
  return { url: pages[0]?.url ?? SITE, pages, workers: [], requests: [], ...extra };
}

/** Two passes: `make(pass)` builds each pass's visits (pass is 0 or 1, for code that changes per load). */
function scanOf(make: (pass: number) => Visit[]): SiteScan {
  return { origin: SITE, passes: [make(0), make(1)], skipped: [] };
}

/** The document must validate as the Worker's own validator sees it; then the CSP it sends for `path`. */
function cspFor(document: unknown, path: string): Map<string, string[]> {
  const check = checkDocument(JSON.stringify(document), bareEnvironment().config);
  if (check.stage !== "rules" || !check.ok) throw new Error(`the generated document does not validate: ${JSON.stringify(check)}`);
  const plan = planHeaders(check.policy, { https: true, path, contentType: "text/html" });
  const headers = new Headers();
  if (plan.nonce === null) applyHeaders(headers, plan.ops);
  else applyHeaders(headers, plan.nonce.ops, "TESTNONCE");
  return cspMap(headers.get("content-security-policy"));
}

describe("a static page", () => {
  const html = `<script src="${CDN}/lib.js"></script><script>start()</script><style>p{}</style>`;
  const scan = scanOf(() => [
    visit([
      page("/", html, [
        load("script-src-elem", `${CDN}/lib.js`),
        inline("script-src-elem", "start()"),
        inline("style-src-elem", "p{}", "style"),
        load("img-src", `${SITE}/favicon.ico`),
      ]),
    ]),
  ]);

  it("allows its hashes and exact origins, from default-src 'none', with no nonce", () => {
    const { document, report } = synthesizePolicy(scan, { nonceMode: "marked" });
    const csp = cspFor(document, "/");
    expect(csp.get("default-src")).toEqual(["'none'"]);
    expect(csp.get("script-src")).toEqual([CDN, hashSource("start()"), "'report-sample'"]);
    expect(csp.get("style-src")).toEqual([hashSource("p{}"), "'report-sample'"]);
    expect(csp.get("img-src")).toEqual(["'self'"]);
    expect(csp.get("object-src")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'none'"]);
    expect(csp.get("form-action")).toEqual(["'none'"]);
    expect(report.paths.map((p) => p.nonce)).toEqual([undefined]);
    expect(report.findings).toEqual([]);
  });
});

describe("scripts that load scripts", () => {
  it("trusts an inline loader by its hash with 'strict-dynamic', and drops host sources browsers would ignore", () => {
    const loader = `var s=document.createElement("script");s.src="${ADS}/tag.js";document.head.append(s)`;
    const scan = scanOf(() => [
      visit([
        page("/", `<script>${loader}</script>`, [
          inline("script-src-elem", loader),
          load("script-src-elem", `${ADS}/tag.js`),
          load("connect-src", `${ADS}/collect`),
        ]),
      ]),
    ]);
    const { document, report } = synthesizePolicy(scan, { nonceMode: "marked" });
    const csp = cspFor(document, "/");
    expect(csp.get("script-src")).toEqual([hashSource(loader), "'strict-dynamic'", "'report-sample'"]);
    expect(csp.get("connect-src")).toEqual([ADS]);
    expect(report.paths[0]?.nonce).toBeUndefined();
  });

  it("asks for a marked nonce when scripts in the markup sit beside inserted ones, naming the elements to mark", () => {
    const html = `<script src="/app.js"></script><script src="${ADS}/loader.js"></script>`;
    const scan = scanOf(() => [
      visit([
        page("/", html, [
          load("script-src-elem", `${SITE}/app.js`),
          load("script-src-elem", `${ADS}/loader.js`),
          load("script-src-elem", `${ADS}/tag.js`),
        ]),
      ]),
    ]);
    const { document, report } = synthesizePolicy(scan, { nonceMode: "marked" });
    expect(document.nonce).toEqual({ mode: "marked", scripts: true, styles: false, strictDynamic: true });
    expect(cspFor(document, "/").get("script-src")).toEqual(["'report-sample'", "'nonce-TESTNONCE'", "'strict-dynamic'"]);
    expect(report.paths[0]?.nonce?.unmarked).toEqual(['<script src="/app.js"> on line 1', `<script src="${ADS}/loader.js"> on line 1`]);
  });

  it("finds the origin's marker, never shows it, and asks to mark nothing more", () => {
    const marker = createMarker();
    const html = `<script nonce="${marker}" src="/app.js"></script><script nonce="${marker}" src="${ADS}/loader.js"></script>`;
    const scan = scanOf(() => [
      visit([
        page("/", html, [
          load("script-src-elem", `${SITE}/app.js`),
          load("script-src-elem", `${ADS}/loader.js`),
          load("script-src-elem", `${ADS}/tag.js`),
        ]),
      ]),
    ]);
    const result = synthesizePolicy(scan, { nonceMode: "marked" });
    expect(result.report.markerFound).toBe(true);
    expect(result.report.paths[0]?.nonce?.unmarked).toEqual([]);
    expect(JSON.stringify([result.document, result.report])).not.toContain(marker);
  });
});

describe("inline code Chromium samples without its leading whitespace", () => {
  it("hashes the whole text, as the browser does, rather than taking it for code it could not read", () => {
    const code = "\n  start();\n";
    const scan = scanOf(() => [
      visit([page("/", `<script>${code}</script>`, [{ ...inline("script-src-elem", code), sample: "start();" }])]),
    ]);
    const { document, report } = synthesizePolicy(scan, { nonceMode: "marked" });
    expect(cspFor(document, "/").get("script-src")).toEqual([hashSource(code), "'report-sample'"]);
    expect(report.findings).toEqual([]);
  });
});

describe("inline code that changes per load", () => {
  it("asks for a nonce (not a hash) for a changing inline script in the markup", () => {
    const scan = scanOf((pass) => {
      const code = `window.csrf = "token-${pass}"`;
      return [visit([page("/form", `<script>${code}</script>`, [inline("script-src-elem", code)])])];
    });
    const { document, report } = synthesizePolicy(scan, { nonceMode: "marked" });
    expect(document.nonce).toEqual({ mode: "marked", scripts: true, styles: false, strictDynamic: false });
    expect(report.paths[0]?.nonce?.reasons).toEqual(["1 inline script in the markup changes from load to load"]);
    expect(report.paths[0]?.nonce?.unmarked).toEqual(["inline <script> on line 1"]);
    const sources = cspFor(document, "/form").get("script-src") ?? [];
    expect(sources.filter((s) => s.startsWith("'sha256-"))).toEqual([]);
  });

  it("reports a changing script that a script inserted: no nonce reaches it", () => {
    const scan = scanOf((pass) => {
      const code = `render(${pass})`;
      return [visit([page("/", "<p>x</p>", [inline("script-src-elem", code)])])];
    });
    const { document, report } = synthesizePolicy(scan, { nonceMode: "marked" });
    expect(report.findings.map((f) => [f.kind, f.paths])).toEqual([["changing-inline", ["/"]]]);
    expect(document.nonce).toBeUndefined();
  });
});

describe("what no source allows safely", () => {
  it("reports an onclick handler with the fix and the 'unsafe-hashes' fallback, and does not allow it", () => {
    const scan = scanOf(() => [
      visit([
        page("/contact", '<button onclick="send()">', [], {
          handlers: [{ element: "<button#send>", attribute: "onclick", code: "send()" }],
        }),
      ]),
    ]);
    const { document, report } = synthesizePolicy(scan, { nonceMode: "marked" });
    expect(report.findings).toEqual([
      expect.objectContaining({
        kind: "handler",
        paths: ["/contact"],
        what: 'onclick on <button#send>: "send()"',
        fallback: expect.objectContaining({
          directive: "script-src-attr",
          sources: ["'unsafe-hashes'", hashSource("send()")],
          applied: false,
        }),
      }),
    ]);
    const csp = cspFor(document, "/contact");
    expect(csp.has("script-src-attr")).toBe(false);
    expect([...csp.values()].flat()).not.toContain("'unsafe-hashes'");
  });

  it("reports eval and javascript: URLs and allows neither", () => {
    const scan = scanOf(() => [
      visit([
        page("/", "", [{ directive: "script-src", blocked: "eval", sample: "1+1", sourceFile: `${SITE}/app.js`, line: 3 }], {
          javascriptUrls: [{ element: "<a>", attribute: "href", url: "javascript:go()" }],
        }),
      ]),
    ]);
    const { document, report } = synthesizePolicy(scan, { nonceMode: "marked" });
    expect(report.findings.map((f) => f.kind)).toEqual(["eval", "javascript-url"]);
    expect(JSON.stringify(document)).not.toContain("unsafe-eval");
  });
});

describe("several pages", () => {
  it("puts what every page needs in the base and each page's extras in a rule for its exact path", () => {
    const scan = scanOf(() => [
      visit([page("/", "", [load("img-src", `${SITE}/logo.png`)])]),
      visit([
        page("/pay", "", [load("img-src", `${SITE}/logo.png`), load("frame-src", "https://pay.example.com")], {
          formActions: ["https://pay.example.com/charge"],
        }),
      ]),
    ]);
    const { document } = synthesizePolicy(scan, { nonceMode: "marked" });
    expect(document.rules?.map((r) => r.path)).toEqual(["/pay"]);
    expect(cspFor(document, "/").get("frame-src")).toBeUndefined();
    expect(cspFor(document, "/pay").get("frame-src")).toEqual(["https://pay.example.com"]);
    expect(cspFor(document, "/pay").get("form-action")).toEqual(["https://pay.example.com"]);
    expect(cspFor(document, "/about").get("img-src")).toEqual(["'self'"]);
  });

  it("gives a worker script a rule for what it fetched", () => {
    const worker: DocumentLoad = {
      url: `${SITE}/worker.js`,
      html: "",
      violations: [load("connect-src", "https://api.example.com/v1")],
      ownCsp: false,
    };
    const scan = scanOf(() => [visit([page("/app", "", [load("worker-src", `${SITE}/worker.js`)])], { workers: [worker] })]);
    const { document } = synthesizePolicy(scan, { nonceMode: "marked" });
    expect(cspFor(document, "/worker.js").get("connect-src")).toEqual(["https://api.example.com"]);
    expect(cspFor(document, "/app").get("worker-src")).toEqual(["'self'"]);
    expect(cspFor(document, "/app").get("connect-src")).toBeUndefined();
  });

  it("allows a beacon only the network saw, and ignores requests a violation explains", () => {
    const scan = scanOf(() => [
      visit([page("/", "", [load("frame-src", "https://embed.example.com")])], {
        requests: [
          { url: "https://embed.example.com/player?id=1", type: "document" },
          { url: `${ADS}/beacon`, type: "ping" },
        ],
      }),
    ]);
    const csp = cspFor(synthesizePolicy(scan, { nonceMode: "marked" }).document, "/");
    expect(csp.get("connect-src")).toEqual([ADS]);
    expect(csp.get("frame-src")).toEqual(["https://embed.example.com"]);
  });

  it("matches a page's rule on every spelling of its path, by its canonical form", () => {
    const scan = scanOf(() => [visit([page("/Caf%C3%A9", "", [load("img-src", CDN)])]), visit([page("/", "", [])])]);
    const { document } = synthesizePolicy(scan, { nonceMode: "marked" });
    expect(document.rules?.map((r) => r.path)).toEqual(["/café"]);
    expect(cspFor(document, "/CAF%C3%89").get("img-src")).toEqual([CDN]);
  });
});

describe("a page no rule can name", () => {
  it("gets what it needs from the base: 'unsafe-inline' for changing style attributes, without a hash that would switch it off", () => {
    const attr = (style: string): ObservedViolation => ({
      directive: "style-src-attr",
      blocked: "inline",
      sample: style,
      sourceFile: "",
      line: 0,
      element: { label: "<p>", style },
    });
    const scan = scanOf((pass) => [
      visit([page("/", "", [attr("color: red")])]),
      visit([page("/files/a*b", "", [attr(`width: ${pass}px`)])]),
    ]);
    const { document, report } = synthesizePolicy(scan, { nonceMode: "marked" });
    expect(cspFor(document, "/files/a*b").get("style-src-attr")).toEqual(["'unsafe-hashes'", "'unsafe-inline'"]);
    // The named page adds its own hash, which pins it: there only its style attribute applies.
    expect(cspFor(document, "/").get("style-src-attr")).toEqual(["'unsafe-hashes'", "'unsafe-inline'", hashSource("color: red")]);
    expect(report.notes.join("\n")).toContain("/files/a*b: its path holds * or a segment starting with :");
  });
});

describe("blanket mode", () => {
  it("says what blanket nonces give up", () => {
    const scan = scanOf((pass) => [visit([page("/", `<script>t=${pass}</script>`, [inline("script-src-elem", `t=${pass}`)])])]);
    const { document, report } = synthesizePolicy(scan, { nonceMode: "blanket" });
    expect(document.nonce?.mode).toBe("blanket");
    expect(report.notes.join("\n")).toContain("no longer stop HTML injection");
  });
});
