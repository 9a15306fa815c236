// `reports --suggest`, the pure part: from the collector's violation groups to proposed sources per directive
// and path (exact origins, hashes of inline code whose whole text a report carried), nonce suggestions where
// only a nonce would do, and the noise left out with the reason. Never 'unsafe-inline', never a wildcard.

import { clientBuckets } from "../../../src/core/reports/client-key.js";
import type { Disposition } from "../../../src/core/reports/csp-report.js";
import type { ViolationGroup } from "../../../src/core/reports/violation-groups.js";
import { patternProblem } from "../scan/build-policy.js";
import { pathKey } from "../scan/group-loads.js";
import { SAMPLE_CHARS } from "../scan/load-facts.js";
import { hashSource, policyDirective, sourceFor } from "../scan/sources.js";

/** A source to add, with the evidence for it. `path` "" is the base (every path). */
export interface Proposal {
  readonly path: string;
  readonly directive: string;
  readonly source: string;
  /** What was blocked: a URL's origin, or the inline code's sample. */
  readonly blocked: string;
  readonly count: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** The pages (paths) it was reported on. */
  readonly pages: readonly string[];
  /** Distinct clients, at least (buckets of the sketch); 0 when the rows predate the sketch. */
  readonly clients: number;
  readonly dispositions: readonly Disposition[];
}

/** Inline code no hash can allow from the reports (only its first characters were sent): a nonce would. */
export interface NonceSuggestion {
  readonly path: string;
  readonly directive: "script-src" | "style-src";
  readonly count: number;
  readonly samples: readonly string[];
}

/** A violation not proposed, and why. */
export interface LeftOut {
  readonly directive: string;
  readonly blocked: string;
  readonly pages: readonly string[];
  readonly count: number;
  readonly reason: string;
}

export interface Suggestions {
  readonly proposals: readonly Proposal[];
  readonly nonces: readonly NonceSuggestion[];
  readonly leftOut: readonly LeftOut[];
}

export interface SuggestOptions {
  /** A host or inline code reported by fewer distinct clients is left out (an extension or malware on one machine). */
  readonly minClients: number;
}

/** A source proposed on this many pages or more goes into the base: the site uses it broadly. */
export const BASE_AFTER_PAGES = 3;

const EXTENSION_SCHEMES = new Set([
  "chrome-extension:",
  "moz-extension:",
  "safari-extension:",
  "safari-web-extension:",
  "ms-browser-extension:",
  "edge-extension:",
  "webkit-masked-url:",
]);

type Verdict =
  | { readonly kind: "source"; readonly directive: string; readonly sources: readonly string[]; readonly blocked: string }
  | { readonly kind: "nonce"; readonly directive: "script-src" | "style-src"; readonly samples: readonly string[] }
  | { readonly kind: "left"; readonly reason: string };

/** Propose additions from the window's violation groups. */
export function suggest(groups: readonly ViolationGroup[], options: SuggestOptions): Suggestions {
  const hosts = hostSketches(groups);
  const found: { group: ViolationGroup; path: string; directive: string; source: string; blocked: string }[] = [];
  const nonces = new Map<string, { path: string; directive: "script-src" | "style-src"; count: number; samples: string[] }>();
  const leftOut: LeftOut[] = [];
  for (const group of groups) {
    const path = pagePath(group.page);
    const judged = judge(group, hosts, options);
    for (const verdict of Array.isArray(judged) ? judged : [judged]) {
      if (verdict.kind === "left")
        leftOut.push({ directive: group.directive, blocked: group.blocked, pages: [path], count: group.count, reason: verdict.reason });
      else if (verdict.kind === "nonce") {
        const key = `${path} ${verdict.directive}`;
        const entry = nonces.get(key) ?? { path, directive: verdict.directive, count: 0, samples: [] };
        entry.count += group.count;
        entry.samples.push(...verdict.samples.filter((s) => !entry.samples.includes(s)));
        nonces.set(key, entry);
      } else
        for (const source of verdict.sources) found.push({ group, path, directive: verdict.directive, source, blocked: verdict.blocked });
    }
  }
  return { proposals: fold(found), nonces: [...nonces.values()], leftOut: mergeLeftOut(leftOut) };
}

/** The path a rule for a page would name: canonical, or "" (the base) when no rule can name it exactly. */
function pagePath(page: string): string {
  let path: string;
  try {
    path = pathKey(page);
  } catch {
    return "";
  }
  return patternProblem(path) === undefined ? path : "";
}

/** Per blocked origin, the sketch of every client that reported it, on any page and directive. */
function hostSketches(groups: readonly ViolationGroup[]): Map<string, number> {
  const sketches = new Map<string, number>();
  for (const g of groups) {
    const origin = originOf(g.blocked);
    if (origin !== undefined) sketches.set(origin, orSketch(sketches.get(origin) ?? 0, g.clients));
  }
  return sketches;
}

function judge(group: ViolationGroup, hosts: ReadonlyMap<string, number>, options: SuggestOptions): Verdict | Verdict[] {
  const blocked = group.blocked.toLowerCase();
  const scheme = /^[a-z][a-z0-9+.-]*:/.exec(blocked)?.[0];
  const sourceScheme = /^[a-z][a-z0-9+.-]*:/.exec(group.sourceFile.toLowerCase())?.[0];
  if ((scheme !== undefined && EXTENSION_SCHEMES.has(scheme)) || (sourceScheme !== undefined && EXTENSION_SCHEMES.has(sourceScheme))) {
    return {
      kind: "left",
      reason: "a browser extension's: it is in the visitor's browser, not on the site, and enforcing does not break the site",
    };
  }
  if (blocked === "about" || scheme === "about:")
    return { kind: "left", reason: "about: is the browser's own page, nothing a policy needs to allow" };
  if (blocked === "eval")
    return {
      kind: "left",
      reason: "eval: never allowed ('unsafe-eval' lets any injected string run); replace the eval in the script that reported it",
    };
  if (blocked === "wasm-eval") return { kind: "source", directive: "script-src", sources: ["'wasm-unsafe-eval'"], blocked: "wasm-eval" };
  if (blocked === "inline") return judgeInline(group, options);
  if (group.directive === "frame-ancestors")
    return {
      kind: "left",
      reason: "who frames the page: allowing a framer is a decision for you, not for reports (a rule's frame-ancestors)",
    };
  const directive = policyDirective(group.directive);
  if (directive === undefined) return { kind: "left", reason: `${group.directive}: not a directive --suggest adds sources to` };
  const origin = originOf(group.blocked);
  const clients = origin === undefined ? clientBuckets(group.clients) : clientBuckets(hosts.get(origin) ?? 0);
  // 0: rows stored before migrations/0004 carry no sketch; the client filter cannot judge them.
  if (clients > 0 && clients < options.minClients) {
    return {
      kind: "left",
      reason: `seen from ${clients === 1 ? "one client" : `${clients} clients`} only: an ad injector, extension or malware on a visitor's machine, or one test (--min-clients ${clients} would propose it)`,
    };
  }
  const result = sourceFor(group.blocked, directive, pageOrigin(group.page));
  return result.ok
    ? { kind: "source", directive, sources: [result.source], blocked: origin ?? group.blocked }
    : { kind: "left", reason: result.reason };
}

/** Hashes for the samples that are whole code, and a nonce suggestion for the ones cut at 40 characters. */
function judgeInline(group: ViolationGroup, options: SuggestOptions): Verdict | Verdict[] {
  if (group.directive === "script-src-attr")
    return {
      kind: "left",
      reason: "an inline event handler: move it into a script; 'unsafe-hashes' with its hash is the fallback (docs/csp.md)",
    };
  const clients = clientBuckets(group.clients);
  if (clients > 0 && clients < options.minClients)
    return {
      kind: "left",
      reason: `inline code seen from ${clients === 1 ? "one client" : `${clients} clients`} only: injected on a visitor's machine, or one test`,
    };
  const directive = group.directive === "style-src-attr" ? "style-src-attr" : policyDirective(group.directive);
  if (directive !== "script-src" && directive !== "style-src" && directive !== "style-src-attr")
    return { kind: "left", reason: `inline code under ${group.directive}` };
  // Browsers send at most 40 characters: a shorter sample is the whole code, so its hash is the code's hash.
  const whole = group.samples.filter((s) => s.length < SAMPLE_CHARS);
  const cut = group.samples.length === 0 ? [""] : group.samples.filter((s) => s.length >= SAMPLE_CHARS);
  const verdicts: Verdict[] = [];
  if (whole.length > 0) {
    const hashes = whole.map(hashSource);
    verdicts.push({
      kind: "source",
      directive,
      sources: directive === "style-src-attr" ? ["'unsafe-hashes'", ...hashes] : hashes,
      blocked: "inline",
    });
  }
  if (cut.length > 0) {
    verdicts.push(
      directive === "style-src-attr"
        ? { kind: "left", reason: "a style attribute longer than the sample a report carries: set the style through CSSOM or a class" }
        : { kind: "nonce", directive, samples: cut.filter((s) => s !== "") },
    );
  }
  return verdicts;
}

/** Proposals folded by (directive, source) over pages; broad ones into the base, others per path. */
function fold(found: readonly { group: ViolationGroup; path: string; directive: string; source: string; blocked: string }[]): Proposal[] {
  const byKey = new Map<string, { directive: string; source: string; blocked: string; items: { group: ViolationGroup; path: string }[] }>();
  for (const f of found) {
    const key = `${f.directive} ${f.source}`;
    const entry = byKey.get(key) ?? { directive: f.directive, source: f.source, blocked: f.blocked, items: [] };
    entry.items.push({ group: f.group, path: f.path });
    byKey.set(key, entry);
  }
  const out: Proposal[] = [];
  for (const { directive, source, blocked, items } of byKey.values()) {
    const pages = [...new Set(items.map((i) => i.path))];
    const broad = pages.length >= BASE_AFTER_PAGES || pages.includes("");
    const byPath = broad ? [["", items] as const] : pages.map((p) => [p, items.filter((i) => i.path === p)] as const);
    for (const [path, list] of byPath) out.push(proposal(path, directive, source, blocked, list));
  }
  return out.sort((a, b) => a.path.localeCompare(b.path) || a.directive.localeCompare(b.directive) || a.source.localeCompare(b.source));
}

function proposal(
  path: string,
  directive: string,
  source: string,
  blocked: string,
  items: readonly { group: ViolationGroup; path: string }[],
): Proposal {
  const groups = items.map((i) => i.group);
  return {
    path,
    directive,
    source,
    blocked,
    count: groups.reduce((n, g) => n + g.count, 0),
    firstSeen: groups.map((g) => g.firstSeen).sort()[0] ?? "",
    lastSeen:
      groups
        .map((g) => g.lastSeen)
        .sort()
        .at(-1) ?? "",
    pages: [...new Set(items.map((i) => i.path || new URL(i.group.page).pathname))],
    clients: clientBuckets(groups.reduce((s, g) => orSketch(s, g.clients), 0)),
    dispositions: [...new Set(groups.map((g) => g.disposition))].sort(),
  };
}

function mergeLeftOut(items: readonly LeftOut[]): LeftOut[] {
  const byKey = new Map<string, { directive: string; blocked: string; pages: string[]; count: number; reason: string }>();
  for (const item of items) {
    const key = `${item.directive} ${item.blocked} ${item.reason}`;
    const entry = byKey.get(key) ?? { directive: item.directive, blocked: item.blocked, pages: [], count: 0, reason: item.reason };
    entry.count += item.count;
    for (const p of item.pages) if (!entry.pages.includes(p)) entry.pages.push(p);
    byKey.set(key, entry);
  }
  return [...byKey.values()];
}

function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return ["http:", "https:", "ws:", "wss:"].includes(parsed.protocol) ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

function pageOrigin(page: string): string {
  return originOf(page) ?? "null";
}

/** Bitwise OR of two 48-bit sketches (JavaScript's | works on 32 bits only). */
function orSketch(a: number, b: number): number {
  const high = 2 ** 24;
  return (Math.floor(a / high) | Math.floor(b / high)) * high + ((a % high) | (b % high));
}
