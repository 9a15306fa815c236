// `pull`: read the policy document the Worker uses from KV with wrangler, exactly as stored, and say
// whether the Worker can apply it.

import { parseCommandLine, takePositionals, type Command } from "../support/command.js";
import { checkDocument, renderIssue, writeTextFile } from "../support/documents.js";
import { loadEnvironment } from "../support/environment.js";
import { readStoredDocument } from "../support/kv-document.js";
import { EXIT, type ExitStatus, type Io } from "../support/io.js";
import { printable, printableDocument } from "../support/printable.js";
import { describeTarget, KV_TARGET_OPTIONS, kvTarget, wranglerBinary, WRANGLER_ENV } from "../support/wrangler.js";

const HELP = `Usage: security-headers-worker pull [--out FILE] [--env NAME] [--local|--remote] [--key K] [--persist-to DIR]

Read the policy document from the POLICY_KV namespace, byte for byte, and write it to stdout or FILE:
  wrangler kv key get <key> --binding POLICY_KV [--env NAME] [--config FILE] [--local|--remote] [--persist-to DIR]
The document is then validated as that environment's Worker compiles it (its vars from wrangler.toml):
if the Worker could not apply it, the issues go to stderr (exit 1).

Options:
  --out FILE        write the document to FILE instead of stdout
  --key K           the KV key (default: the environment's POLICY_KV_KEY, else "policy")
  -e, --env NAME    a wrangler environment (e.g. staging; "" for the top level)
  -c, --config FILE the wrangler configuration (default: wrangler.json or wrangler.toml here or above)
  --local           local storage (wrangler dev's); wrangler 4's default when neither flag is given
  --remote          the deployed namespace
  --persist-to DIR  local storage directory (default .wrangler/state)
  -h, --help        show this help

Environment:
  ${WRANGLER_ENV}      the wrangler binary to run (default node_modules/.bin/wrangler)

Exit status: 0 pulled a valid document, 1 the key is missing, the document is invalid, or wrangler
failed, 2 usage error.
`;

async function run(args: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandLine(args, {
    ...KV_TARGET_OPTIONS,
    out: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.out(HELP);
    return EXIT.ok;
  }
  takePositionals(positionals, []);
  const environment = await loadEnvironment(values, io);
  const target = kvTarget(values, environment.config.kvKey);
  const stored = await readStoredDocument(wranglerBinary(io.env, io.cwd), target, io);
  if (!stored.found) {
    io.err(
      `${io.errStyle.red("✗")} ${printable(describeTarget(target))} does not exist: nothing was pulled. The Worker serves its env policy (POLICY and the built-in defaults).\n`,
    );
    return EXIT.defect;
  }
  const text = stored.text;
  const out = values.out;
  // On stdout the document may reach a terminal: escaped (the same JSON value); --out writes it as stored.
  if (out === undefined) io.out(printableDocument(text));
  else {
    await writeTextFile(out, text);
    io.err(`pulled ${printable(describeTarget(target))} into ${printable(out)}\n`);
  }
  const check = checkDocument(text, environment.config);
  if (check.stage !== "rules") {
    io.err(`${io.errStyle.red("✗")} the stored document is not valid, so the Worker is not applying it:\n`);
    for (const issue of check.issues) io.err(`  ${renderIssue(issue, io.errStyle)}\n`);
    return EXIT.defect;
  }
  if (!check.ok) {
    io.err(`${io.errStyle.yellow("!")} the stored document has rules that cannot be combined on some paths; run \`validate\` on it\n`);
    return EXIT.defect;
  }
  return EXIT.ok;
}

export const pullCommand: Command = { name: "pull", summary: "read the policy document from POLICY_KV", help: HELP, run };
