// The bindings a command judges a policy under: one wrangler environment's vars (--env, --config), with
// the overrides a user can try (--policy-var, --var, --report-only), parsed by the Worker's own parseEnv.

import { readFile } from "node:fs/promises";
import { isAbsolute, relative } from "node:path";
import { parse as parseToml } from "smol-toml";
import { compileEnvironment } from "../../src/core/policy/compile-environment.js";
import { parseEnv, type EnvConfig } from "../../src/core/policy/parse-env.js";
import { prefixIssues } from "../../src/core/shared/result.js";
import type { PolicyIssue } from "../../src/core/shared/result.js";
import { CommandError, UsageError } from "./command.js";
import { loadWranglerVars } from "./wrangler-config.js";
import { errorMessage } from "../../src/core/shared/text.js";

/** parseArgs options for choosing an environment, as wrangler's own -e/--env and -c/--config. */
export const ENVIRONMENT_SELECT_OPTIONS = {
  env: { type: "string", short: "e" },
  config: { type: "string", short: "c" },
} as const;

/** parseArgs options for choosing an environment and trying other vars in it (validate, explain). */
export const ENVIRONMENT_OPTIONS = {
  ...ENVIRONMENT_SELECT_OPTIONS,
  "policy-var": { type: "string" },
  var: { type: "string", multiple: true },
} as const;

/** The flags of ENVIRONMENT_OPTIONS, as parseArgs returns them. */
export interface EnvironmentFlags {
  readonly env?: string | undefined;
  readonly config?: string | undefined;
  readonly "policy-var"?: string | undefined;
  readonly var?: string[] | undefined;
}

/** One environment's bindings, parsed as the Worker parses them. */
export interface Environment {
  /** Where the vars came from, for output: `wrangler.toml [env.staging]`, `wrangler.toml (top level)`, … */
  readonly label: string;
  /** The environment's name ("" for the top level), or undefined without a wrangler configuration. */
  readonly name: string | undefined;
  readonly config: EnvConfig;
  /** Whether a POLICY var is set at all (config.policy is undefined both when it is unset and when it is refused). */
  readonly policySet: boolean;
  /**
   * Everything the Worker would log as config.invalid for these bindings: parse issues (each named by its
   * binding, POLICY.hsts.maxAge) and the POLICY var failing over the built-in defaults.
   */
  readonly issues: readonly PolicyIssue[];
  /** Whether the environment binds POLICY_KV; undefined without a wrangler configuration. */
  readonly hasPolicyKv: boolean | undefined;
  /** wrangler's own warnings for this environment (vars or kv_namespaces not inherited, …). */
  readonly warnings: readonly string[];
  /** The vars set or replaced by flags, for output: `POLICY from policy.toml`, `REPORTS_ENABLED=true`. */
  readonly overrides: readonly string[];
}

/** The bindings with nothing set: the built-in defaults, enforced, no collector. */
export function bareEnvironment(): Environment {
  return environmentOf(
    {},
    { label: "no bindings: the built-in defaults only", name: undefined, hasPolicyKv: undefined, warnings: [], overrides: [] },
  );
}

/** Parse vars as the Worker does, and find the issues it would log for them. */
export function environmentOf(
  vars: Readonly<Record<string, unknown>>,
  about: Omit<Environment, "config" | "issues" | "policySet">,
): Environment {
  const { config, issues } = parseEnv(vars);
  // As the Worker with its secrets would: a marked nonce relying on NONCE_MARKER is not an issue here.
  const { rejected } = compileEnvironment(config, undefined, {}, true);
  // A POLICY that parses but fails over the defaults (preload with a short maxAge) is named like the Worker names it.
  const inContext = rejected.flatMap((layer) => prefixIssues(layer.from, layer.issues));
  return { ...about, config, policySet: vars.POLICY !== undefined && vars.POLICY !== "", issues: [...issues, ...inContext] };
}

/** A --policy-var file as the POLICY var: JSON text as it is, a .toml file as the table wrangler would send. */
async function policyVarFrom(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new CommandError(`cannot read the POLICY var document ${JSON.stringify(file)}: ${errorMessage(error)}`);
  }
  if (!file.toLowerCase().endsWith(".toml")) return text;
  try {
    return JSON.parse(JSON.stringify(parseToml(text))) as unknown;
  } catch (error) {
    throw new CommandError(`the POLICY var document ${JSON.stringify(file)} is not valid TOML: ${errorMessage(error)}`);
  }
}

/** `--var NAME:VALUE`, wrangler's own syntax. */
function parseVarFlag(raw: string): [string, string] {
  const colon = raw.indexOf(":");
  const name = colon === -1 ? "" : raw.slice(0, colon).trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new UsageError(`--var: expected NAME:VALUE (wrangler's syntax), received ${JSON.stringify(raw)}`);
  return [name, raw.slice(colon + 1)];
}

/** The environment a command runs under: --env/--config (or CLOUDFLARE_ENV, or the nearest wrangler.toml's top level), then the overrides. */
export async function loadEnvironment(
  flags: EnvironmentFlags,
  io: { env: Readonly<Record<string, string | undefined>>; cwd: string },
  reportOnly = false,
): Promise<Environment> {
  const name = flags.env ?? io.env.CLOUDFLARE_ENV;
  const found = loadWranglerVars(io.cwd, flags.config, name);
  const vars: Record<string, unknown> = { ...(found?.vars ?? {}) };
  const overrides: string[] = [];
  const policyFile = flags["policy-var"];
  if (policyFile !== undefined) {
    vars.POLICY = await policyVarFrom(policyFile);
    overrides.push(`POLICY from ${policyFile}`);
  }
  for (const [key, value] of (flags.var ?? []).map(parseVarFlag)) {
    vars[key] = value;
    overrides.push(`${key}=${value}`);
  }
  if (reportOnly) {
    vars.CSP_REPORT_ONLY = "true";
    overrides.push("CSP_REPORT_ONLY=true");
  }
  if (found === undefined) {
    const label = "no wrangler configuration found: the built-in defaults";
    return environmentOf(vars, { label, name: undefined, hasPolicyKv: undefined, warnings: [], overrides });
  }
  const where = found.env === "" ? "(top level)" : `[env.${found.env}]`;
  const shown = relative(io.cwd, found.file);
  const file = shown.startsWith("..") || isAbsolute(shown) ? found.file : shown;
  return environmentOf(vars, {
    label: `${file} ${where}`,
    name: found.env,
    hasPolicyKv: found.hasPolicyKv,
    warnings: found.warnings,
    overrides,
  });
}

/** The environment in one line: its source, then what it sets that changes the compiled policy. */
export function describeEnvironment(environment: Environment): string {
  const { config } = environment;
  const parts = [environment.label];
  if (environment.overrides.length > 0) parts.push(`with ${environment.overrides.join(", ")}`);
  const settings = [
    config.policy !== undefined ? "POLICY" : environment.policySet ? "POLICY refused (the Worker serves without it)" : "no POLICY",
    config.reportOnly ? "CSP_REPORT_ONLY" : "CSP enforced",
    config.reports.enabled ? `REPORTS_ENABLED (report-uri ${config.reports.path})` : "no report collector",
  ];
  if (config.ceilings !== undefined) settings.push("CEILINGS");
  return `${parts.join(" ")}: ${settings.join(", ")}`;
}
