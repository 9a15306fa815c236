// What a scan found but did not allow, because no source, hash or nonce can allow it safely: each with the
// pages it is on, the fix in the page, and the weaker fallback a policy could use until then.

import { hashSource } from "./sources.js";

export type FindingKind = "handler" | "javascript-url" | "eval" | "script-scheme" | "plugin" | "changing-inline" | "unhashable-style";

/** One thing the generated policy blocks on purpose. */
export interface Finding {
  readonly kind: FindingKind;
  /** `onclick on <button#buy>: buy()`: what, where in the page. */
  readonly what: string;
  /** What to change in the page so the strict policy allows it. */
  readonly fix: string;
  /** What a policy could add instead, with what that costs; undefined when nothing short of 'unsafe-inline' would do. */
  readonly fallback?: Fallback | undefined;
}

/** A weaker allowance that makes a finding work: the policy applies it only for styles, never for scripts. */
export interface Fallback {
  readonly directive: string;
  readonly sources: readonly string[];
  /** What it gives up. */
  readonly cost: string;
  /** The generated policy already uses it on the finding's paths (styles only). */
  readonly applied: boolean;
}

/** A finding with the paths it was seen on. */
export interface PageFinding extends Finding {
  readonly paths: readonly string[];
}

const CODE_CHARS = 60;

/** Code quoted in a finding: one line, cut short. */
export function quoteCode(code: string): string {
  const line = code.replace(/\s+/g, " ").trim();
  return JSON.stringify(line.length > CODE_CHARS ? `${line.slice(0, CODE_CHARS - 1)}…` : line);
}

/** An inline event handler: blocked under any nonce or hash policy. */
export function handlerFinding(element: string, attribute: string, code: string): Finding {
  return {
    kind: "handler",
    what: `${attribute} on ${element}: ${quoteCode(code)}`,
    fix: `move it into a script: element.addEventListener("${attribute.replace(/^on/, "")}", …)`,
    fallback: {
      directive: "script-src-attr",
      sources: ["'unsafe-hashes'", hashSource(code)],
      cost: "allows this exact handler text on any element of the page, an injected one too",
      applied: false,
    },
  };
}

/** A javascript: URL: runs as inline script when followed. */
export function javascriptUrlFinding(element: string, attribute: string, url: string): Finding {
  return {
    kind: "javascript-url",
    what: `${attribute} on ${element}: ${quoteCode(url)}`,
    fix: "make it a button whose click listener, in a script, does the work",
  };
}

/** eval(), new Function() or a string passed to setTimeout. */
export function evalFinding(where: string, sample: string): Finding {
  return {
    kind: "eval",
    what: `eval of ${quoteCode(sample)}${where === "" ? "" : ` from ${where}`}`,
    fix: "replace eval, new Function and string timers with code (JSON.parse for data)",
    fallback: {
      directive: "script-src",
      sources: ["'unsafe-eval'"],
      cost: "lets any script that reaches eval run strings as code, on every page the rule covers",
      applied: false,
    },
  };
}

/** A script from data: or blob:: anything that can write the URL can run code. */
export function schemeScriptFinding(scheme: string, where: string): Finding {
  return {
    kind: "script-scheme",
    what: `a script from ${scheme}${where === "" ? "" : ` (${where})`}`,
    fix: "serve the script from a file on the site",
  };
}

/** An <object> or <embed>: object-src stays 'none'. */
export function pluginFinding(element: string): Finding {
  return {
    kind: "plugin",
    what: element,
    fix: "replace the plugin content (object-src stays 'none': plugins can run script outside the policy)",
  };
}

/** Inline code that differs between loads and that no nonce can reach: a script inserted it. */
export function changingInlineFinding(kind: "script" | "style", label: string, sample: string): Finding {
  const what = `an inline ${kind} a script inserts, different on every load (${label}): ${quoteCode(sample)}`;
  if (kind === "script")
    return { kind: "changing-inline", what, fix: "load that code from a file, or have the inserting script set the element's nonce" };
  return {
    kind: "changing-inline",
    what,
    fix: "have the inserting library set the page's nonce on its <style> elements",
    fallback: {
      directive: "style-src",
      sources: ["'unsafe-inline'"],
      cost: "any injected <style> applies on the page (no hashes or nonces for styles there)",
      applied: true,
    },
  };
}

/** Style attributes whose whole text the scan could not read (a script set them): hashes cannot be computed. */
export function unhashableStyleFinding(sample: string): Finding {
  return {
    kind: "unhashable-style",
    what: `a style attribute a script wrote: ${quoteCode(sample)}`,
    fix: "set styles through element.style (CSSOM is not subject to CSP) or a class",
    fallback: {
      directive: "style-src-attr",
      sources: ["'unsafe-inline'"],
      cost: "any injected style attribute applies on the page",
      applied: true,
    },
  };
}

/** Findings by what they are, each with every path it was seen on, in first-seen order. */
export function mergeFindings(found: readonly { readonly path: string; readonly finding: Finding }[]): PageFinding[] {
  const byKey = new Map<string, { finding: Finding; paths: string[] }>();
  for (const { path, finding } of found) {
    const key = `${finding.kind}\u0000${finding.what}`;
    const entry = byKey.get(key) ?? { finding, paths: [] };
    if (!entry.paths.includes(path)) entry.paths.push(path);
    byKey.set(key, entry);
  }
  return [...byKey.values()].map(({ finding, paths }) => ({ ...finding, paths }));
}
