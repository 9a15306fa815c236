// All loads of one path, judged together: what its policy needs for every load to work as it did. Inline code
// that is the same on every load is hashed; code that changes, or scripts that load scripts next to scripts in
// the markup, call for a nonce (with 'strict-dynamic' where scripts load scripts).

import { changingInline, type InlineCode, type LoadFacts } from "./load-facts.js";
import { unhashableStyleFinding, type Finding } from "./findings.js";

/** What one path's policy needs. Sources per directive are complete: hashes, keywords and origins. */
export interface PathNeeds {
  readonly path: string;
  readonly kind: "page" | "worker";
  readonly urls: readonly string[];
  readonly loads: number;
  readonly sources: ReadonlyMap<string, ReadonlySet<string>>;
  /** The origins of every script the path ran: what script-src needs without 'strict-dynamic'. */
  readonly scriptHosts: ReadonlySet<string>;
  /** Directives whose sources must replace the base's, not add to it: they hold 'unsafe-inline', which a hash would switch off. */
  readonly replace: ReadonlySet<string>;
  /** A per-response nonce, and why. Undefined: hashes and sources suffice. */
  readonly nonce: NonceNeed | undefined;
  readonly findings: readonly Finding[];
  readonly notes: readonly string[];
  /** The site sent its own CSP on some load (the scan removed it). */
  readonly ownCsp: boolean;
}

export interface NonceNeed {
  readonly scripts: boolean;
  readonly styles: boolean;
  readonly strictDynamic: boolean;
  /** Why: "a script loads scripts", "an inline script changes on every load", "the origin writes its marker here". */
  readonly reasons: readonly string[];
  /** Elements that need the marker in marked mode and do not carry it yet. */
  readonly unmarked: readonly string[];
}

/** How the site marks its elements: the marker found (never shown), or none. */
export interface MarkerUse {
  readonly marker: string | undefined;
}

/** Judge one path from its loads (a page's, or a worker script's). `marker` is the site's, when the scan found one. */
export function pathNeeds(
  path: string,
  kind: "page" | "worker",
  urls: readonly string[],
  loads: readonly LoadFacts[],
  markers: MarkerUse,
): PathNeeds {
  const sources = new Map<string, Set<string>>();
  const add = (directive: string, source: string): void => {
    let set = sources.get(directive);
    if (set === undefined) sources.set(directive, (set = new Set()));
    set.add(source);
  };
  for (const load of loads) for (const [directive, set] of load.sources) for (const source of set) add(directive, source);
  const findings: Finding[] = loads.flatMap((l) => l.findings);
  const replace = new Set<string>();
  const scriptHosts = new Set(sources.get("script-src") ?? []);
  const scripts = judgeScripts(loads, markers.marker);
  for (const hash of scripts.hashes) add("script-src", hash);
  findings.push(...scripts.findings);
  if (scripts.strictDynamic) {
    // Browsers that know 'strict-dynamic' ignore host sources and 'self' in script-src: listing them says nothing.
    sources.set("script-src", new Set([...(sources.get("script-src") ?? [])].filter((s) => s.startsWith("'") && s !== "'self'")));
    if (!scripts.nonce) add("script-src", "'strict-dynamic'");
  }
  if (loads.some((l) => l.wasm)) add("script-src", "'wasm-unsafe-eval'");
  const styles = judgeStyles(loads, markers.marker, add, replace, findings);
  const nonce = scripts.nonce || styles.nonce ? nonceNeed(scripts, styles) : undefined;
  return {
    path,
    kind,
    urls,
    loads: loads.length,
    sources,
    scriptHosts,
    replace,
    nonce,
    findings,
    notes: [...new Set(loads.flatMap((l) => l.notes))],
    ownCsp: loads.some((l) => l.ownCsp),
  };
}

interface ScriptJudgement {
  readonly hashes: readonly string[];
  readonly nonce: boolean;
  readonly strictDynamic: boolean;
  readonly reasons: readonly string[];
  readonly unmarked: readonly string[];
  readonly findings: readonly Finding[];
}

/** Split inline code into what every load ran the same (hashable) and what changed; by hash, first label kept. */
function stability(
  loads: readonly LoadFacts[],
  pick: (l: LoadFacts) => readonly InlineCode[],
): { stable: InlineCode[]; changing: InlineCode[] } {
  const seen = new Map<string, { code: InlineCode; loads: number }>();
  for (const load of loads) {
    for (const hash of new Set(pick(load).map((c) => c.hash))) {
      const code = pick(load).find((c) => c.hash === hash);
      if (code === undefined) continue;
      const entry = seen.get(hash);
      seen.set(hash, { code: entry?.code ?? code, loads: (entry?.loads ?? 0) + 1 });
    }
  }
  const stable: InlineCode[] = [];
  const changing: InlineCode[] = [];
  for (const { code, loads: count } of seen.values()) (count === loads.length && code.complete ? stable : changing).push(code);
  // Code that changes is one element with a new text on each load: one entry per element.
  return { stable, changing: uniqueBy(changing, (c) => c.label) };
}

function judgeScripts(loads: readonly LoadFacts[], marker: string | undefined): ScriptJudgement {
  const { stable, changing } = stability(loads, (l) => l.scripts);
  const changingParser = changing.filter((c) => c.parser);
  const inserted = new Set(loads.flatMap((l) => [...l.insertedScripts]));
  const external = uniqueBy(
    loads.flatMap((l) => l.parserScripts),
    (s) => s.src ?? s.label,
  );
  const markedHere = loads.some((l) => marker !== undefined && l.nonces.some((n) => n.value === marker));
  const reasons: string[] = [];
  if (changingParser.length > 0)
    reasons.push(
      `${count(changingParser.length, "inline script")} in the markup ${changingParser.length === 1 ? "changes" : "change"} from load to load`,
    );
  if (inserted.size > 0 && external.length > 0)
    reasons.push(
      `scripts load scripts (${[...inserted].slice(0, 3).join(", ")}) beside scripts in the markup, which 'strict-dynamic' would block without a nonce`,
    );
  if (markedHere) reasons.push("the origin writes its marker here: the Worker must replace it");
  const nonce = reasons.length > 0;
  const strictDynamic = inserted.size > 0;
  // With 'strict-dynamic', every script in the markup needs the nonce; without it, external ones are allowed by their origin.
  const needsMark = [
    ...(strictDynamic ? external.map((s) => ({ label: s.label, nonce: s.nonce })) : []),
    ...changingParser.map((c) => ({ label: c.label, nonce: c.nonce })),
  ];
  return {
    hashes: stable.map((c) => c.hash),
    nonce,
    strictDynamic,
    reasons,
    unmarked: nonce ? needsMark.filter((e) => marker === undefined || e.nonce !== marker).map((e) => e.label) : [],
    findings: changing.filter((c) => !c.parser).map((c) => changingInline("script", c)),
  };
}

interface StyleJudgement {
  readonly nonce: boolean;
  readonly reasons: readonly string[];
  readonly unmarked: readonly string[];
}

function judgeStyles(
  loads: readonly LoadFacts[],
  marker: string | undefined,
  add: (directive: string, source: string) => void,
  replace: Set<string>,
  findings: Finding[],
): StyleJudgement {
  const elements = stability(loads, (l) => l.styles);
  const inserted = elements.changing.filter((c) => !c.parser);
  const changingParser = elements.changing.filter((c) => c.parser);
  if (inserted.length > 0) {
    // A script's changing <style> elements can only be allowed wholesale, and a hash or nonce beside 'unsafe-inline' switches it off.
    findings.push(...inserted.map((c) => changingInline("style", c)));
    add("style-src", "'unsafe-inline'");
    replace.add("style-src");
  } else for (const code of elements.stable) add("style-src", code.hash);
  const attributes = stability(loads, (l) => l.styleAttributes);
  if (attributes.changing.length > 0) {
    findings.push(...attributes.changing.map((c) => unhashableStyleFinding(c.code)));
    add("style-src-attr", "'unsafe-inline'");
    replace.add("style-src-attr");
  } else if (attributes.stable.length > 0) {
    add("style-src-attr", "'unsafe-hashes'");
    for (const code of attributes.stable) add("style-src-attr", code.hash);
  }
  const nonce = changingParser.length > 0 && inserted.length === 0;
  return {
    nonce,
    reasons: nonce
      ? [
          `${count(changingParser.length, "inline style")} in the markup ${changingParser.length === 1 ? "changes" : "change"} from load to load`,
        ]
      : [],
    unmarked: nonce ? changingParser.filter((c) => marker === undefined || c.nonce !== marker).map((c) => c.label) : [],
  };
}

function nonceNeed(scripts: ScriptJudgement, styles: StyleJudgement): NonceNeed {
  return {
    scripts: scripts.nonce,
    styles: styles.nonce,
    strictDynamic: scripts.nonce && scripts.strictDynamic,
    reasons: [...scripts.reasons, ...styles.reasons],
    unmarked: [...new Set([...scripts.unmarked, ...styles.unmarked])],
  };
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) if (!byKey.has(key(item))) byKey.set(key(item), item);
  return [...byKey.values()];
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}
