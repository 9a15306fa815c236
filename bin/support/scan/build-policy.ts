// From every path's needs to one policy document: what every scanned page needs goes in the base (a fresh CSP
// from default-src 'none'), each page's extras and nonce go in a rule for its exact path, workers included.

import { pathPatternProblem } from "../../../src/core/policy/match-path.js";
import type { PathNeeds } from "./path-needs.js";

/** Which elements a nonce goes on: marked (the origin writes the site's secret marker) or blanket (every one). */
export type NonceMode = "marked" | "blanket";

/** A CSP layer as the document holds it. */
interface CspLayerOut {
  action?: "set";
  replace?: true;
  directives?: Record<string, string[]>;
  add?: Record<string, string[]>;
}

interface NonceOut {
  mode: NonceMode;
  scripts: boolean;
  styles: boolean;
  strictDynamic: boolean;
}

/** The nonce fields a path needs, as the document writes them. */
type NonceFlags = Omit<NonceOut, "mode">;

/** A rule of the generated document. */
export interface RuleOut {
  path: string;
  description: string;
  csp?: CspLayerOut;
  nonce?: NonceOut | false;
}

/** The generated document (plain JSON; `checkDocument` validates it). */
export interface PolicyOut {
  $schema: string;
  csp: CspLayerOut;
  nonce?: NonceOut;
  rules?: RuleOut[];
}

/** Directives in the order the generated policy writes them. */
const ORDER = [
  "script-src",
  "style-src",
  "style-src-attr",
  "img-src",
  "font-src",
  "connect-src",
  "media-src",
  "frame-src",
  "fenced-frame-src",
  "worker-src",
  "manifest-src",
  "form-action",
  "base-uri",
];
/** Keep 'report-sample' in these: a report then carries the first characters of blocked inline code, so `reports --suggest` can hash it. */
const SAMPLED = new Set(["script-src", "style-src"]);
/** Directives that never fall back to default-src: 'none' must be said. */
const NO_FALLBACK = new Set(["form-action", "base-uri"]);

/** A path a rule cannot name exactly, and why. */
export function patternProblem(path: string): string | undefined {
  if (path.includes("*") || path.split("/").some((segment) => segment.startsWith(":"))) {
    return "its path holds * or a segment starting with :, which a rule pattern reads as a wildcard";
  }
  const problem = pathPatternProblem(path);
  return problem === undefined ? undefined : `a rule cannot match it exactly: expected ${problem}`;
}

/** The policy document for these paths, and the paths whose extras had to go in the base. */
export function buildPolicy(
  needs: readonly PathNeeds[],
  mode: NonceMode,
): { document: PolicyOut; widened: { path: string; reason: string }[] } {
  const widened = needs.flatMap((n) => {
    const reason = patternProblem(n.path);
    return reason === undefined ? [] : [{ path: n.path, reason }];
  });
  const unnamed = new Set(widened.map((w) => w.path));
  const pages = needs.filter((n) => n.kind === "page" && !unnamed.has(n.path));
  const wider = needs.filter((n) => unnamed.has(n.path)).map(withoutStrictDynamic);
  const base = baseSources(pages, wider);
  const baseFlags = baseNonce(pages, wider);
  const rules = needs.filter((n) => !unnamed.has(n.path)).flatMap((n) => ruleFor(n, base, baseFlags, mode));
  const directives: Record<string, string[]> = { "default-src": ["'none'"] };
  for (const directive of ORDER) {
    const sources = [...(base.get(directive) ?? [])];
    if (SAMPLED.has(directive)) sources.push("'report-sample'");
    if (sources.length > 0) directives[directive] = sources;
    else if (NO_FALLBACK.has(directive)) directives[directive] = ["'none'"];
  }
  directives["object-src"] = ["'none'"];
  // The scan cannot see who frames the site: no one, as the built-in defaults say, until a rule allows a partner.
  directives["frame-ancestors"] = ["'none'"];
  const document: PolicyOut = {
    $schema: "./policy.schema.json",
    csp: { action: "set", replace: true, directives },
    ...(baseFlags === undefined ? {} : { nonce: { mode, ...baseFlags } }),
    ...(rules.length > 0 ? { rules: rules.sort((a, b) => a.path.localeCompare(b.path)) } : {}),
  };
  return { document, widened };
}

/**
 * What a page no rule can name needs from the base, which every path shares: its scripts by host and hash
 * rather than through 'strict-dynamic', which would make every other page's hosts ignored.
 */
function withoutStrictDynamic(needs: PathNeeds): PathNeeds {
  const sources = new Map(needs.sources);
  sources.set(
    "script-src",
    new Set([...(needs.sources.get("script-src") ?? []), ...needs.scriptHosts].filter((s) => s !== "'strict-dynamic'")),
  );
  return { ...needs, sources, nonce: needs.nonce === undefined ? undefined : { ...needs.nonce, strictDynamic: false } };
}

/** Per directive, the sources every page needs, plus everything the pages no rule can name need. */
function baseSources(pages: readonly PathNeeds[], unnamed: readonly PathNeeds[]): Map<string, string[]> {
  const base = new Map<string, string[]>();
  for (const directive of ORDER) {
    const [first, ...rest] = pages.map((p) => p.sources.get(directive) ?? new Set<string>());
    // 'strict-dynamic' restricts: beside what the unnamed pages add it would switch their hosts off.
    const shared =
      first === undefined
        ? []
        : [...first].filter((s) => rest.every((set) => set.has(s)) && !(s === "'strict-dynamic'" && unnamed.length > 0));
    const wider = unnamed.flatMap((p) => [...(p.sources.get(directive) ?? [])]);
    const sources = [...new Set([...shared, ...wider])];
    // An unnamed page that needs 'unsafe-inline' (styles) needs it without a hash beside it, which would switch it off.
    const unpinned = unnamed.some((p) => p.replace.has(directive));
    base.set(directive, unpinned ? sources.filter((s) => !/^'(?:sha\d+|nonce)-/.test(s)) : sources);
  }
  return base;
}

/**
 * The base's nonce: the one every page needs, the same on each; or, when a page no rule can name needs one,
 * every field any such page needs (a rule then turns it off where it is not needed).
 */
function baseNonce(pages: readonly PathNeeds[], unnamed: readonly PathNeeds[]): NonceFlags | undefined {
  const wider = unnamed.flatMap((p) => (p.nonce === undefined ? [] : [p.nonce]));
  if (wider.length > 0) {
    // A style nonce would switch off the 'unsafe-inline' an unnamed page's styles need.
    const styles = wider.some((n) => n.styles) && !unnamed.some((p) => p.replace.has("style-src"));
    return { scripts: wider.some((n) => n.scripts), styles, strictDynamic: wider.some((n) => n.strictDynamic) };
  }
  const [first, ...rest] = pages.map((p) => flags(p));
  if (first === undefined || rest.some((n) => n === undefined || !sameFlags(n, first))) return undefined;
  return first;
}

function flags(needs: PathNeeds): NonceFlags | undefined {
  return needs.nonce === undefined
    ? undefined
    : { scripts: needs.nonce.scripts, styles: needs.nonce.styles, strictDynamic: needs.nonce.strictDynamic };
}

function sameFlags(a: NonceFlags, b: NonceFlags): boolean {
  return a.scripts === b.scripts && a.styles === b.styles && a.strictDynamic === b.strictDynamic;
}

/** The rule for one path: what it needs beyond the base; none when the base is enough. */
function ruleFor(
  needs: PathNeeds,
  base: ReadonlyMap<string, readonly string[]>,
  baseFlags: NonceFlags | undefined,
  mode: NonceMode,
): RuleOut[] {
  const add: Record<string, string[]> = {};
  const directives: Record<string, string[]> = {};
  for (const directive of ORDER) {
    const sources = [...(needs.sources.get(directive) ?? [])];
    if (needs.replace.has(directive)) directives[directive] = SAMPLED.has(directive) ? [...sources, "'report-sample'"] : sources;
    else {
      const extra = sources.filter((s) => !(base.get(directive) ?? []).includes(s));
      if (extra.length > 0) add[directive] = extra;
    }
  }
  const own = flags(needs);
  // A page that needs no nonce under a base that has one: off, or 'strict-dynamic' would ignore its hosts.
  const nonce =
    own === undefined
      ? baseFlags === undefined
        ? undefined
        : false
      : baseFlags !== undefined && sameFlags(own, baseFlags)
        ? undefined
        : { mode, ...own };
  const csp: CspLayerOut = {
    ...(Object.keys(directives).length > 0 ? { directives } : {}),
    ...(Object.keys(add).length > 0 ? { add } : {}),
  };
  if (csp.directives === undefined && csp.add === undefined && nonce === undefined) return [];
  return [
    {
      path: needs.path,
      description: describe(needs, mode),
      ...(csp.directives !== undefined || csp.add !== undefined ? { csp } : {}),
      ...(nonce === undefined ? {} : { nonce }),
    },
  ];
}

function describe(needs: PathNeeds, mode: NonceMode): string {
  const what = needs.kind === "worker" ? "worker script" : "page";
  const loads = `${needs.loads} load${needs.loads === 1 ? "" : "s"}`;
  const how =
    mode === "marked"
      ? " Marked: the origin writes the site's secret marker (the Worker's NONCE_MARKER secret) as the nonce of these elements."
      : " Blanket: every script gets the nonce, an injected one too.";
  const why = needs.nonce === undefined ? "" : ` Nonce: ${needs.nonce.reasons.join("; ")}.${how}`;
  return `scan: what this ${what} loaded and ran in ${loads}, beyond the base.${why}`;
}
