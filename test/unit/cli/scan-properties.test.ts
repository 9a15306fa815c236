// Properties of `scan`'s policy for any site: it validates, it never allows scripts by wildcard, scheme or
// 'unsafe-inline', never eval or handlers, and every load the scan saw is allowed by the CSP the Worker sends
// for that page's path (judged by a small CSP matcher written here, independent of the code under test).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DocumentLoad, ObservedViolation, SiteScan, Visit } from "../../../bin/support/scan/observations.js";
import { hashSource } from "../../../bin/support/scan/sources.js";
import { synthesizePolicy } from "../../../bin/support/scan/synthesize.js";
import { checkDocument } from "../../../bin/support/documents.js";
import { bareEnvironment } from "../../../bin/support/environment.js";
import { applyHeaders } from "../../../src/core/headers/apply-headers.js";
import { canonicalPath } from "../../../src/core/policy/canonical-path.js";
import { planHeaders } from "../../../src/core/policy/plan-headers.js";
import { cspMap } from "../../support/csp-map.js";
import { fuzzParameters } from "../../fuzz-config.js";

const SITE = "https://shop.example";
const ORIGINS = [SITE, "https://cdn.example.net", "https://ads.example.org", "http://127.0.0.1:8081"];
const PATHS = ["/", "/a", "/A", "/b/c", "/Caf%C3%A9", "/x*y", "/:id", "/search"];
const DIRECTIVES = ["img-src", "font-src", "connect-src", "frame-src", "media-src", "worker-src", "style-src-elem"];

/** One thing a page does on load. `changing` code differs between the two passes. */
type Event =
  | { kind: "load"; directive: string; origin: string }
  | { kind: "parser-script" | "inserted-script"; origin: string }
  | { kind: "parser-inline" | "inserted-inline" | "parser-style" | "style-attribute"; code: string; changing: boolean }
  | { kind: "handler" | "eval"; code: string };

const code = fc.stringMatching(/^[a-z(); =]{1,12}$/);
const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ kind: fc.constant("load" as const), directive: fc.constantFrom(...DIRECTIVES), origin: fc.constantFrom(...ORIGINS) }),
  fc.record({ kind: fc.constantFrom("parser-script" as const, "inserted-script" as const), origin: fc.constantFrom(...ORIGINS) }),
  fc.record({
    kind: fc.constantFrom("parser-inline" as const, "inserted-inline" as const, "parser-style" as const, "style-attribute" as const),
    code,
    changing: fc.boolean(),
  }),
  fc.record({ kind: fc.constantFrom("handler" as const, "eval" as const), code }),
);
const site = fc.array(fc.record({ path: fc.constantFrom(...PATHS), events: fc.array(event, { maxLength: 6 }) }), {
  minLength: 1,
  maxLength: 4,
});

/** The inline code an event runs on this pass ("" for loads by URL). */
function textOf(e: Event, pass: number, i: number): string {
  if (!("code" in e)) return "";
  return "changing" in e && e.changing ? `${e.code}/*${i} on load ${pass}*/` : `${e.code}/*${i}*/`;
}

/** What Chromium would report for a page doing these things, and the HTML it was served. */
function loadOf(path: string, events: readonly Event[], pass: number): DocumentLoad {
  const violations: ObservedViolation[] = [];
  const handlers: { element: string; attribute: string; code: string }[] = [];
  let html = "";
  events.forEach((e, i) => {
    const v = (directive: string, blocked: string, text = ""): ObservedViolation => ({
      directive,
      blocked,
      sample: text.slice(0, 40),
      sourceFile: "",
      line: 0,
      element: text === "" ? undefined : { label: `el${i}`, text },
    });
    if (e.kind === "load") violations.push(v(e.directive, `${e.origin}/r${i}`));
    else if (e.kind === "parser-script" || e.kind === "inserted-script") {
      if (e.kind === "parser-script") html += `<script src="${e.origin}/s${i}.js"></script>`;
      violations.push(v("script-src-elem", `${e.origin}/s${i}.js`));
    } else if (e.kind === "handler") handlers.push({ element: `<button#b${i}>`, attribute: "onclick", code: e.code });
    else if (e.kind === "eval") violations.push({ directive: "script-src", blocked: "eval", sample: e.code, sourceFile: "", line: 0 });
    else if (e.kind === "style-attribute") {
      const text = textOf(e, pass, i);
      violations.push({
        directive: "style-src-attr",
        blocked: "inline",
        sample: text.slice(0, 40),
        sourceFile: "",
        line: 0,
        element: { label: `el${i}`, style: text },
      });
    } else {
      const text = textOf(e, pass, i);
      const tag = e.kind === "parser-style" ? "style" : "script";
      if (e.kind !== "inserted-inline") html += `<${tag}>${text}</${tag}>`;
      violations.push(v(tag === "style" ? "style-src-elem" : "script-src-elem", "inline", text));
    }
  });
  return { url: `${SITE}${path}`, html, violations, dom: { handlers, javascriptUrls: [], formActions: [], plugins: [] }, ownCsp: false };
}

/** The sources that apply to `directive`, following CSP's fallback chain. */
function listFor(csp: Map<string, string[]>, directive: string): string[] {
  const chain: Record<string, string[]> = {
    "frame-src": ["frame-src", "child-src", "default-src"],
    "worker-src": ["worker-src", "child-src", "script-src", "default-src"],
    "script-src-attr": ["script-src-attr", "script-src", "default-src"],
    "style-src-elem": ["style-src-elem", "style-src", "default-src"],
    "style-src-attr": ["style-src-attr", "style-src", "default-src"],
  };
  for (const name of chain[directive] ?? [directive, "default-src"]) {
    const list = csp.get(name);
    if (list !== undefined) return list;
  }
  return [];
}

function hostAllowed(list: readonly string[], origin: string): boolean {
  return list.includes(origin) || (origin === SITE && list.includes("'self'"));
}

/** Whether a CSP allows what the page did, the way CSP Level 3 decides (marked elements carry the nonce). */
function allowed(csp: Map<string, string[]>, e: Event, text: string): boolean {
  const scripts = listFor(csp, "script-src");
  const dynamic = scripts.includes("'strict-dynamic'");
  const nonce = scripts.includes("'nonce-TESTNONCE'");
  switch (e.kind) {
    case "load":
      return hostAllowed(listFor(csp, e.directive), e.origin);
    case "parser-script":
      return dynamic ? nonce : hostAllowed(scripts, e.origin);
    case "inserted-script":
      return dynamic || hostAllowed(scripts, e.origin);
    case "parser-inline":
      return nonce || scripts.includes(hashSource(text));
    case "inserted-inline":
      return scripts.includes(hashSource(text));
    case "parser-style": {
      const styles = listFor(csp, "style-src-elem");
      const pinned = styles.some((s) => s.startsWith("'sha") || s.startsWith("'nonce-"));
      return styles.includes("'nonce-TESTNONCE'") || styles.includes(hashSource(text)) || (!pinned && styles.includes("'unsafe-inline'"));
    }
    case "style-attribute": {
      const attrs = listFor(csp, "style-src-attr");
      const pinned = attrs.some((s) => s.startsWith("'sha") || s.startsWith("'nonce-"));
      return (attrs.includes("'unsafe-hashes'") && attrs.includes(hashSource(text))) || (!pinned && attrs.includes("'unsafe-inline'"));
    }
    case "handler": {
      const attrs = listFor(csp, "script-src-attr");
      return attrs.includes("'unsafe-inline'") || (attrs.includes("'unsafe-hashes'") && attrs.includes(hashSource(e.code)));
    }
    case "eval":
      return scripts.includes("'unsafe-eval'");
  }
}

function cspFor(document: unknown, path: string): Map<string, string[]> {
  const check = checkDocument(JSON.stringify(document), bareEnvironment().config);
  if (check.stage !== "rules" || !check.ok) throw new Error(`invalid: ${JSON.stringify(check)}`);
  const plan = planHeaders(check.policy, { https: true, path, contentType: "text/html" });
  const headers = new Headers();
  if (plan.nonce === null) applyHeaders(headers, plan.ops);
  else applyHeaders(headers, plan.nonce.ops, "TESTNONCE");
  return cspMap(headers.get("content-security-policy"));
}

/** Events a strict policy must block, whatever else the page does. */
function mustBlock(e: Event, changingOnPath: boolean): boolean {
  return e.kind === "handler" || e.kind === "eval" || (e.kind === "inserted-inline" && (e.changing || changingOnPath));
}

describe("scan's policy, for any site", () => {
  // 60 s: every run compiles and plans a policy; on a loaded machine the default 5 s is not enough.
  it("validates, allows every load the scan saw on its path, and blocks handlers, eval and what no nonce reaches", () => {
    fc.assert(
      fc.property(site, (pages) => {
        const scan: SiteScan = {
          origin: SITE,
          passes: [0, 1].map((pass) =>
            pages.map((p): Visit => ({ url: `${SITE}${p.path}`, pages: [loadOf(p.path, p.events, pass)], workers: [], requests: [] })),
          ),
          skipped: [],
        };
        const { document } = synthesizePolicy(scan, { nonceMode: "marked" });
        const text = JSON.stringify(document);
        expect(text).not.toMatch(/"\*"|"https?:"|'unsafe-eval'/);
        const scriptLists = [
          document.csp.directives?.["script-src"],
          ...(document.rules ?? []).flatMap((r) => [
            r.csp?.add?.["script-src"],
            r.csp?.directives?.["script-src"],
            r.csp?.add?.["script-src-attr"],
          ]),
        ];
        expect(scriptLists.flat().filter((s) => s === "'unsafe-inline'" || s === "'unsafe-hashes'")).toEqual([]);
        for (const p of pages) {
          for (const pass of [0, 1]) {
            const csp = cspFor(document, p.path);
            // Inline code inserted by a script on a path whose other pages change it is judged per path: skip the rare mix.
            const samePath = pages.filter((q) => canonical(q.path) === canonical(p.path));
            const changingOnPath = samePath.length > 1;
            p.events.forEach((e, i) => {
              const t = textOf(e, pass, i);
              if (mustBlock(e, changingOnPath)) expect(allowed(csp, e, t), `${p.path} ${JSON.stringify(e)}`).toBe(false);
              else if (!(e.kind === "inserted-inline" && changingOnPath))
                expect(allowed(csp, e, t), `${p.path} ${JSON.stringify(e)} in ${text}`).toBe(true);
            });
          }
        }
      }),
      fuzzParameters(150),
    );
  }, 60_000);
});

function canonical(path: string): string {
  const c = canonicalPath(path, true);
  return c.ok ? c.path : path;
}
