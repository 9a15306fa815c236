// Read an environment's vars from wrangler's configuration the way wrangler does, so the CLI judges a
// policy with the bindings that environment's Worker really gets. The rules followed (wrangler 4):
//   - the file: wrangler.json, wrangler.jsonc or wrangler.toml, in the current directory or the nearest
//     parent that has one (or --config);
//   - the environment: --env NAME, else CLOUDFLARE_ENV; none or "" is the top level;
//   - `vars` is not inherited: [env.NAME] without its own vars has none, whatever the top level says;
//   - an --env that names no [env.*] section is an error when the file defines environments (and falls
//     back to the top level, with a warning, when it defines none);
//   - a var may be any TOML/JSON value; the Worker receives strings as strings and the rest as JSON, so a
//     TOML table (POLICY = { hsts = { maxAge = 300 } }) arrives as an object.

import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parse as parseToml } from "smol-toml";
import { CommandError, UsageError } from "./command.js";
import { errorMessage } from "../../src/core/shared/text.js";

/** The names wrangler looks for, in its order. */
const CONFIG_NAMES = ["wrangler.json", "wrangler.jsonc", "wrangler.toml"] as const;

/** One environment's vars, and where they came from. */
export interface WranglerVars {
  /** The configuration file read. */
  readonly file: string;
  /** The environment's name; "" for the top level. */
  readonly env: string;
  /** The vars as the Worker receives them (JSON values). */
  readonly vars: Readonly<Record<string, unknown>>;
  /** Whether the environment binds a KV namespace as POLICY_KV (kv_namespaces is not inherited either). */
  readonly hasPolicyKv: boolean;
  /** What wrangler itself would warn about for this environment. */
  readonly warnings: readonly string[];
}

/** The wrangler configuration file for `cwd`: the nearest one wrangler would use, or undefined. */
export function findWranglerConfig(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of CONFIG_NAMES) {
      const file = join(dir, name);
      if (existsSync(file)) return file;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Parse a wrangler configuration file into its raw tables. */
export function readWranglerConfig(file: string): Table {
  if (file.endsWith(".jsonc")) {
    throw new CommandError(
      `${file}: wrangler.jsonc (JSON with comments) is not read by this CLI; give --config a wrangler.toml or wrangler.json`,
    );
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new CommandError(`cannot read the wrangler configuration ${JSON.stringify(file)}: ${errorMessage(error)}`);
  }
  let raw: unknown;
  try {
    raw = file.endsWith(".json") ? JSON.parse(text) : parseToml(text);
  } catch (error) {
    throw new CommandError(
      `${file} is not valid ${file.endsWith(".json") ? "JSON" : "TOML"}, so wrangler would refuse it too: ${errorMessage(error)}`,
    );
  }
  if (!isTable(raw)) throw new CommandError(`${file}: expected a table of settings at the top`);
  return raw;
}

/** The [env.*] sections a configuration defines, by name. */
export function environmentNames(raw: Table): string[] {
  return isTable(raw.env) ? Object.keys(raw.env) : [];
}

/** What the Worker receives for a var: wrangler sends non-string vars as JSON, so TOML dates become strings. */
function asBinding(value: unknown): unknown {
  return typeof value === "string" ? value : (JSON.parse(JSON.stringify(value)) as unknown);
}

function varsOf(section: Table, where: string): Record<string, unknown> {
  const vars = section.vars;
  if (vars === undefined) return {};
  if (!isTable(vars)) throw new CommandError(`${where}.vars: expected a table of vars, received ${JSON.stringify(vars)}`);
  return Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, asBinding(value)]));
}

function bindsPolicyKv(section: Table): boolean {
  const list = section.kv_namespaces;
  return Array.isArray(list) && list.some((entry) => isTable(entry) && entry.binding === "POLICY_KV");
}

/** The vars of environment `name` ("" or undefined: the top level) in a parsed configuration, as wrangler resolves them. */
export function selectEnvironment(raw: Table, file: string, name: string | undefined): WranglerVars {
  const env = name ?? "";
  const top = { file, env: "", vars: varsOf(raw, "(top level)"), hasPolicyKv: bindsPolicyKv(raw) };
  if (env === "") return { ...top, warnings: [] };
  const names = environmentNames(raw);
  const section = isTable(raw.env) ? raw.env[env] : undefined;
  if (section === undefined) {
    const message = `no [env.${env}] in ${basename(file)}`;
    if (names.length > 0)
      throw new UsageError(`--env: ${message}; it defines ${names.map((n) => JSON.stringify(n)).join(", ")} (and "" for the top level)`);
    return { ...top, warnings: [`${message}: wrangler uses the top level, as here`] };
  }
  if (!isTable(section)) throw new CommandError(`${file}: env.${env} is not a table`);
  const warnings: string[] = [];
  for (const field of ["vars", "kv_namespaces"]) {
    if (raw[field] !== undefined && section[field] === undefined) {
      warnings.push(`"${field}" exists at the top level but not in [env.${env}], and is not inherited: this environment has none`);
    }
  }
  const vars = varsOf(section, `env.${env}`);
  if (section.vars !== undefined) {
    const missing = Object.keys(top.vars).filter((key) => !(key in vars));
    if (missing.length > 0)
      warnings.push(`${missing.join(", ")}: set at the top level but not in [env.${env}].vars, and vars are not inherited`);
  }
  return { file, env, vars, hasPolicyKv: bindsPolicyKv(section), warnings };
}

/** Read `file` (or the nearest wrangler configuration) and resolve one environment's vars. */
export function loadWranglerVars(cwd: string, configFile: string | undefined, name: string | undefined): WranglerVars | undefined {
  const file = configFile === undefined ? findWranglerConfig(cwd) : resolve(cwd, configFile);
  if (file === undefined) {
    if (name !== undefined && name !== "")
      throw new UsageError(
        `--env ${JSON.stringify(name)}: no wrangler.toml (or wrangler.json) here or in a parent directory; give its path with --config`,
      );
    return undefined;
  }
  return selectEnvironment(readWranglerConfig(file), file, name);
}
