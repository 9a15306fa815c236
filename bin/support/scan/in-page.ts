// The code the scanner runs inside the pages it visits, as JavaScript source text: handed to Chromium as
// written, never through the TypeScript loader (which may add helpers the page does not have).

/** The Report-Only policy the scanner puts on every document and worker of the site: it allows nothing, so Chromium reports everything. */
export const SCAN_POLICY = "default-src 'none'; script-src 'report-sample'; style-src 'report-sample'; form-action 'none'; base-uri 'none'";

/** The page calls this binding with each violation of SCAN_POLICY. */
export const VIOLATION_BINDING = "__shwScanViolation";

/** Workers post their violations to this path of the site; the scanner answers it itself, the server never sees it. */
export const WORKER_REPORT_PATH = "/__shw-scan__/violation";

/** The query parameter that marks a worker script's request, so the scanner can put its probe in the script. */
export const WORKER_PARAM = "__shw_scan_worker";

/** `<button#buy>`, `<p.note>`, `<script>`: an element, for people. */
const LABEL = `(el) => "<" + el.localName + (el.id ? "#" + el.id : el.classList.length > 0 ? "." + el.classList[0] : "") + ">"`;

/**
 * Init script for every frame: report each violation of the scanner's policy with the element behind it (a
 * script's whole text, a style attribute, the handlers), and tag same-origin worker scripts, whose CSP and
 * violations live inside the worker, so the scanner can add its probe to them.
 */
export const PROBE_SCRIPT = `(() => {
  const label = ${LABEL};
  const send = window[${JSON.stringify(VIOLATION_BINDING)}];
  window.addEventListener("securitypolicyviolation", (e) => {
    if (e.originalPolicy !== ${JSON.stringify(SCAN_POLICY)} || typeof send !== "function") return;
    const t = e.target;
    let element;
    if (t instanceof Element) {
      element = { label: label(t) };
      if (t.localName === "script" || t.localName === "style") element.text = t.textContent || "";
      if (e.effectiveDirective === "style-src-attr") element.style = t.getAttribute("style") || "";
      if (e.effectiveDirective === "script-src-attr") element.handlers = [...t.attributes].filter((a) => a.name.startsWith("on")).map((a) => [a.name, a.value]);
    }
    send({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample, sourceFile: e.sourceFile, line: e.lineNumber, element });
  }, true);
  const tag = (url) => {
    try {
      const resolved = new URL(String(url), document.baseURI);
      if (resolved.origin !== location.origin) return url;
      resolved.searchParams.append(${JSON.stringify(WORKER_PARAM)}, "1");
      return resolved.href;
    } catch {
      return url;
    }
  };
  for (const name of ["Worker", "SharedWorker"]) {
    const Native = window[name];
    if (typeof Native !== "function") continue;
    const Tagged = class extends Native {
      constructor(url, options) {
        super(tag(url), options);
      }
    };
    Object.defineProperty(Tagged, "name", { value: name });
    Object.defineProperty(window, name, { value: Tagged, writable: true, configurable: true });
  }
})();`;

/** The probe appended to a worker script (appended, so a "use strict" prologue stays first): posts each violation to the scanner. */
export const WORKER_PROBE = `
;(() => {
  if (self.__shwScanProbe) return;
  self.__shwScanProbe = true;
  const report = new URL(${JSON.stringify(WORKER_REPORT_PATH)}, self.location.href).href;
  self.addEventListener("securitypolicyviolation", (e) => {
    if (e.originalPolicy !== ${JSON.stringify(SCAN_POLICY)} || e.blockedURI.startsWith(report)) return;
    const body = JSON.stringify({ worker: self.location.href, directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample, sourceFile: e.sourceFile, line: e.lineNumber });
    fetch(report, { method: "POST", body }).catch(() => {});
  });
})();
`;

/** What the DOM holds once the page has loaded: handlers, javascript: URLs, form targets, plugins, and the links to follow. */
export const COLLECT_DOM = `(() => {
  const label = ${LABEL};
  const out = { handlers: [], javascriptUrls: [], formActions: [], plugins: [], links: [] };
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      // Only attributes the element has a handler for: onboard= on a custom element is data.
      if (a.name.startsWith("on") && a.name in el) out.handlers.push({ element: label(el), attribute: a.name, code: a.value });
      if (["href", "src", "action", "formaction", "data"].includes(a.name) && /^javascript:/i.test(a.value.replace(/[\\t\\n\\r]/g, "").trimStart())) {
        out.javascriptUrls.push({ element: label(el), attribute: a.name, url: a.value });
      }
    }
    if (el instanceof HTMLFormElement) out.formActions.push(el.action);
    if ((el instanceof HTMLButtonElement || el instanceof HTMLInputElement) && el.hasAttribute("formaction")) out.formActions.push(el.formAction);
    if (el.localName === "object" || el.localName === "embed") out.plugins.push(label(el));
    if ((el instanceof HTMLAnchorElement || el instanceof HTMLAreaElement) && el.href !== "") out.links.push(el.href);
  }
  return out;
})()`;

/** What COLLECT_DOM returns. */
export interface CollectedDom {
  readonly handlers: { element: string; attribute: string; code: string }[];
  readonly javascriptUrls: { element: string; attribute: string; url: string }[];
  readonly formActions: string[];
  readonly plugins: string[];
  readonly links: string[];
}
