// Unknown JSON → a validated policy document, or every issue in it, each with its path.

import * as v from "valibot";
import { markersIn, redactedMarker, redactMarkers } from "../nonce/nonce-marker.js";
import { PolicyDocumentSchema, type PolicyDocument } from "./policy-schema.js";
import { renderIssuePath } from "./schema-kit.js";
import { RECEIVED_MAX, renderReceived, type PolicyIssue, type Result } from "../shared/result.js";
import { cut, errorMessage } from "../shared/text.js";

/** Largest policy document the Worker reads from KV (and the CLI pushes): larger ones are refused unread. */
export const MAX_POLICY_BYTES = 1 << 20;

/** Validate a parsed JSON value as a policy document, collecting every issue. Never throws. */
export function parsePolicy(input: unknown): Result<PolicyDocument> {
  let result: v.SafeParseResult<typeof PolicyDocumentSchema>;
  try {
    result = v.safeParse(PolicyDocumentSchema, input, { abortEarly: false, abortPipeEarly: false });
  } catch (error) {
    // A schema bug must not take the Worker down: report it as an issue so the document is not applied.
    return { ok: false, issues: [{ path: "", message: "a document the validator can read", received: String(error) }] };
  }
  if (result.success) return { ok: true, value: result.output };
  // A marker is a secret: no issue shows it, not even one about a neighbouring field or the whole rule.
  const markers = markersIn(input);
  return { ok: false, issues: result.issues.map((issue) => toPolicyIssue(issue, markers)) };
}

/** Parse JSON text, then validate it; a syntax error is one issue at the document's root. */
export function parsePolicyJson(text: string): Result<PolicyDocument> {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      issues: [{ path: "", message: `valid JSON (${errorMessage(error)})`, received: renderReceived(text) }],
    };
  }
  return parsePolicy(input);
}

function toPolicyIssue(issue: v.BaseIssue<unknown>, markers: ReadonlySet<string>): PolicyIssue {
  const path = renderIssuePath(issue.path);
  let received: string;
  if (path === "nonce.marker" || path.endsWith(".nonce.marker")) received = redactedMarker(issue.input);
  else if (issue.type === "raw_check" || (issue.type === "strict_object" && issue.expected === "never")) {
    received = cut(redactText(issue.received, markers), RECEIVED_MAX);
  } else received = renderReceived(redactMarkers(issue.input, markers));
  return { path, message: issue.message, received };
}

function redactText(text: string, markers: ReadonlySet<string>): string {
  let out = text;
  for (const marker of markers) out = out.replaceAll(marker, redactedMarker(marker));
  return out;
}
