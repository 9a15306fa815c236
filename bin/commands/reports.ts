// `reports`: fetch the CSP report summary from a deployed Worker and print its top violations and totals.

import { readCapped } from "../../src/core/shared/read-capped.js";
import { DEFAULT_REPORT_PATH } from "../../src/core/policy/parse-env.js";
import { renderSummaryText } from "../../src/core/reports/render-summary.js";
import { parseSummary } from "../../src/core/reports/summary.js";
import { CommandError, integerOption, parseCommandLine, takePositionals, UsageError, type Command } from "../support/command.js";
import { ENVIRONMENT_SELECT_OPTIONS, loadEnvironment } from "../support/environment.js";
import { EXIT, processIo, type ExitStatus, type Io } from "../support/io.js";
import { printable, printableJson, printableLines } from "../support/printable.js";

const HELP = `Usage: security-headers-worker reports <site-url> [--json] [--days N] [--path P | --env NAME]

Fetch GET <site-url><path>/summary from the Worker's CSP report collector and print the top violations,
the totals by directive, and the reports it did not store, and why. Report-Only violations are what the
policy would block once enforced.

Options:
  --days N     the window, 1 to 90 days ending today (UTC) (default 7)
  --json       print the summary as JSON instead of tables
  --path P     the collector's path (default: the environment's REPORT_PATH, else ${DEFAULT_REPORT_PATH})
  -e, --env NAME     the wrangler environment whose REPORT_PATH to use ("" for the top level)
  -c, --config FILE  the wrangler configuration (default: wrangler.json or wrangler.toml here or above)
  -h, --help   show this help

Environment:
  REPORTS_TOKEN  the summary's token (the Worker's REPORTS_TOKEN secret). Never passed as an argument:
                 it would be kept in the shell's history.

Exit status: 0 printed, 1 the Worker refused or failed, 2 usage error.
`;

const TIMEOUT_MS = 15_000;
/** The summary is small (50 rows); anything much larger is not the summary. */
const MAX_RESPONSE_BYTES = 1 << 20;

async function run(args: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandLine(args, {
    json: { type: "boolean" },
    days: { type: "string" },
    path: { type: "string" },
    ...ENVIRONMENT_SELECT_OPTIONS,
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.out(HELP);
    return EXIT.ok;
  }
  const [site = ""] = takePositionals(positionals, ["site-url"]);
  const days = integerOption("days", values.days, 1, 90, 7);
  // The collector listens at the environment's REPORT_PATH: read it rather than make the user repeat it.
  const path = values.path ?? (await loadEnvironment(values, io)).config.reports.path;
  if (!/^\/[^?#\s]*[^/?#\s]$/.test(path))
    throw new UsageError(`--path: expected a path such as ${DEFAULT_REPORT_PATH}, received ${JSON.stringify(path)}`);
  const url = summaryUrl(site, path, days);
  const token = io.env.REPORTS_TOKEN;
  if (token === undefined || token === "") {
    throw new CommandError("REPORTS_TOKEN is not set: export the summary's token (the Worker's REPORTS_TOKEN secret) first");
  }

  let response: Response;
  try {
    response = await fetch(url, {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const reason = error instanceof Error && error.name === "TimeoutError" ? `no answer within ${TIMEOUT_MS / 1000} s` : describe(error);
    throw new CommandError(`GET ${url.href} failed: ${reason}`);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new CommandError(`GET ${url.href} answered ${response.status}: ${explainStatus(response.status)}`);
  }
  const text = await readText(response, url);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CommandError(`GET ${url.href} did not answer JSON: is this the Worker's summary?`);
  }
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

function summaryUrl(site: string, path: string, days: number): URL {
  let base: URL;
  try {
    base = new URL(site);
  } catch {
    throw new UsageError(`<site-url>: expected a URL such as https://www.example.com, received ${JSON.stringify(site)}`);
  }
  if (base.protocol !== "https:" && base.protocol !== "http:") {
    throw new UsageError(`<site-url>: expected an http(s) URL, received ${JSON.stringify(site)}`);
  }
  if (base.protocol === "http:" && !["localhost", "127.0.0.1", "[::1]"].includes(base.hostname)) {
    // The token would cross the network in clear text.
    throw new UsageError(`<site-url>: expected https (http only for localhost), received ${JSON.stringify(site)}`);
  }
  const url = new URL(`${path}/summary`, base.origin);
  url.searchParams.set("format", "json");
  url.searchParams.set("days", String(days));
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

async function readText(response: Response, url: URL): Promise<string> {
  const bytes = await readCapped(response.body, MAX_RESPONSE_BYTES);
  if (bytes === undefined)
    throw new CommandError(`GET ${url.href} answered more than ${MAX_RESPONSE_BYTES} bytes: is this the Worker's summary?`);
  return new TextDecoder().decode(bytes);
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
