// `hashes <file-or-url…>`: the sha256 of every inline script and style in some HTML, written into a
// rule's CSP, so a static site can run a hash-only policy that nothing injected can satisfy.

import { inlineHashes, withRuleHashes } from "../support/inline-hashes.js";
import { pathPatternProblem } from "../../src/core/policy/match-path.js";
import { integerOption, parseCommandLine, UsageError, type Command } from "../support/command.js";
import { checkDocument, readPolicyFile, renderIssue, writeTextFile } from "../support/documents.js";
import { DEFAULT_MAX_PAGE_BYTES, MAX_REDIRECTS, readPage } from "../support/read-page.js";
import { bareEnvironment } from "../support/environment.js";
import { EXIT, type ExitStatus, type Io } from "../support/io.js";
import { prettyJson } from "../support/json.js";
import { editJson } from "../support/json-edit.js";
import { printable } from "../support/printable.js";

const HELP = `Usage: security-headers-worker hashes <file-or-url>... [--path PATTERN] [--policy FILE] [--out FILE]

Compute the sha256 of every inline <script> and <style> in the given HTML pages (files, or http(s)
URLs fetched with GET) and write them as 'sha256-…' sources into a rule's csp.add (script-src,
style-src). Hashes from an earlier run of the same rule are replaced; other sources are kept.
A URL's redirects are followed only on the same host (and from http to https on it), at most
${MAX_REDIRECTS}; a redirect to another host is refused, so its scripts are never taken for this page's.

Options:
  --path PATTERN   the rule's path pattern (default: /*)
  --policy FILE    update the rule in this policy document (created if the rule is missing); the result
                   is validated and written back to FILE, or to --out. Only the rule's hash arrays change:
                   the rest of the file keeps its layout (indentation, key order, wrapping)
  --out FILE       where to write the document (default: the --policy file, or stdout without --policy)
  --no-styles      hash scripts only
  --timeout MS     for URLs (default 15000)
  --max-bytes N    the most a page may hold, file or URL (default ${DEFAULT_MAX_PAGE_BYTES}, 8 MiB); a URL's body is
                   streamed and dropped at the cap, and the command fails saying so
  -h, --help       show this help

Inline event handlers (onclick=…) cannot be allowed by a hash without 'unsafe-hashes'; they are
counted and reported.

Exit status: 0 written, 1 a page could not be read or the result is invalid, 2 usage error.
`;

async function run(args: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandLine(args, {
    path: { type: "string" },
    policy: { type: "string" },
    out: { type: "string" },
    "no-styles": { type: "boolean" },
    timeout: { type: "string" },
    "max-bytes": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.out(HELP);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError("missing <file-or-url>");
  const path = values.path ?? "/*";
  const problem = pathPatternProblem(path);
  if (problem !== undefined) throw new UsageError(`--path: expected ${problem}, received ${JSON.stringify(path)}`);
  const timeoutMs = integerOption("timeout", values.timeout, 1, 600_000, 15_000);
  const maxBytes = integerOption("max-bytes", values["max-bytes"], 1, 1 << 30, DEFAULT_MAX_PAGE_BYTES);

  const scripts: string[] = [];
  const styles: string[] = [];
  let handlers = 0;
  for (const source of positionals) {
    const found = await inlineHashes(await readPage(source, { timeoutMs, maxBytes }));
    scripts.push(...found.scripts);
    if (values["no-styles"] !== true) styles.push(...found.styles);
    handlers += found.handlers;
    io.err(
      `${printable(source)}: ${found.scripts.length} inline script${found.scripts.length === 1 ? "" : "s"}, ${found.styles.length} style${found.styles.length === 1 ? "" : "s"}\n`,
    );
  }
  if (handlers > 0) {
    io.err(
      `${io.errStyle.yellow("!")} ${handlers} inline event handler${handlers === 1 ? "" : "s"} (onclick=…): a hash policy blocks them; move them into scripts\n`,
    );
  }
  const hashes = { scripts: [...new Set(scripts)], styles: [...new Set(styles)] };

  if (values.policy === undefined) {
    const rule = withRuleHashes({ rules: [] as { path: string; csp?: unknown }[] }, path, hashes).rules[0];
    const json = `${prettyJson(rule)}\n`;
    if (values.out === undefined) io.out(json);
    else await writeTextFile(values.out, json);
    return EXIT.ok;
  }
  const { text: original, bom } = await readPolicyFile(values.policy);
  const check = checkDocument(original, bareEnvironment().config);
  if (check.stage === "parse") {
    io.err(`${io.errStyle.red("✗")} ${printable(values.policy)} is not a valid policy document; fix it first:\n`);
    for (const issue of check.issues) io.err(`  ${renderIssue(issue, io.errStyle)}\n`);
    return EXIT.defect;
  }
  const off = (check.document.rules ?? []).findIndex((rule) => rule.path === path && rule.csp === false);
  if (off !== -1) {
    // Adding hashes would turn the rule's "no CSP here" into a CSP: a change of meaning, not an edit.
    io.err(
      `${io.errStyle.red("✗")} rules[${off}] (${printable(path)}) sets "csp": false, so no CSP is sent there and hashes have nothing to go in; remove "csp": false from that rule first if the page should have a CSP. Nothing written.\n`,
    );
    return EXIT.defect;
  }
  const updated = withRuleHashes(check.document, path, hashes);
  const json = editJson(original, updated, hashPaths(updated.rules ?? [], path));
  const after = checkDocument(json, bareEnvironment().config);
  if (!after.ok) {
    io.err(`${io.errStyle.red("✗")} the document with these hashes does not validate; nothing written:\n`);
    for (const issue of after.stage === "rules" ? after.conflicts.flatMap((c) => c.issues) : after.issues)
      io.err(`  ${renderIssue(issue, io.errStyle)}\n`);
    return EXIT.defect;
  }
  const out = values.out ?? values.policy;
  // The file keeps its byte order mark: the only change is the hashes.
  await writeTextFile(out, bom ? `\uFEFF${json}` : json);
  io.out(
    `wrote ${printable(out)}: rule ${printable(path)} allows ${hashes.scripts.length} script and ${hashes.styles.length} style hash${hashes.styles.length === 1 ? "" : "es"}\n`,
  );
  return EXIT.ok;
}

/** Where the hashes live: only these arrays change in the user's file, the rest keeps its formatting. */
function hashPaths(rules: readonly { path: string }[], path: string): (string | number)[][] {
  const index = rules.findIndex((rule) => rule.path === path);
  return ["script-src", "style-src"].map((directive) => ["rules", index, "csp", "add", directive]);
}

export const hashesCommand: Command = {
  name: "hashes",
  summary: "write the sha256 of inline scripts and styles into a rule's CSP",
  help: HELP,
  run,
};
