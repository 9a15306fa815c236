// What `scan` says about the policy it wrote: the Worker's own validation (what the Worker decides on before
// applying it), and the grade each path earns through `check`'s grading (gradeDocument: the Observatory's
// score, worked out offline from the headers the Worker would send with this document in KV).

import type { EnvConfig } from "../../../src/core/policy/parse-env.js";
import type { DocumentCheck } from "../documents.js";
import { markerNote } from "../documents.js";
import type { GradeReport } from "../grade/grade.js";
import { gradeDocument } from "../grade/policy-grade.js";

/** One sample path's grade, and the weaknesses the graders found there (what would raise it). */
export interface PathGradeLine {
  readonly path: string;
  readonly grade: string | null;
  readonly score: number | null;
  /** Why there is no grade (the Observatory does not grade such a response). */
  readonly ungraded?: string | undefined;
  /** Each weakness as "header: message (fix: …)". */
  readonly weaknesses?: readonly string[] | undefined;
}

/** What `scan` prints under "Policy", and its --json carries as `grade`. */
export interface PolicyGrade {
  /** The Worker's own validator accepts the document (it would apply it). */
  readonly valid: boolean;
  /** The validation: its issues, or that it is valid and what it needs (the NONCE_MARKER secret). */
  readonly lines: readonly string[];
  /** The grade each sample path earns (the base at "/", and each rule's path); empty for an invalid document. */
  readonly paths: readonly PathGradeLine[];
}

/** Grade the generated document (`text`, as `check` found it under `env`) as the Worker would serve it over https. */
export async function gradePolicy(check: DocumentCheck, text: string, env: EnvConfig): Promise<PolicyGrade> {
  if (!check.ok) {
    const issues = check.stage === "rules" ? check.conflicts.flatMap((c) => c.issues) : check.issues;
    const lines = issues.map((issue) => `${issue.path || "(document)"}: expected ${issue.message}, received ${issue.received}`);
    return { valid: false, lines, paths: [] };
  }
  const lines = ["valid: the Worker's own validator accepts it, so it would apply it"];
  const note = markerNote(check.policy);
  if (note !== null) lines.push(note);
  const grades = (await gradeDocument(text, env)) ?? [];
  return { valid: true, lines, paths: grades.map(({ path, report }) => pathLine(path, report)) };
}

function pathLine(path: string, report: GradeReport): PathGradeLine {
  const weaknesses = report.findings.filter((f) => f.severity === "weakness").map((f) => `${f.header}: ${f.message} (fix: ${f.fix})`);
  return { path, grade: report.grade, score: report.score, ungraded: report.ungraded ?? undefined, weaknesses };
}
