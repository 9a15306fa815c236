// One load of one document, read: which sources each directive needs, which scripts the parser inserted and
// which a script did, the inline code with its hashes, and what no source can allow (handlers, eval, …).

import {
  changingInlineFinding,
  evalFinding,
  handlerFinding,
  javascriptUrlFinding,
  pluginFinding,
  schemeScriptFinding,
  type Finding,
} from "./findings.js";
import { readMarkup, type Markup } from "./markup.js";
import type { DocumentLoad, ObservedRequest, ObservedViolation } from "./observations.js";
import { hashSource, policyDirective, sourceFor } from "./sources.js";

/** Inline code that ran: a script or style element's text, or a style attribute. */
export interface InlineCode {
  readonly hash: string;
  /** The text, or only its first 40 characters when the scan could not read more (`complete` false). */
  readonly code: string;
  readonly complete: boolean;
  readonly label: string;
  /** The HTML parser inserted it (it is in the markup); false: a script did. */
  readonly parser: boolean;
  /** The nonce attribute the markup gave it (parser-inserted code only). */
  readonly nonce?: string | undefined;
}

/** What one load needed. */
export interface LoadFacts {
  /** Directive → sources, for loads by URL (script-src holds the origins of every script, parser-inserted or not). */
  readonly sources: Map<string, Set<string>>;
  /** Parser-inserted external scripts, from the markup. */
  readonly parserScripts: Markup["scripts"];
  /** Script URLs a script inserted (not in the markup): only 'strict-dynamic' trusts them without listing hosts. */
  readonly insertedScripts: Set<string>;
  readonly scripts: InlineCode[];
  readonly styles: InlineCode[];
  readonly styleAttributes: InlineCode[];
  /** Nonce attributes the markup's scripts and styles carry, as written (a marker is one value on every load). */
  readonly nonces: { readonly value: string; readonly label: string }[];
  readonly findings: Finding[];
  /** WebAssembly compiled: 'wasm-unsafe-eval' allows that without allowing eval. */
  wasm: boolean;
  /** Loads that could not be allowed, and why (an extension's URL, a source CSP cannot spell). */
  readonly notes: string[];
  readonly ownCsp: boolean;
}

/** The longest sample browsers send: shorter means the sample is the whole code. */
export const SAMPLE_CHARS = 40;

const REQUEST_DIRECTIVES: ReadonlyMap<string, string> = new Map([
  ["script", "script-src"],
  ["stylesheet", "style-src"],
  ["image", "img-src"],
  ["font", "font-src"],
  ["media", "media-src"],
  ["texttrack", "media-src"],
  ["fetch", "connect-src"],
  ["xhr", "connect-src"],
  ["eventsource", "connect-src"],
  ["websocket", "connect-src"],
  ["ping", "connect-src"],
  ["manifest", "manifest-src"],
  ["document", "frame-src"],
]);

/**
 * Read one load of a document on `site` (an origin). `requests` are the visit's requests no violation
 * accounts for (given with the visit's main page only). A worker's load has no markup: its scripts count as
 * neither parser- nor script-inserted.
 */
export function readLoad(load: DocumentLoad, site: string, requests: readonly ObservedRequest[] = []): LoadFacts {
  const markup = readMarkup(load.html, load.url);
  const facts: LoadFacts = {
    sources: new Map(),
    parserScripts: markup.scripts.filter((s) => s.src !== undefined),
    insertedScripts: new Set(),
    scripts: [],
    styles: [],
    styleAttributes: [],
    nonces: [...markup.scripts, ...markup.styles].flatMap((e) =>
      e.nonce === undefined || e.nonce === "" ? [] : [{ value: e.nonce, label: e.label }],
    ),
    findings: [],
    wasm: false,
    notes: [],
    ownCsp: load.ownCsp,
  };
  const isWorker = load.dom === undefined;
  for (const violation of load.violations) readViolation(facts, violation, markup, site, isWorker);
  if (load.dom !== undefined) {
    for (const h of load.dom.handlers) facts.findings.push(handlerFinding(h.element, h.attribute, h.code));
    for (const j of load.dom.javascriptUrls) facts.findings.push(javascriptUrlFinding(j.element, j.attribute, j.url));
    for (const action of load.dom.formActions) allow(facts, "form-action", action, site);
    for (const plugin of load.dom.plugins) facts.findings.push(pluginFinding(plugin));
  }
  if (markup.baseHref !== undefined) allow(facts, "base-uri", markup.baseHref, site);
  for (const request of requests) {
    const directive = REQUEST_DIRECTIVES.get(request.type);
    if (directive !== undefined) allow(facts, directive, request.url, site);
  }
  return facts;
}

/** Add the source for `blocked` to `directive`, or a note saying why it cannot be allowed. */
function allow(facts: LoadFacts, directive: string, blocked: string, site: string): void {
  if (blocked.toLowerCase().startsWith("javascript:")) return; // a javascript: form action: a finding of its own
  const result = sourceFor(blocked, directive, site);
  if (!result.ok) {
    facts.notes.push(`${directive} ${blocked}: not allowed, ${result.reason}`);
    return;
  }
  let set = facts.sources.get(directive);
  if (set === undefined) facts.sources.set(directive, (set = new Set()));
  set.add(result.source);
}

function readViolation(facts: LoadFacts, v: ObservedViolation, markup: Markup, site: string, isWorker: boolean): void {
  const blocked = v.blocked.toLowerCase();
  const where = v.sourceFile === "" ? "" : `${v.sourceFile}${v.line > 0 ? `:${v.line}` : ""}`;
  const directive = policyDirective(v.directive);
  if (blocked === "inline") readInline(facts, v, markup);
  else if (blocked === "eval") facts.findings.push(evalFinding(where, v.sample));
  else if (blocked === "wasm-eval") facts.wasm = true;
  else if (v.directive === "object-src") facts.findings.push(pluginFinding(`a plugin loading ${v.blocked}`));
  else if (directive === undefined) facts.notes.push(`${v.directive} ${v.blocked}: a directive the scan does not allow sources in`);
  else if (directive === "script-src" && /^(?:data|blob)(?::|$)/.test(blocked))
    facts.findings.push(schemeScriptFinding(`${blocked.replace(/:.*$/, "")}:`, where));
  else {
    if (directive === "script-src" && !isWorker && !markup.scripts.some((s) => s.src === v.blocked)) facts.insertedScripts.add(v.blocked);
    allow(facts, directive, v.blocked, site);
  }
}

function readInline(facts: LoadFacts, v: ObservedViolation, markup: Markup): void {
  const element = v.element;
  switch (v.directive) {
    case "script-src":
    case "script-src-elem": {
      // A javascript: URL reports inline script with the URL as sample and no element to show.
      if (element === undefined && v.sample.toLowerCase().startsWith("javascript:")) {
        facts.findings.push(javascriptUrlFinding("a link or frame", "href", v.sample));
        return;
      }
      facts.scripts.push(inlineCode(element?.text, v.sample, element?.label ?? "inline script", markup.scripts));
      return;
    }
    case "script-src-attr": {
      const handler = element?.handlers?.find(([, code]) => code.startsWith(v.sample)) ?? ["on…", v.sample];
      facts.findings.push(handlerFinding(element?.label ?? "an element", handler[0], handler[1]));
      return;
    }
    case "style-src":
    case "style-src-elem":
      facts.styles.push(inlineCode(element?.text, v.sample, element?.label ?? "inline style", markup.styles));
      return;
    case "style-src-attr":
      facts.styleAttributes.push(inlineCode(element?.style, v.sample, element?.label ?? "an element", []));
      return;
    default:
      facts.notes.push(`inline code under ${v.directive}: not allowed by the scan`);
  }
}

/** Inline code from the element's text when the page could read it, else from the sample (whole only when short). */
function inlineCode(
  text: string | undefined,
  sample: string,
  label: string,
  markup: readonly { readonly text?: string | undefined; readonly nonce?: string | undefined; readonly label: string }[],
): InlineCode {
  // Chromium's sample skips leading whitespace: compare without it.
  const whole =
    text !== undefined && text.trimStart().startsWith(sample.trimStart()) ? text : sample.length < SAMPLE_CHARS ? sample : undefined;
  const code = whole ?? sample;
  const inMarkup = whole === undefined ? undefined : markup.find((m) => m.text === whole);
  return {
    hash: hashSource(code),
    code,
    complete: whole !== undefined,
    label: inMarkup?.label ?? label,
    parser: inMarkup !== undefined,
    nonce: inMarkup?.nonce,
  };
}

/** An inline finding for code that changed between loads and that a nonce cannot reach. */
export function changingInline(kind: "script" | "style", code: InlineCode): Finding {
  return changingInlineFinding(kind, code.label, code.code);
}
