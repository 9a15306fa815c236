// `push <file>`: validate a policy document as the target environment's Worker compiles it (its POLICY
// var, Report-Only, report endpoint), then put it into that environment's KV namespace with wrangler.
// An invalid document is refused before wrangler runs, so KV never holds a version the Worker would skip.

import { describeCap } from "../../src/core/policy/ceilings.js";
import { compileEnvironment } from "../../src/core/policy/compile-environment.js";
import { decodeDocument } from "../../src/core/policy/decode-document.js";
import { MAX_POLICY_BYTES } from "../../src/core/policy/parse-policy.js";
import type { CompiledPolicy } from "../../src/core/policy/types.js";
import { readFile } from "node:fs/promises";
import { CommandError, parseCommandLine, takePositionals, type Command } from "../support/command.js";
import { checkDocument, renderIssue } from "../support/documents.js";
import { describeEnvironment, loadEnvironment, type Environment } from "../support/environment.js";
import { PAGE_TYPE, weakenings, type Weakening } from "../support/grade/policy-grade.js";
import { describeGrade, renderFindings } from "../support/grade/render.js";
import { EXIT, type ExitStatus, type Io } from "../support/io.js";
import { readStoredDocument } from "../support/kv-document.js";
import { printable } from "../support/printable.js";
import {
  describeTarget,
  KV_TARGET_OPTIONS,
  kvTarget,
  plainOutput,
  runWrangler,
  targetFlags,
  wranglerBinary,
  WRANGLER_ENV,
} from "../support/wrangler.js";
import { errorMessage } from "../../src/core/shared/text.js";

/** The Worker refuses a larger document without reading it. */
const MAX_DOCUMENT_BYTES = MAX_POLICY_BYTES;

const HELP = `Usage: security-headers-worker push <file> [--env NAME] [--local|--remote] [--key K] [--persist-to DIR] [--allow-weaker]

Validate <file> like \`validate --env NAME\` does, as that environment's Worker compiles it (its vars
from wrangler.toml: the POLICY var, CSP_REPORT_ONLY, the report endpoint when REPORTS_ENABLED), and
only if it is valid, store it in that environment's POLICY_KV namespace:
  wrangler kv key put <key> --path <file> --binding POLICY_KV [--env NAME] [--config FILE] [--local|--remote] [--persist-to DIR]
An invalid document is refused and nothing is stored. So is a document that lowers the grade (the MDN
HTTP Observatory's score of the headers explain computes on https) of "/" or of a rule's sample path
below what the Worker serves now: the document in KV (read with wrangler kv key get), or without one,
the environment's POLICY and the built-in defaults. wrangler runs in the current directory, so run this
where wrangler.toml is.

Options:
  --key K           the KV key (default: the environment's POLICY_KV_KEY, else "policy")
  -e, --env NAME    a wrangler environment (e.g. staging; "" for the top level; default: CLOUDFLARE_ENV,
                    else the top level)
  -c, --config FILE the wrangler configuration (default: wrangler.json or wrangler.toml here or above)
  --local           local storage (wrangler dev's); wrangler 4's default when neither flag is given
  --remote          the deployed namespace
  --persist-to DIR  local storage directory (default .wrangler/state); use the same one as wrangler dev
  --allow-weaker    push even if the grade of a path drops (KV is then not read first)
  -h, --help        show this help

Environment:
  ${WRANGLER_ENV}      the wrangler binary to run (default node_modules/.bin/wrangler)

Exit status: 0 stored, 1 invalid or weaker document (nothing stored) or wrangler failed, 2 usage error.
`;

async function readDocumentBytes(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new CommandError(`cannot read the policy document ${JSON.stringify(file)}: ${errorMessage(error)}`);
  }
  if (bytes.length > MAX_DOCUMENT_BYTES) {
    throw new CommandError(`${file} is ${bytes.length} bytes; the Worker reads at most ${MAX_DOCUMENT_BYTES}: nothing was pushed`);
  }
  try {
    // The Worker decodes strictly, so a document that is not UTF-8 would never be applied.
    return decodeDocument(bytes);
  } catch {
    throw new CommandError(`${file} is not valid UTF-8, which the Worker requires: nothing was pushed`);
  }
}

/** What the Worker serves now: the document in KV when it is there and applies, else the environment's own policy. */
async function livePolicy(
  binary: string,
  target: Parameters<typeof readStoredDocument>[1],
  environment: Environment,
  io: Io,
): Promise<{ policy: CompiledPolicy; label: string }> {
  // No `kv key list` to tell a missing key from a stored "Value not found": neither is a policy the Worker applies.
  const stored = await readStoredDocument(binary, target, io, false);
  if (stored.found) {
    const current = checkDocument(stored.text, environment.config, true);
    if (current.stage === "rules") return { policy: current.policy, label: `the document now in ${describeTarget(target)}` };
  }
  const why = stored.found ? "the stored document does not apply, so" : "no document in KV:";
  return {
    policy: compileEnvironment(environment.config, undefined, {}, true).policy,
    label: `what the Worker serves now (${why} POLICY and the built-in defaults)`,
  };
}

function refuseWeaker(file: string, weaker: readonly Weakening[], label: string, io: Io): void {
  const { errStyle } = io;
  io.err(
    `${errStyle.red("✗")} ${printable(file)} lowers the grade of ${weaker.length} path${weaker.length === 1 ? "" : "s"} below ${printable(label)}: nothing was pushed\n`,
  );
  // The findings go where the refusal goes.
  const toErr: Io = {
    ...io,
    out: (text) => {
      io.err(text);
    },
    style: errStyle,
  };
  for (const { path, contentType, before, after } of weaker) {
    io.err(
      `  ${printable(path)}${contentType === PAGE_TYPE ? "" : ` (${printable(contentType)})`}: ${describeGrade(before)} → ${describeGrade(after)}\n`,
    );
    renderFindings(after, toErr, "    ", true);
  }
  io.err("Fix the findings, or push it anyway with --allow-weaker.\n");
}

async function run(args: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandLine(args, {
    ...KV_TARGET_OPTIONS,
    "allow-weaker": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.out(HELP);
    return EXIT.ok;
  }
  const [file = ""] = takePositionals(positionals, ["file"]);
  const environment = await loadEnvironment(values, io);
  const target = kvTarget(values, environment.config.kvKey);
  const text = await readDocumentBytes(file);
  const check = checkDocument(text, environment.config);
  warnAboutEnvironment(environment, io);
  if (!check.ok) {
    io.err(
      `${io.errStyle.red("✗")} ${printable(file)} is not valid as ${printable(describeEnvironment(environment))} compiles it: nothing was pushed\n`,
    );
    if (check.stage === "rules") {
      for (const conflict of check.conflicts) {
        io.err(`  rules that cannot be combined on ${printable(conflict.path)}: ${printable(conflict.rules.join(", "))}\n`);
        for (const issue of conflict.issues) io.err(`    ${renderIssue(issue, io.errStyle)}\n`);
      }
    } else {
      for (const issue of check.issues) io.err(`  ${renderIssue(issue, io.errStyle)}\n`);
    }
    io.err(`Run \`security-headers-worker validate ${printable(file)}\` for details.\n`);
    return EXIT.defect;
  }
  const binary = wranglerBinary(io.env, io.cwd);
  const allowWeaker = values["allow-weaker"] === true;
  let compared = "not compared with what is live (--allow-weaker)";
  if (!allowWeaker) {
    const live = await livePolicy(binary, target, environment, io);
    const weaker = await weakenings(live.policy, check.policy);
    if (weaker.length > 0) {
      refuseWeaker(file, weaker, live.label, io);
      return EXIT.defect;
    }
    compared = `no path graded lower than ${live.label}`;
  }
  const result = await runWrangler(binary, ["kv", "key", "put", target.key, "--path", file, ...targetFlags(target)], io.cwd, io.env);
  if (result.code !== 0) {
    throw new CommandError(`wrangler kv key put exited with ${result.code}; nothing was pushed:\n${plainOutput(result)}`);
  }
  io.out(`${io.style.green("✓")} pushed ${printable(file)} to ${printable(describeTarget(target))}\n`);
  io.out(`  validated as ${printable(describeEnvironment(environment))}\n`);
  io.out(`  grade on https: ${printable(compared)}\n`);
  // Pushed all the same: the Worker of this environment caps these values, and the document is meant for production too.
  for (const cap of check.caps) io.out(`  ${io.style.yellow("capped:")} ${printable(describeCap(cap))}\n`);
  if (target.location === "remote") {
    io.out("  The Worker picks it up within POLICY_CACHE_SECONDS (30 s by default); KV itself may take 60 s to reach every location.\n");
  }
  return EXIT.ok;
}

/** The bindings' own problems do not make the document wrong, but the user should know before relying on it. */
function warnAboutEnvironment(environment: Environment, io: Io): void {
  for (const warning of environment.warnings) io.err(`${io.errStyle.yellow("warning:")} ${printable(warning)}\n`);
  if (environment.issues.length === 0) return;
  io.err(
    `${io.errStyle.yellow("warning:")} the environment's bindings have issues (the Worker falls back for each); see \`validate --env\`:\n`,
  );
  for (const issue of environment.issues) io.err(`  ${renderIssue(issue, io.errStyle)}\n`);
}

export const pushCommand: Command = { name: "push", summary: "validate a policy document and store it in POLICY_KV", help: HELP, run };
