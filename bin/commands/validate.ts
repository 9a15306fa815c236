// `validate [file]`: every issue in an environment's bindings and in a policy document, judged exactly as
// that environment's Worker compiles it (its POLICY var, Report-Only, the collector's report endpoint).

import { onlyDuplicateKeys } from "../../src/core/shared/duplicate-keys.js";
import { ceilingsFailed, describeCap, STRICTEST_CEILINGS_SERVE } from "../../src/core/policy/ceilings.js";
import type { CompiledPolicy, PolicyDocument } from "../../src/core/policy/types.js";
import type { PolicyIssue } from "../../src/core/shared/result.js";
import { parseCommandLine, UsageError, type Command } from "../support/command.js";
import { checkDocument, markerNote, readPolicyFile, renderIssue, type DocumentCheck } from "../support/documents.js";
import { policyBundleWarnings } from "../support/bundle-warnings.js";
import {
  describeEnvironment,
  ENVIRONMENT_OPTIONS,
  loadEnvironment,
  type Environment,
  type EnvironmentFlags,
} from "../support/environment.js";
import { OFFLINE_SCOPE } from "../support/grade/offline.js";
import { gradePolicy, PAGE_TYPE, type PathGrade } from "../support/grade/policy-grade.js";
import { gradeJson, renderFindings, styleGrade } from "../support/grade/render.js";
import { ruleWarnings } from "../support/rule-warnings.js";
import { EXIT, type ExitStatus, type Io, type Style } from "../support/io.js";
import { refusalForEveryRequest } from "../../src/core/origin/request-guard.js";
import { splatReachWarnings } from "../../src/core/policy/pattern-reach.js";
import { printable, printableJson } from "../support/printable.js";
import { environmentNames, findWranglerConfig, readWranglerConfig } from "../support/wrangler-config.js";

const HELP = `Usage: security-headers-worker validate [file] [--env NAME | --all-envs] [--config FILE] [--json]

Validate what an environment's Worker would apply, the way it does:
  1. the environment's bindings (the vars in wrangler.toml: POLICY, in JSON or TOML form, CSP_REPORT_ONLY,
     REPORTS_ENABLED, REPORT_PATH, POLICY_KV_KEY, …) and its POLICY compiled over the built-in defaults;
  2. <file> as that environment's KV document: its fields, then compiled over the POLICY var with the same
     options (Report-Only, the collector's report-uri/report-to/Reporting-Endpoints) and header budget;
  3. rules that cannot be combined on a path both match (checked on a sample path per rule).
Every issue names its field path, what was expected and what was received. Without --env, the top level
of the nearest wrangler.toml (wrangler's default environment); without any, the built-in defaults.
A valid document is graded: the MDN HTTP Observatory's score of the headers explain computes on https,
for "/" and a sample path of each rule, with each weakness and its fix.

Options:
  -e, --env NAME      a wrangler environment ("" for the top level; default: CLOUDFLARE_ENV, else the top level)
  --all-envs          every environment in the configuration, the top level included (npm run deploy:check)
  -c, --config FILE   the wrangler configuration (default: wrangler.json or wrangler.toml here or above)
  --policy-var FILE   use this POLICY var instead (JSON, or a TOML table in a .toml file)
  --var NAME:VALUE    set another var (repeatable), e.g. --var REPORTS_ENABLED:true
  --json              print the result as JSON
  -h, --help          show this help

Exit status: 0 valid, 1 an issue in the bindings or the document (or a file cannot be read), 2 usage error.
`;

/** The headers a compiled policy writes and strips on an https response with no rule matching. */
export function ownedHeaders(policy: CompiledPolicy): { sends: string[]; removes: string[] } {
  const sends: string[] = [];
  const removes: string[] = [];
  for (const op of policy.base.https.ops) {
    // Set-Cookie lines stay the origin's (the cookies op only appends attributes to each): not an owned header.
    if (op.kind === "cookies") continue;
    // Under CEILINGS an HSTS the policy does not send is the origin's, capped: neither sent nor stripped.
    if (op.kind === "remove" && op.cap !== undefined) continue;
    (op.kind === "remove" ? removes : sends).push(op.name);
  }
  return { sends, removes };
}

function describeRules(document: PolicyDocument): string[] {
  return (document.rules ?? []).map((rule) =>
    rule.contentType === undefined ? rule.path : `${rule.path} (${rule.contentType.join(", ")})`,
  );
}

/** One environment judged, with the document when one was given. */
interface Verdict {
  readonly environment: Environment;
  readonly file: string | undefined;
  readonly check: DocumentCheck | undefined;
  readonly ok: boolean;
  /** The grade per sample path, for a valid document. */
  readonly grades: readonly PathGrade[] | undefined;
}

/** What every request gets from the Worker with these bindings, when they refuse them all; else null. */
function everyRequest(environment: Environment): { status: number; event: string; hint: string } | null {
  return refusalForEveryRequest(environment.config) ?? null;
}

/** Where an environment's vars are written, for a message that says where to set one. */
function varsOf(environment: Environment): string {
  if (environment.name === undefined) return "the bindings";
  return environment.name === "" ? "[vars] (the top level)" : `[env.${environment.name}] vars`;
}

function environmentJson(environment: Environment): unknown {
  const { label, name, issues, warnings, overrides, hasPolicyKv } = environment;
  return {
    label,
    name: name ?? null,
    valid: issues.length === 0,
    issues,
    warnings,
    overrides,
    hasPolicyKv: hasPolicyKv ?? null,
    everyRequest: everyRequest(environment),
  };
}

function gradesJson(grades: readonly PathGrade[]): unknown {
  return grades.map(({ path, contentType, report }) => ({ path, contentType, ...gradeJson(report) }));
}

function toJson({ environment, file, check, ok, grades }: Verdict): unknown {
  const base = { environment: environmentJson(environment), valid: ok };
  if (file === undefined || check === undefined) return base;
  if (check.stage !== "rules") return { ...base, file, stage: check.stage, issues: check.issues };
  const { sends, removes } = ownedHeaders(check.policy);
  return {
    ...base,
    file,
    rules: describeRules(check.document),
    sends,
    removes,
    conflicts: check.conflicts,
    caps: check.caps.map((cap) => ({ ...cap, message: describeCap(cap) })),
    patternWarnings: splatReachWarnings(check.policy),
    warnings: ruleWarnings(check.policy, "KV"),
    nonceMarker: markerNote(check.policy),
    bundleWarnings: policyBundleWarnings(check.policy),
    grades: gradesJson(grades ?? []),
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function renderEnvironment(environment: Environment, io: Io): void {
  const { style } = io;
  io.out(`${style.bold("Environment")} ${printable(describeEnvironment(environment))}\n`);
  for (const warning of environment.warnings) io.out(`  ${style.yellow("warning:")} ${printable(warning)}\n`);
  const refused = everyRequest(environment);
  if (refused !== null) {
    io.out(
      `  ${style.red(style.bold(`✗ this Worker answers EVERY request ${refused.status} (${refused.event})`))}: ORIGIN_URL and ALLOWED_HOSTS ` +
        `are both unset in ${printable(varsOf(environment))}. Set ORIGIN_URL to the origin server (required with wrangler dev ` +
        `and on workers.dev), or ALLOWED_HOSTS to the route's hosts, there or with wrangler deploy --var.\n`,
    );
  }
  if (environment.hasPolicyKv === false)
    io.out(`  ${style.yellow("note:")} no POLICY_KV binding here: this Worker never reads a KV document\n`);
  if (environment.issues.length === 0) return;
  io.out(
    `${style.red("✗")} the bindings have ${plural(environment.issues.length, "issue")}; the Worker logs them and uses the safe fallback for each:\n`,
  );
  for (const issue of environment.issues) io.out(`  ${renderIssue(issue, style)}\n`);
  if (ceilingsFailed(environment.issues)) io.out(`  ${style.red("→")} the Worker serves ${STRICTEST_CEILINGS_SERVE}\n`);
}

function renderIssues(title: string, issues: readonly PolicyIssue[], style: Style, io: Io): void {
  io.out(`${style.red("✗")} ${title}: ${plural(issues.length, "issue")}\n`);
  for (const issue of issues) io.out(`  ${renderIssue(issue, style)}\n`);
}

/** One line per sample path with its grade; under it, that path's weaknesses and their fixes. */
function renderGrades(grades: readonly PathGrade[], io: Io): void {
  const { style } = io;
  io.out(`  grade on https ${style.dim(`(${OFFLINE_SCOPE})`)}:\n`);
  const label = (g: PathGrade) => `${g.path}${g.contentType === PAGE_TYPE ? "" : ` (${g.contentType})`}`;
  const width = Math.max(...grades.map((g) => printable(label(g)).length));
  // Paths with the same weaknesses (every path under a Report-Only CSP, say) list them once.
  const shown = new Map<string, string>();
  for (const grade of grades) {
    io.out(`    ${printable(label(grade)).padEnd(width)}  ${styleGrade(grade.report, style)}\n`);
    const weak = grade.report.findings.filter((f) => f.severity === "weakness");
    if (weak.length === 0) continue;
    const key = JSON.stringify(weak);
    const first = shown.get(key);
    if (first !== undefined) io.out(`      ${style.dim(`the same weaknesses as ${printable(first)}`)}\n`);
    else renderFindings(grade.report, io, "      ", true);
    shown.set(key, first ?? label(grade));
  }
}

function renderDocument(file: string, check: DocumentCheck, io: Io, grades: readonly PathGrade[] | undefined): void {
  const { style } = io;
  const name = printable(file);
  if (check.stage !== "rules") {
    renderIssues(
      `${name} is not valid${check.stage === "parse" ? "" : " when compiled over the built-in defaults and this environment's POLICY"}`,
      check.issues,
      style,
      io,
    );
    io.out(
      onlyDuplicateKeys(check.issues)
        ? "push would not store this document; the Worker would apply only the last copy of each repeated key.\n"
        : "The Worker would not apply this document; the layers below it would keep serving.\n",
    );
    return;
  }
  if (check.conflicts.length > 0) {
    io.out(`${style.red("✗")} ${name}: rules that cannot be applied together (the Worker would skip the later one on such paths)\n`);
    for (const conflict of check.conflicts) {
      io.out(
        `  on ${printable(conflict.path)}${conflict.contentType === null ? "" : ` (${printable(conflict.contentType)})`}: ${printable(conflict.rules.join(", "))}\n`,
      );
      for (const issue of conflict.issues) io.out(`    ${renderIssue(issue, style)}\n`);
    }
    return;
  }
  const rules = describeRules(check.document);
  const { sends, removes } = ownedHeaders(check.policy);
  io.out(`${style.green("✓")} ${name} is valid\n`);
  io.out(`  rules: ${rules.length}${rules.length > 0 ? ` (${printable(rules.join(", "))})` : ""}\n`);
  const preset = check.policy.preset;
  if (preset !== undefined) io.out(`  preset: ${preset} (over the built-in defaults; the document's own fields layer over it)\n`);
  io.out(`  headers owned on https in this environment: ${sends.length} sent (${printable(sends.join(", "))})\n`);
  io.out(`  headers removed: ${removes.length} (${printable(removes.join(", "))})\n`);
  const note = markerNote(check.policy);
  if (note !== null) io.out(`  ${note}\n`);
  // Not a defect: the Worker caps these values in this environment, and the document is valid elsewhere.
  for (const cap of check.caps) io.out(`  ${style.yellow("capped:")} ${printable(describeCap(cap))}\n`);
  for (const warning of splatReachWarnings(check.policy)) io.out(`  ${style.yellow("warning:")} ${printable(warning)}\n`);
  for (const warning of policyBundleWarnings(check.policy)) {
    io.out(`  ${style.yellow("warning:")} ${printable(warning.where)} "${printable(warning.bundle)}": ${printable(warning.message)}\n`);
  }
  // Warnings do not fail validate: the Worker applies the rules as written.
  for (const w of ruleWarnings(check.policy, "KV")) io.out(`  ${style.yellow("warning:")} ${printable(w.rule)}: ${printable(w.message)}\n`);
  if (grades !== undefined) renderGrades(grades, io);
}

/** The environments to judge: the one named (or the default), or every one the configuration defines. */
function environmentsToJudge(values: EnvironmentFlags & { "all-envs"?: boolean | undefined }, io: Io): (string | undefined)[] {
  if (values["all-envs"] !== true) return [values.env];
  if (values.env !== undefined) throw new UsageError("--all-envs and --env: choose one");
  const file = values.config ?? findWranglerConfig(io.cwd);
  if (file === undefined)
    throw new UsageError("--all-envs: no wrangler.toml (or wrangler.json) here or in a parent directory; give its path with --config");
  return ["", ...environmentNames(readWranglerConfig(file))];
}

async function run(args: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandLine(args, {
    ...ENVIRONMENT_OPTIONS,
    "all-envs": { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.out(HELP);
    return EXIT.ok;
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
  const file = positionals[0];
  if (file === undefined && values.env === undefined && values["all-envs"] !== true)
    throw new UsageError("missing <file> (or --env NAME / --all-envs to check the bindings alone)");
  const text = file === undefined ? undefined : (await readPolicyFile(file)).text;
  const verdicts: Verdict[] = [];
  for (const name of environmentsToJudge(values, io)) {
    const environment = await loadEnvironment({ ...values, env: name }, io);
    const check = text === undefined ? undefined : checkDocument(text, environment.config);
    const grades = check?.ok === true ? await gradePolicy(check.policy) : undefined;
    verdicts.push({ environment, file, check, ok: environment.issues.length === 0 && (check?.ok ?? true), grades });
  }
  const ok = verdicts.every((v) => v.ok);
  if (values.json === true) {
    const [only] = verdicts;
    io.out(
      `${printableJson(values["all-envs"] === true || only === undefined ? { valid: ok, environments: verdicts.map(toJson) } : toJson(only))}\n`,
    );
    return ok ? EXIT.ok : EXIT.defect;
  }
  verdicts.forEach((verdict, i) => {
    if (i > 0) io.out("\n");
    renderEnvironment(verdict.environment, io);
    if (verdict.file !== undefined && verdict.check !== undefined) renderDocument(verdict.file, verdict.check, io, verdict.grades);
    else if (verdict.environment.issues.length === 0)
      io.out(
        everyRequest(verdict.environment) === null
          ? `${io.style.green("✓")} the bindings are valid\n`
          : `${io.style.yellow("!")} the bindings are valid, but this Worker serves nothing until one of the two is set\n`,
      );
  });
  return ok ? EXIT.ok : EXIT.defect;
}

export const validateCommand: Command = {
  name: "validate",
  summary: "check an environment's bindings and a policy document the way the Worker does",
  help: HELP,
  run,
};
