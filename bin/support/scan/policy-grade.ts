// The seam where `scan` asks how good the generated policy is. Until `check` can grade a policy (the
// Observatory's score, worked out offline from the headers the policy sends), it answers with the policy's own
// validation, which is what the Worker decides on before applying it.

import type { DocumentCheck } from "../documents.js";
import { markerNote } from "../documents.js";

/** What `scan` prints under "Policy", and its --json carries as `grade`. */
export interface PolicyGrade {
  /** The Worker's own validator accepts the document (it would apply it). */
  readonly valid: boolean;
  /** The validation: its issues, or that it is valid and what it needs (the NONCE_MARKER secret). */
  readonly lines: readonly string[];
  /** The grade each sample path earns; empty until check's grading answers here. */
  readonly paths: readonly { readonly path: string; readonly grade: string | null; readonly score: number | null }[];
}

/**
 * Grade the generated document, as checked by the Worker's own validator, as the Worker would serve it. Where
 * `check`'s grading provides a grader for policy documents (its `gradeDocument(text)`: one grade per sample
 * path, or null when the Worker would not apply the document), call it here on the document's text and fill
 * `paths`; the report and --json already show them.
 */
export function gradePolicy(check: DocumentCheck): Promise<PolicyGrade> {
  const lines: string[] = [];
  if (!check.ok) {
    const issues = check.stage === "rules" ? check.conflicts.flatMap((c) => c.issues) : check.issues;
    for (const issue of issues) lines.push(`${issue.path || "(document)"}: expected ${issue.message}, received ${issue.received}`);
  } else {
    lines.push("valid: the Worker's own validator accepts it, so it would apply it");
    const note = markerNote(check.policy);
    if (note !== null) lines.push(note);
  }
  return Promise.resolve({ valid: check.ok, lines, paths: [] });
}
