// The request path imports no load-time code: walking the runtime imports from the Worker's handler
// never reaches a module that parses, merges or compiles a policy, except through the policy store,
// which hands the request a compiled policy. The core stays free of the shell, the CLI and their packages.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** Load-time modules, by the naming rule of GUIDE §4: parse*, merge*, compile*, the schema, the defaults. */
function isLoadTime(file: string): boolean {
  const name = file.split("/").pop() ?? "";
  return /^(parse|merge|compile)-/.test(name) || /schema/.test(name) || name === "defaults.ts" || file.startsWith("src/policy/");
}

/** The one door from the request path to load-time code: the store, which returns the compiled policy. */
const DOORS = new Set(["src/policy/policy-store.ts"]);

/** The repository-relative files a module imports for their values (type-only imports do not run). */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), "utf8"), ts.ScriptTarget.Latest);
  const out: string[] = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier;
    if (specifier === undefined || !ts.isStringLiteral(specifier) || !specifier.text.startsWith(".")) continue;
    if (ts.isImportDeclaration(statement) && typeOnly(statement)) continue;
    if (ts.isExportDeclaration(statement) && statement.isTypeOnly) continue;
    out.push(relative(ROOT, join(ROOT, dirname(file), specifier.text)).replace(/\.js$/, ".ts"));
  }
  return out;
}

function typeOnly(statement: ts.ImportDeclaration): boolean {
  const clause = statement.importClause;
  if (clause === undefined) return false;
  if (clause.phaseModifier === ts.SyntaxKind.TypeKeyword) return true;
  const bindings = clause.namedBindings;
  return clause.name === undefined && bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.every((e) => e.isTypeOnly);
}

/** Every module reachable from `root` through runtime imports, not walking past a door; with the path that reached it. */
function reachable(root: string): Map<string, string[]> {
  const seen = new Map<string, string[]>([[root, [root]]]);
  const queue = [root];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const path = seen.get(file) ?? [];
    if (DOORS.has(file)) continue;
    for (const next of runtimeImports(file)) {
      if (seen.has(next)) continue;
      seen.set(next, [...path, next]);
      queue.push(next);
    }
  }
  return seen;
}

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f));
}

describe("the request path", () => {
  const fromHandler = reachable("src/handler.ts");

  it("reaches the request-time modules a response goes through", () => {
    for (const file of [
      "src/core/policy/match-rules.ts",
      "src/core/policy/plan-headers.ts",
      "src/core/headers/apply-headers.ts",
      "src/core/nonce/decide-nonce.ts",
      "src/core/nonce/body-driver.ts",
      "src/core/nonce/tag-stamper.ts",
      "src/core/nonce/marker-stream.ts",
    ]) {
      expect(fromHandler.has(file), file).toBe(true);
    }
  });

  it("imports no load-time module, except through the policy store", () => {
    const loadTime = [...fromHandler].filter(([file]) => isLoadTime(file) && !DOORS.has(file)).map(([, path]) => path.join(" → "));
    expect(loadTime).toEqual([]);
  });

  it("would see one: the rule recognises every load-time module there is", () => {
    const core = filesUnder("src/core/policy").filter(isLoadTime);
    expect(core).toEqual(
      expect.arrayContaining([
        "src/core/policy/compile-policy.ts",
        "src/core/policy/compile-plans.ts",
        "src/core/policy/merge-layer.ts",
        "src/core/policy/parse-policy.ts",
        "src/core/policy/policy-schema.ts",
      ]),
    );
    expect(reachable("src/core/policy/compile-policy.ts").has("src/core/policy/merge-layer.ts")).toBe(true);
  });
});

describe("the core", () => {
  const core = filesUnder("src/core");

  it("imports nothing from the Worker shell or the CLI", () => {
    const outside = core.flatMap((file) =>
      runtimeImports(file)
        .filter((to) => !to.startsWith("src/core/"))
        .map((to) => `${file} → ${to}`),
    );
    expect(outside).toEqual([]);
  });

  it("imports no package but the Worker's own runtime dependencies (parse5 and the like are the CLI's)", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const allowed = new Set(Object.keys(pkg.dependencies));
    const packages = core.flatMap((file) =>
      ts
        .preProcessFile(readFileSync(join(ROOT, file), "utf8"))
        .importedFiles.map((f) => f.fileName)
        .filter((name) => !name.startsWith(".")),
    );
    expect(packages.filter((name) => !allowed.has(name))).toEqual([]);
  });

  it("names no Workers-only global (tsconfig.core.json compiles it without the workers types)", () => {
    const config: unknown = JSON.parse(readFileSync(join(ROOT, "tsconfig.core.json"), "utf8"));
    expect(config).toMatchObject({ compilerOptions: { types: [] }, include: ["src/core/**/*.ts"] });
  });
});

describe("the CLI's support code", () => {
  it("imports nothing from the commands (a command is built from support, never the reverse)", () => {
    const upward = filesUnder("bin/support").flatMap((file) =>
      ts
        .preProcessFile(readFileSync(join(ROOT, file), "utf8"))
        .importedFiles.map((f) => relative(ROOT, join(ROOT, dirname(file), f.fileName)))
        .filter((to) => to.startsWith("bin/commands/"))
        .map((to) => `${file} → ${to}`),
    );
    expect(upward).toEqual([]);
  });
});
