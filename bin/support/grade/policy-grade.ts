// The grade a compiled policy earns, path by path: the headers `explain` computes for an https request (the
// Worker's own planHeaders and applyHeaders on a simulated origin that sends only a Content-Type), scored
// offline. validate shows it; push compares it with what KV holds now.

import { explain, explainedHeaders } from "../explain-response.js";
import type { EnvConfig } from "../../../src/core/policy/parse-env.js";
import type { CompiledPolicy } from "../../../src/core/policy/types.js";
import { checkDocument, samplePath } from "../documents.js";
import { bareEnvironment } from "../environment.js";
import { gradeAtLeast, type GradeReport } from "./grade.js";
import { gradeHeaders } from "./offline.js";

/** What the simulated origin answers when a rule names no content type. */
export const PAGE_TYPE = "text/html; charset=utf-8";

/** One request a policy is graded on: a path and the origin's Content-Type. */
export interface GradeSample {
  readonly path: string;
  readonly contentType: string;
}

export interface PathGrade extends GradeSample {
  readonly report: GradeReport;
}

/** Grade one path of a policy as a 200 answer of `contentType`. */
export function gradePolicyPath(policy: CompiledPolicy, sample: GradeSample): Promise<GradeReport> {
  const explanation = explain(
    policy,
    { https: true, path: sample.path, contentType: sample.contentType },
    200,
    [["Content-Type", sample.contentType]],
    { environment: "", layers: [] },
  );
  return gradeHeaders(explainedHeaders(explanation), sample.path, 200);
}

/**
 * Representative requests: "/" (the base, where no rule matches), and each rule's sample path (placeholders
 * and splats filled with "x") with each content type the rule is limited to, or an HTML page.
 */
export function gradeSamples(...policies: readonly CompiledPolicy[]): GradeSample[] {
  const samples = new Map<string, GradeSample>();
  const add = (path: string, contentType: string) => samples.set(`${contentType} ${path}`, { path, contentType });
  add("/", PAGE_TYPE);
  for (const policy of policies) {
    for (const rule of policy.rules) {
      const path = samplePath(rule.pattern);
      for (const type of rule.contentTypes ?? [PAGE_TYPE]) add(path, type.replace(/\/\*$/, "/x"));
    }
  }
  return [...samples.values()];
}

/** Grade each sample (in turn: the grader is synchronous work, and output follows this order). */
export async function gradePolicy(policy: CompiledPolicy, samples: readonly GradeSample[] = gradeSamples(policy)): Promise<PathGrade[]> {
  const grades: PathGrade[] = [];
  for (const sample of samples) grades.push({ ...sample, report: await gradePolicyPath(policy, sample) });
  return grades;
}

/**
 * The grade per sample path of a policy document (JSON text) as a Worker with these bindings (default: none,
 * the built-in defaults below it) would apply it from KV; null when it would not apply it. For tools that
 * write documents (scan) and want to show what theirs earns.
 */
export async function gradeDocument(text: string, env: EnvConfig = bareEnvironment().config): Promise<PathGrade[] | null> {
  const check = checkDocument(text, env);
  return check.stage === "rules" ? gradePolicy(check.policy) : null;
}

/** A path whose grade the new policy lowers. */
export interface Weakening extends GradeSample {
  readonly before: GradeReport;
  readonly after: GradeReport;
}

/** The samples on which `next` earns a lower grade than `current` (a path the Observatory cannot grade is skipped). */
export async function weakenings(current: CompiledPolicy, next: CompiledPolicy): Promise<Weakening[]> {
  const found: Weakening[] = [];
  for (const sample of gradeSamples(current, next)) {
    const before = await gradePolicyPath(current, sample);
    const after = await gradePolicyPath(next, sample);
    if (before.grade === null || after.grade === null || gradeAtLeast(after.grade, before.grade)) continue;
    found.push({ ...sample, before, after });
  }
  return found;
}
