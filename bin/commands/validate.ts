// `validate <file>`: every issue in a policy document, as the Worker would find them before applying it.

import type { PolicySource } from "../../src/core/compile-policy.js";
import type { CompiledPolicy, PolicyDocument } from "../../src/core/policy.js";
import { parseCommandLine, takePositionals, type Command } from "../support/command.js";
import { checkDocument, loadPolicyVar, readTextFile, renderIssue, type DocumentCheck } from "../support/documents.js";
import { EXIT, type ExitStatus, type Io } from "../support/io.js";
import { printable, printableJson } from "../support/printable.js";

const HELP = `Usage: security-headers-worker validate <file> [--policy-var FILE] [--json]

Validate a policy document the way the Worker does before applying it from KV:
  1. the document itself (types, header values, CSP sources, unknown keys),
  2. the document compiled over the built-in defaults (and a POLICY var, if given),
  3. rules that cannot be combined on a path both match (checked on a sample path per rule).
Every issue names its field path, what was expected and what was received.

Options:
  --policy-var FILE  a POLICY environment var document to layer under this one
  --json             print the result as JSON
  -h, --help         show this help

Exit status: 0 valid, 1 invalid (or the file cannot be read), 2 usage error.
`;

/** The headers a compiled policy writes and strips on an https response with no rule matching. */
export function ownedHeaders(policy: CompiledPolicy): { sends: string[]; removes: string[] } {
  const sends: string[] = [];
  const removes: string[] = [];
  for (const op of policy.base.https.ops) (op.kind === "remove" ? removes : sends).push(op.name);
  return { sends, removes };
}

function describeRules(document: PolicyDocument): string[] {
  return (document.rules ?? []).map((rule) => (rule.contentType === undefined ? rule.path : `${rule.path} (${rule.contentType.join(", ")})`));
}

function toJson(file: string, check: DocumentCheck): unknown {
  if (check.stage !== "rules") return { file, valid: false, stage: check.stage, issues: check.issues };
  const { sends, removes } = ownedHeaders(check.policy);
  return { file, valid: check.ok, rules: describeRules(check.document), sends, removes, conflicts: check.conflicts };
}

async function run(args: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandLine(args, {
    "policy-var": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.out(HELP);
    return EXIT.ok;
  }
  const [file = ""] = takePositionals(positionals, ["file"]);
  const below: PolicySource[] = [];
  const varFile = values["policy-var"];
  if (varFile !== undefined) below.push(loadPolicyVar(await readTextFile(varFile, "the POLICY var document"), varFile, io.errStyle));
  const check = checkDocument(await readTextFile(file, "the policy document"), { from: "KV", below });
  if (values.json === true) {
    io.out(`${printableJson(toJson(file, check))}\n`);
    return check.ok ? EXIT.ok : EXIT.defect;
  }
  const { style } = io;
  if (check.stage !== "rules") {
    const where = check.stage === "parse" ? "" : ` when compiled over the built-in defaults${below.length > 0 ? " and the POLICY var" : ""}`;
    io.out(`${style.red("✗")} ${printable(file)} is not valid${where}: ${check.issues.length} issue${check.issues.length === 1 ? "" : "s"}\n`);
    for (const issue of check.issues) io.out(`  ${renderIssue(issue, style)}\n`);
    io.out("The Worker would not apply this document; the layers below it would keep serving.\n");
    return EXIT.defect;
  }
  if (check.conflicts.length > 0) {
    io.out(`${style.red("✗")} ${printable(file)}: rules that cannot be applied together (the Worker would skip the later one on such paths)\n`);
    for (const conflict of check.conflicts) {
      io.out(`  on ${printable(conflict.path)}${conflict.contentType === null ? "" : ` (${printable(conflict.contentType)})`}: ${printable(conflict.rules.join(", "))}\n`);
      for (const issue of conflict.issues) io.out(`    ${renderIssue(issue, style)}\n`);
    }
    return EXIT.defect;
  }
  const rules = describeRules(check.document);
  const { sends, removes } = ownedHeaders(check.policy);
  io.out(`${style.green("✓")} ${printable(file)} is valid\n`);
  io.out(`  rules: ${rules.length}${rules.length > 0 ? ` (${printable(rules.join(", "))})` : ""}\n`);
  io.out(`  headers owned on https, over the built-in defaults${below.length > 0 ? " and the POLICY var" : ""}: ${sends.length} sent (${printable(sends.join(", "))})\n`);
  io.out(`  headers removed: ${removes.length} (${printable(removes.join(", "))})\n`);
  return EXIT.ok;
}

export const validateCommand: Command = { name: "validate", summary: "check a policy document the way the Worker does", help: HELP, run };
