// `import <file>`: convert a Cloudflare Pages or Netlify `_headers` file into a policy document, report
// what cannot be expressed, and validate the result the way `validate` does.

import { importHeadersFile } from "../support/import-headers-file.js";
import { parseCommandLine, takePositionals, type Command } from "../support/command.js";
import { checkDocument, readTextFile, renderIssue, writeTextFile } from "../support/documents.js";
import { bareEnvironment } from "../support/environment.js";
import { EXIT, type ExitStatus, type Io } from "../support/io.js";
import { prettyJson } from "../support/json.js";
import { printable } from "../support/printable.js";

const HELP = `Usage: security-headers-worker import <file> [--out FILE]

Convert a Cloudflare Pages or Netlify \`_headers\` file into a policy document with one rule per path
block, in the same order:
  /path, /path/:placeholder, /path/*   the rule's path (the same pattern syntax)
  Header: value                        headers["Header"] = { "value": "…", "action": "set" }
                                       (repeated lines of one header are joined with ", ")
  ! Header                             remove: ["Header"]
  Content-Security-Policy: …           csp: { "action": "set", "replace": true, "directives": … }
  Content-Security-Policy-Report-Only  cspReportOnly, likewise
  Strict-Transport-Security: …         hsts: { "action": "set", maxAge, includeSubDomains, preload }
Reported and skipped: patterns with a host (https://:project.pages.dev/*), headers the policy may
not own (Set-Cookie, Content-Type, …), lines that are neither a path nor an indented header.
Note: where several blocks match a path, Pages joins their values; the Worker's rules override
instead (the most specific rule wins). Check the result with \`explain\`.

Options:
  --out FILE  write the document to FILE (default: stdout); issues always go to stderr
  -h, --help  show this help

Exit status: 0 converted cleanly into a valid document, 1 something was skipped or the result is
invalid (the document is still written), 2 usage error.
`;

async function run(args: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandLine(args, { out: { type: "string" }, help: { type: "boolean", short: "h" } });
  if (values.help === true) {
    io.out(HELP);
    return EXIT.ok;
  }
  const [file = ""] = takePositionals(positionals, ["file"]);
  const { document, issues } = importHeadersFile(await readTextFile(file, "the _headers file"));
  const json = `${prettyJson(document)}\n`;
  const style = io.errStyle;
  if (issues.length > 0) {
    io.err(
      `${style.yellow("!")} ${issues.length} line${issues.length === 1 ? "" : "s"} of ${printable(file)} could not be converted as written:\n`,
    );
    for (const issue of issues)
      io.err(`  ${style.bold(`line ${issue.line}`)}: expected ${printable(issue.message)}, received ${printable(issue.received)}\n`);
  }
  const check = checkDocument(json, bareEnvironment().config);
  if (check.stage !== "rules") {
    io.err(`${style.red("✗")} the converted document is not valid:\n`);
    for (const issue of check.issues) io.err(`  ${renderIssue(issue, style)}\n`);
  } else if (!check.ok) {
    io.err(`${style.red("✗")} the converted document has rules that cannot be combined:\n`);
    for (const conflict of check.conflicts) {
      io.err(`  on ${printable(conflict.path)}: ${printable(conflict.rules.join(", "))}\n`);
      for (const issue of conflict.issues) io.err(`    ${renderIssue(issue, style)}\n`);
    }
  }
  const out = values.out;
  if (out === undefined) io.out(json);
  else {
    await writeTextFile(out, json);
    io.out(`wrote ${printable(out)}: ${document.rules.length} rule${document.rules.length === 1 ? "" : "s"} from ${printable(file)}\n`);
  }
  const clean = issues.length === 0 && check.ok;
  if (clean) io.err(`${style.green("✓")} ${printable(file)} converted into a valid policy document (${document.rules.length} rules)\n`);
  return clean ? EXIT.ok : EXIT.defect;
}

export const importCommand: Command = {
  name: "import",
  summary: "convert a Pages/Netlify _headers file into a policy document",
  help: HELP,
  run,
};
