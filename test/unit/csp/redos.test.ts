// Every regular expression the CSP code runs on a value from a policy or an origin is safe from
// catastrophic backtracking, as judged by a ReDoS checker that analyses the pattern itself: a guard for
// every input, where a timed run on a huge value could only sample (and the guide forbids timed assertions).

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkSync } from "recheck";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const CSP_DIR = join(import.meta.dirname, "../../../src/core/csp");

/** Every regular-expression literal in the CSP sources, as [file, source, flags]. */
function cspRegExps(): [string, string, string][] {
  const found: [string, string, string][] = [];
  for (const name of readdirSync(CSP_DIR).filter((n) => n.endsWith(".ts"))) {
    const file = ts.createSourceFile(name, readFileSync(join(CSP_DIR, name), "utf8"), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
        const text = node.getText(file);
        const end = text.lastIndexOf("/");
        found.push([name, text.slice(1, end), text.slice(end + 1)]);
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return found;
}

/** The literals a ReDoS checker (recheck, which searches for inputs that make a backtracking engine blow up) does not call safe. */
function unsafe(regexps: readonly [string, string, string][]): string[] {
  return regexps.flatMap(([file, source, flags]) => {
    const verdict = checkSync(source, flags, { timeout: 20_000 });
    return verdict.status === "safe" ? [] : [`${file}: /${source}/${flags} is ${verdict.status}`];
  });
}

describe("the CSP code's regular expressions", () => {
  it("are found (the scan sees the literals the parser uses)", () => {
    const sources = cspRegExps().map(([, source]) => source);
    expect(sources.length).toBeGreaterThanOrEqual(8);
    expect(sources.some((s) => s.includes("nonce-"))).toBe(true);
  });

  it("are all safe from catastrophic backtracking", () => {
    expect(unsafe(cspRegExps())).toEqual([]);
  });

  it("would be caught if one could backtrack exponentially or polynomially", () => {
    expect(
      unsafe([
        ["probe.ts", "^(a|a)*$", ""],
        ["probe.ts", "^\\s*a\\s*\\s*$", ""],
      ]),
    ).toHaveLength(2);
  });
});
