// `reports`: fetch the CSP report summary from a deployed Worker and print its top violations and totals;
// with --suggest, propose the sources, hashes and nonces the stored violations call for, as a policy patch.

import { writeFile } from "node:fs/promises";
import { DEFAULT_REPORT_PATH } from "../../src/core/policy/parse-env.js";
import { renderSummaryText } from "../../src/core/reports/render-summary.js";
import { parseSummary } from "../../src/core/reports/summary.js";
import { parseViolationGroups, type ViolationGroups } from "../../src/core/reports/violation-groups.js";
import { suggestionPatch } from "../support/suggest/patch.js";
import { renderSuggestions } from "../support/suggest/render.js";
import { BASE_AFTER_PAGES, suggest } from "../support/suggest/suggest.js";
import { CommandError, integerOption, parseCommandLine, takePositionals, UsageError, type Command } from "../support/command.js";
import { checkDocument, readPolicyFile, renderIssue } from "../support/documents.js";
import { ENVIRONMENT_SELECT_OPTIONS, loadEnvironment } from "../support/environment.js";
import { getText, isLoopback } from "../support/get-text.js";
import { EXIT, processIo, type ExitStatus, type Io } from "../support/io.js";
import { prettyJson } from "../support/json.js";
import { printable, printableJson, printableLines } from "../support/printable.js";

const HELP = `Usage: security-headers-worker reports <site-url> [--json] [--days N] [--path P | --env NAME]
       security-headers-worker reports <site-url> --suggest [--json] [--out FILE [--policy FILE]] [--min-clients N]

Fetch GET <site-url><path>/summary from the Worker's CSP report collector and print the top violations,
the totals by directive, and the reports it did not store, and why. Report-Only violations are what the
policy would block once enforced.

With --suggest, read every stored violation of the window and propose what to add, per directive and
path, with counts, first and last seen, pages and distinct clients: exact origins, hashes of inline code
whose whole text a report carried, and a nonce where only the first 40 characters came. Left out, with
the reason: browser extensions, about:, data: and blob: in script-src, eval, inline event handlers, and
hosts or inline code seen from fewer than --min-clients clients (an ad injector on one machine). Never
'unsafe-inline'. A source seen on ${BASE_AFTER_PAGES} or more pages goes into the base.

Options:
  --days N     the window, 1 to 90 days ending today (UTC) (default 7)
  --json       print the summary (or the suggestions and the patch) as JSON instead of tables
  --path P     the collector's path (default: the environment's REPORT_PATH, else ${DEFAULT_REPORT_PATH})
  -e, --env NAME     the wrangler environment whose REPORT_PATH to use ("" for the top level)
  -c, --config FILE  the wrangler configuration (default: wrangler.json or wrangler.toml here or above)
  --suggest          propose additions from the stored violations
  --out FILE         with --suggest: write the additions as a policy document (validated first)
  --policy FILE      with --out: add them to this document (the one the site runs, from \`pull\`)
  --min-clients N    with --suggest: the fewest distinct clients a host or inline code needs (default 2)
  -h, --help   show this help

Environment:
  REPORTS_TOKEN  the summary's token (the Worker's REPORTS_TOKEN secret). Never passed as an argument:
                 it would be kept in the shell's history.

A https <site-url> on this machine (127.0.0.1, localhost) may have a self-signed certificate, as a local
dev server does; anywhere else the certificate is checked.

Exit status: 0 printed (or written), 1 the Worker refused or failed, or the patch does not validate, 2 usage error.
`;

const TIMEOUT_MS = 15_000;
/** The summary is small (50 rows); anything much larger is not the summary. */
const MAX_RESPONSE_BYTES = 1 << 20;
/** The violations view holds up to 500 groups of bounded strings. */
const MAX_GROUPS_BYTES = 4 << 20;

async function run(args: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandLine(args, {
    json: { type: "boolean" },
    days: { type: "string" },
    path: { type: "string" },
    ...ENVIRONMENT_SELECT_OPTIONS,
    suggest: { type: "boolean" },
    out: { type: "string" },
    policy: { type: "string" },
    "min-clients": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.out(HELP);
    return EXIT.ok;
  }
  const [site = ""] = takePositionals(positionals, ["site-url"]);
  const days = integerOption("days", values.days, 1, 90, 7);
  if (values.suggest !== true && (values.out !== undefined || values.policy !== undefined || values["min-clients"] !== undefined)) {
    throw new UsageError("--out, --policy and --min-clients go with --suggest");
  }
  if (values.policy !== undefined && values.out === undefined)
    throw new UsageError("--policy needs --out (where the merged document goes)");
  const minClients = integerOption("min-clients", values["min-clients"], 1, 48, 2);
  // The collector listens at the environment's REPORT_PATH: read it rather than make the user repeat it.
  const path = values.path ?? (await loadEnvironment(values, io)).config.reports.path;
  if (!/^\/[^?#\s]*[^/?#\s]$/.test(path))
    throw new UsageError(`--path: expected a path such as ${DEFAULT_REPORT_PATH}, received ${JSON.stringify(path)}`);
  const url = summaryUrl(site, path, days, values.suggest === true);
  const token = io.env.REPORTS_TOKEN;
  if (token === undefined || token === "") {
    throw new CommandError("REPORTS_TOKEN is not set: export the summary's token (the Worker's REPORTS_TOKEN secret) first");
  }
  const json = await fetchJson(url, token, values.suggest === true ? MAX_GROUPS_BYTES : MAX_RESPONSE_BYTES);
  if (values.suggest === true)
    return suggestFrom(json, url, { json: values.json === true, out: values.out, policy: values.policy, minClients, env: values }, io);
  const summary = parseSummary(json);
  if (!summary.ok) {
    const issue = summary.issues[0];
    throw new CommandError(
      `GET ${url.href} answered an unexpected summary: ${printable(issue?.path || "(document)")}: expected ${printable(issue?.message ?? "a summary")}`,
    );
  }
  // Every string in the summary came from a report body: escaped before it reaches a terminal.
  io.out(values.json === true ? `${printableJson(summary.value)}\n` : printableLines(renderSummaryText(summary.value)));
  return EXIT.ok;
}

/** GET the summary (or its violations view) with the token, and parse its JSON; failures as CommandErrors. */
async function fetchJson(url: URL, token: string, maxBytes: number): Promise<unknown> {
  let answer: Awaited<ReturnType<typeof getText>>;
  try {
    answer = await getText(url, {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
      timeoutMs: TIMEOUT_MS,
      maxBytes,
    });
  } catch (error) {
    throw new CommandError(`GET ${url.href} failed: ${describe(error)}`);
  }
  if (answer.status !== 200) throw new CommandError(`GET ${url.href} answered ${answer.status}: ${explainStatus(answer.status)}`);
  if (answer.text === undefined)
    throw new CommandError(`GET ${url.href} answered more than ${maxBytes} bytes: is this the Worker's summary?`);
  try {
    return JSON.parse(answer.text);
  } catch {
    throw new CommandError(`GET ${url.href} did not answer JSON: is this the Worker's summary?`);
  }
}

interface SuggestFlags {
  readonly json: boolean;
  readonly out: string | undefined;
  readonly policy: string | undefined;
  readonly minClients: number;
  readonly env: Parameters<typeof loadEnvironment>[0];
}

/** --suggest: the proposals from the violations view, printed, and written as a validated patch with --out. */
async function suggestFrom(json: unknown, url: URL, flags: SuggestFlags, io: Io): Promise<ExitStatus> {
  const parsed = parseViolationGroups(json);
  if (!parsed.ok) {
    const issue = parsed.issues[0];
    throw new CommandError(
      `GET ${url.href} answered an unexpected view: ${issue?.path || "(document)"}: expected ${issue?.message ?? "violation groups"} (a Worker older than migrations/0004 has no violations view)`,
    );
  }
  const view: ViolationGroups = parsed.value;
  const suggestions = suggest(view.groups, { minClients: flags.minClients });
  let patch: Record<string, unknown> | undefined;
  if (flags.out !== undefined) {
    const base = flags.policy === undefined ? undefined : await readDocument(flags.policy);
    try {
      patch = suggestionPatch(suggestions, base);
    } catch (error) {
      throw new CommandError(error instanceof Error ? error.message : String(error));
    }
    const text = `${prettyJson(patch)}\n`;
    const check = checkDocument(text, (await loadEnvironment(flags.env, io)).config);
    if (!check.ok) {
      io.err(`${io.errStyle.red("✗")} the document with these additions does not validate; nothing written:\n`);
      for (const issue of check.stage === "rules" ? check.conflicts.flatMap((c) => c.issues) : check.issues)
        io.err(`  ${renderIssue(issue, io.errStyle)}\n`);
      return EXIT.defect;
    }
    await write(flags.out, text);
  }
  if (flags.json)
    io.out(
      `${printableJson({ window: view.window, truncated: view.truncated, ...suggestions, ...(patch === undefined ? {} : { patch }) })}\n`,
    );
  else io.out(renderSuggestions(suggestions, view.window, view.truncated, io.style));
  if (flags.out !== undefined)
    io.err(`wrote ${printable(flags.out)}: ${suggestions.proposals.length} source${suggestions.proposals.length === 1 ? "" : "s"} added\n`);
  return EXIT.ok;
}

/** The document to add to, as JSON (its own key order and fields kept); it is validated with the additions. */
async function readDocument(file: string): Promise<Record<string, unknown>> {
  let json: unknown;
  try {
    json = JSON.parse((await readPolicyFile(file)).text);
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw new CommandError(`${JSON.stringify(file)} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new CommandError(`${JSON.stringify(file)} is not a policy document (a JSON object)`);
  return json as Record<string, unknown>;
}

async function write(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new CommandError(`cannot write ${JSON.stringify(file)}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function summaryUrl(site: string, path: string, days: number, violations: boolean): URL {
  let base: URL;
  try {
    base = new URL(site);
  } catch {
    throw new UsageError(`<site-url>: expected a URL such as https://www.example.com, received ${JSON.stringify(site)}`);
  }
  if (base.protocol !== "https:" && base.protocol !== "http:") {
    throw new UsageError(`<site-url>: expected an http(s) URL, received ${JSON.stringify(site)}`);
  }
  if (base.protocol === "http:" && !isLoopback(base)) {
    // The token would cross the network in clear text.
    throw new UsageError(`<site-url>: expected https (http only for localhost), received ${JSON.stringify(site)}`);
  }
  const url = new URL(`${path}/summary`, base.origin);
  url.searchParams.set("format", "json");
  url.searchParams.set("days", String(days));
  if (violations) url.searchParams.set("view", "violations");
  return url;
}

function explainStatus(status: number): string {
  switch (status) {
    case 401:
      return "the token was refused; REPORTS_TOKEN must equal the Worker's REPORTS_TOKEN secret";
    case 404:
      return "no summary here; the collector is off (REPORTS_ENABLED), REPORTS_TOKEN is not set on the Worker, or --path differs from REPORT_PATH";
    case 503:
      return "the Worker could not read its report store (REPORTS_DB); see its logs";
    default:
      return status >= 300 && status < 400 ? "a redirect; give the site's final URL" : "unexpected status";
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}

export const reportsCommand: Command = {
  name: "reports",
  summary: "print the top CSP violations the Worker's collector stored",
  help: HELP,
  run,
};

/** Run `reports` on its own (outside bin/cli.ts): the exit status, with failures written to io.err. */
export async function runReports(args: string[], io: Io = processIo()): Promise<number> {
  try {
    return await run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`error: reports: ${error.message}\n${HELP.split("\n", 1)[0] ?? ""}\n`);
      return EXIT.usage;
    }
    if (error instanceof CommandError) {
      io.err(`error: reports: ${error.message}\n`);
      return EXIT.defect;
    }
    throw error;
  }
}
