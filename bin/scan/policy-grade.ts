// The seam where `scan` asks how good the generated policy is. Until `check` can grade a policy (the
// Observatory's score, worked out offline from the headers the policy sends), it answers with the policy's own
// validation, which is what the Worker decides on before applying it.

import type { DocumentCheck } from "../support/documents.js";
import { markerNote } from "../support/documents.js";

/** What `scan` prints under "Grade". */
export type PolicyGrade =
  | { readonly kind: "grade"; readonly grade: string; readonly score: number; readonly findings: readonly string[] }
  | { readonly kind: "validation"; readonly valid: boolean; readonly lines: readonly string[] };

/**
 * Grade the generated document as the Worker would serve it. The grading of `check` replaces the body of this
 * function (return `{ kind: "grade", … }`); the callers already print either kind.
 */
export function gradePolicy(check: DocumentCheck): Promise<PolicyGrade> {
  const lines: string[] = [];
  if (!check.ok) {
    const issues = check.stage === "rules" ? check.conflicts.flatMap((c) => c.issues) : check.issues;
    for (const issue of issues) lines.push(`${issue.path || "(document)"}: expected ${issue.message}, received ${issue.received}`);
  } else {
    lines.push("valid: the Worker's own validator accepts it, so it would apply it");
    const note = check.stage === "rules" ? markerNote(check.policy) : null;
    if (note !== null) lines.push(note);
  }
  return Promise.resolve({ kind: "validation", valid: check.ok, lines });
}
