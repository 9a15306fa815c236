// CHANGELOG.md's upgrade guide names real things: bindings the Worker reads, migrations that exist, commands the
// CLI has, and doc sections that are there; and no migration ships without a line in it.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../../", import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, ROOT), "utf8");

const CHANGELOG = read("CHANGELOG.md");
const MIGRATIONS = readdirSync(new URL("migrations/", ROOT)).filter((name) => name.endsWith(".sql"));

/** The text of one `###` section of the Unreleased version, up to the next heading of that level or above. */
function section(title: string): string {
  const start = CHANGELOG.indexOf(`\n### ${title}\n`);
  if (start === -1) throw new Error(`no section ${title}`);
  const end = CHANGELOG.slice(start + 1).search(/\n#{1,3} /);
  return end === -1 ? CHANGELOG.slice(start) : CHANGELOG.slice(start, start + 1 + end);
}

/** The binding names src/env.ts declares (an interface, so its text is the only record at test time). */
function envBindings(): Set<string> {
  return new Set([...read("src/env.ts").matchAll(/^\s*readonly ([A-Z][A-Z0-9_]*)\?:/gm)].map((m) => m[1] ?? ""));
}

/** GitHub's anchor for a heading: code marks dropped, lower case, punctuation dropped, each space a hyphen. */
function slug(heading: string): string {
  return heading
    .replace(/`/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a Markdown file offers (headings outside code fences, repeats numbered as GitHub does). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6} (.+)$/.exec(line);
    if (heading?.[1] === undefined) continue;
    const base = slug(heading[1].trim());
    const count = seen.get(base) ?? 0;
    seen.set(count === 0 ? base : `${base}-${String(count)}`, 0);
    seen.set(base, count + 1);
  }
  return new Set(seen.keys());
}

/** The relative links of a Markdown text, as [target file, anchor or undefined]. */
function relativeLinks(markdown: string): [string, string | undefined][] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1] ?? "")
    .filter((target) => !/^[a-z]+:/.test(target))
    .map((target) => {
      const [file = "", anchor] = target.split("#");
      return [file, anchor];
    });
}

describe("CHANGELOG.md's upgrade guide", () => {
  const upgrade = section("Upgrading from 0.1.0");

  it("names only bindings that src/env.ts declares", () => {
    const named = [...upgrade.matchAll(/`([A-Z][A-Z0-9_]{3,})`/g)].map((m) => m[1] ?? "");
    expect(named).toContain("ALLOWED_HOSTS");
    const declared = envBindings();
    expect(named.filter((name) => !declared.has(name))).toEqual([]);
  });

  it("names only migrations that exist in migrations/", () => {
    const files = [...upgrade.matchAll(/\b(\d{4}_[a-z0-9_]+\.sql)\b/g)].map((m) => m[1] ?? "");
    const numbers = [...upgrade.matchAll(/\b(0\d{3})\b/g)].map((m) => m[1] ?? "");
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((file) => !MIGRATIONS.includes(file))).toEqual([]);
    expect(numbers.filter((n) => !MIGRATIONS.some((file) => file.startsWith(`${n}_`)))).toEqual([]);
  });

  it("tells the owner to apply every migration after the first", () => {
    const later = MIGRATIONS.filter((file) => !file.startsWith("0001_"));
    expect(later.length).toBeGreaterThan(0);
    expect(later.filter((file) => !upgrade.includes(file))).toEqual([]);
  });

  it("names only CLI commands that exist", () => {
    const commands = [...CHANGELOG.matchAll(/npx security-headers-worker ([a-z-]+)/g)].map((m) => m[1] ?? "");
    expect(commands).toContain("marker");
    expect(commands.filter((name) => !existsSync(new URL(`bin/commands/${name}.ts`, ROOT)))).toEqual([]);
  });
});

describe("links between the project's Markdown pages", () => {
  const pages = [
    "CHANGELOG.md",
    "README.md",
    ...readdirSync(new URL("docs/", ROOT))
      .filter((n) => n.endsWith(".md"))
      .map((n) => `docs/${n}`),
  ];
  for (const page of pages) {
    it(`point at files and headings that exist, from ${page}`, () => {
      const broken = relativeLinks(read(page)).filter(([target, anchor]) => {
        const url = new URL(target, new URL(page, ROOT));
        if (!existsSync(url)) return true;
        return anchor !== undefined && url.pathname.endsWith(".md") && !anchors(readFileSync(url, "utf8")).has(anchor);
      });
      expect(broken).toEqual([]);
    });
  }
});

describe("README.md's bindings table", () => {
  it("has a row for every binding src/env.ts declares", () => {
    const rows = new Set([...read("README.md").matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1] ?? ""));
    expect([...envBindings()].filter((name) => !rows.has(name))).toEqual([]);
  });
});
