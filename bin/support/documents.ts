// Read policy documents and validate them as the Worker would: schema, then compiled as the KV document
// of one environment (its POLICY var and options, through the Worker's own compileEnvironment), then the
// rule combinations sample paths reach (some conflicts only appear when two rules apply).

import { readFile, writeFile } from "node:fs/promises";
import type { Cap } from "../../src/core/policy/ceilings.js";
import { compileEnvironment } from "../../src/core/policy/compile-environment.js";
import { decodeDocument, hasByteOrderMark } from "../../src/core/policy/decode-document.js";
import type { RejectedLayer } from "../../src/core/policy/types.js";
import type { EnvConfig } from "../../src/core/policy/parse-env.js";
import { parsePolicyJson } from "../../src/core/policy/parse-policy.js";
import { parsePruned } from "../../src/core/policy/parse-pruned.js";
import { planHeaders } from "../../src/core/policy/plan-headers.js";
import type { CompiledPolicy, PolicyDocument, RejectedCombination } from "../../src/core/policy/types.js";
import type { PolicyIssue } from "../../src/core/shared/result.js";
import { CommandError } from "./command.js";
import { duplicateKeyIssues } from "../../src/core/shared/duplicate-keys.js";
import type { Style } from "./io.js";
import { printable } from "./printable.js";
import { errorMessage } from "../../src/core/shared/text.js";

/** Read a text file, or fail with a message naming the file and what it was for. */
export async function readTextFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new CommandError(`cannot read ${what} ${JSON.stringify(path)}: ${fileError(error)}`);
  }
}

/** Why a file could not be read, in words. */
function fileError(error: unknown): string {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  return code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : errorMessage(error);
}

/** A policy document file as the Worker would read it from KV (strict UTF-8, a byte order mark dropped);
 *  `bom` says whether the file had one, so a command rewriting it can keep it. */
export async function readPolicyFile(path: string): Promise<{ readonly text: string; readonly bom: boolean }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new CommandError(`cannot read the policy document ${JSON.stringify(path)}: ${fileError(error)}`);
  }
  try {
    return { text: decodeDocument(bytes), bom: hasByteOrderMark(bytes) };
  } catch {
    throw new CommandError(`${JSON.stringify(path)} is not valid UTF-8, which the Worker requires to apply a document`);
  }
}

/** Write a file the command was told to write (--out, the document it updates); a failure names the file. */
export async function writeTextFile(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (error) {
    throw new CommandError(`cannot write ${JSON.stringify(path)}: ${errorMessage(error)}`);
  }
}

/** Two or more rules that cannot be applied together on a path: the Worker skips the later ones there. */
export interface RuleConflict {
  readonly path: string;
  readonly contentType: string | null;
  readonly rules: readonly string[];
  readonly issues: readonly PolicyIssue[];
}

export type DocumentCheck =
  | { readonly ok: false; readonly stage: "parse"; readonly issues: readonly PolicyIssue[] }
  | {
      readonly ok: false;
      readonly stage: "compile";
      readonly document: PolicyDocument;
      /** Issues only visible once the document sits on the layers below it. */
      readonly issues: readonly PolicyIssue[];
    }
  | {
      readonly ok: boolean;
      readonly stage: "rules";
      readonly document: PolicyDocument;
      readonly policy: CompiledPolicy;
      /** Rule combinations the Worker would have to skip a rule for; `ok` is false when there are any. */
      readonly conflicts: readonly RuleConflict[];
      /** The values the environment's CEILINGS lower (the Worker caps them; the document stays valid). */
      readonly caps: readonly Cap[];
    };

/** The layer name the Worker gives the KV document. */
const FROM = "KV";

/** Validate document text the way the Worker with these bindings would before applying it from KV; a key
 *  repeated in an object is an error too (the Worker reads the last copy), unless `asStored` says to judge
 *  a document already in KV exactly as the Worker does. */
export function checkDocument(text: string, env: EnvConfig, asStored = false): DocumentCheck {
  const parsed = parsePolicyJson(text);
  if (!parsed.ok) return { ok: false, stage: "parse", issues: [...parsed.issues, ...compileIssuesOfTheRest(text, env, parsed.issues)] };
  const duplicates = asStored ? [] : duplicateKeyIssues(text);
  if (duplicates.length > 0) return { ok: false, stage: "parse", issues: duplicates };
  const document = parsed.value;
  const combinations: RejectedCombination[] = [];
  // The CLI cannot read the Worker's secrets: a marked nonce without nonce.marker is taken to use NONCE_MARKER.
  const { policy, rejected, caps } = compileEnvironment(
    env,
    document,
    { onRejected: (combination) => combinations.push(combination) },
    true,
  );
  const own = rejected.filter((layer: RejectedLayer) => layer.from === FROM);
  if (own.length > 0) return { ok: false, stage: "compile", document, issues: own.flatMap((layer) => layer.issues) };
  const conflicts = findRuleConflicts(policy, FROM, combinations);
  return { ok: conflicts.length === 0, stage: "rules", document, policy, conflicts, caps };
}

/**
 * The issues compiling shows (HSTS preload without its requirements, a rule that fails on its base, …) in
 * what remains of an invalid document once every part the schema rejected is taken out: so one run of
 * validate reports them beside the schema's, instead of after those are fixed.
 */
function compileIssuesOfTheRest(text: string, env: EnvConfig, reported: readonly PolicyIssue[]): PolicyIssue[] {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    return [];
  }
  const rest = parsePruned(input);
  if (rest === undefined) return [];
  const { rejected } = compileEnvironment(env, rest, {}, true);
  const seen = new Set(reported.map((issue) => `${issue.path}\n${issue.message}`));
  return rejected
    .filter((layer) => layer.from === FROM)
    .flatMap((layer) => layer.issues)
    .filter((issue) => !seen.has(`${issue.path}\n${issue.message}`));
}

/**
 * A line for the user about the marker of marked nonces, or null when the policy has none: where the
 * Worker takes it from, and what it needs for that. The marker's value is never shown.
 */
export function markerNote(policy: CompiledPolicy): string | null {
  const scope = policy.marker;
  if (scope === null) return null;
  return scope.from === "NONCE_MARKER"
    ? "marked nonces use the NONCE_MARKER secret: the Worker needs it set (`npx wrangler secret put NONCE_MARKER`, .dev.vars locally), or it does not apply this document"
    : "marked nonces use the marker in this document (nonce.marker): keep the document as private as the marker, or move it to the NONCE_MARKER secret";
}

/** A path each pattern matches: placeholders and splats filled with "x". */
export function samplePath(pattern: string): string {
  return pattern
    .split("/")
    .map((segment) => (segment.startsWith(":") ? "x" : segment.replaceAll("*", "x")))
    .join("/");
}

/**
 * Plan a sample path for every rule and every content type the rules name, collecting the combinations
 * the core had to skip a rule for. Not exhaustive (a path can match rules in ways no sample reaches), but
 * it covers each rule together with everything that matches its own sample.
 */
function findRuleConflicts(policy: CompiledPolicy, from: string, sink: RejectedCombination[]): RuleConflict[] {
  const types = new Set<string | null>([null, "text/html"]);
  for (const rule of policy.rules) for (const range of rule.contentTypes ?? []) types.add(range.replace(/\/\*$/, "/x"));
  const conflicts: RuleConflict[] = [];
  const seen = new Set<string>();
  for (const rule of policy.rules) {
    if (!rule.from.startsWith(`${from}.`)) continue;
    const path = samplePath(rule.pattern);
    for (const contentType of types) {
      sink.length = 0;
      planHeaders(policy, { https: true, path, contentType });
      for (const combination of sink) {
        const key = JSON.stringify([combination.rules, combination.issues]);
        if (seen.has(key)) continue;
        seen.add(key);
        conflicts.push({ path, contentType, rules: combination.rules, issues: combination.issues });
      }
    }
  }
  return conflicts;
}

/** One issue as a line: where, what was expected, what was there (quoted from the document: escaped). */
export function renderIssue(issue: PolicyIssue, style: Style): string {
  const where = issue.path === "" ? "(document)" : printable(issue.path);
  return `${style.bold(where)}: expected ${printable(issue.message)}, received ${printable(issue.received)}`;
}
