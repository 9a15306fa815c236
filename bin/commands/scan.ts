// `scan <url>`: browse a site in headless Chromium under a Report-Only policy that allows nothing, and write
// the strictest policy document that lets every page it saw work as it did.

import { writeFile } from "node:fs/promises";
import { crawlSite } from "../support/scan/crawl.js";
import { gradePolicy } from "../support/scan/policy-grade.js";
import { renderScanReport } from "../support/scan/render.js";
import { synthesizePolicy } from "../support/scan/synthesize.js";
import { CommandError, integerOption, parseCommandLine, takePositionals, UsageError, type Command } from "../support/command.js";
import { checkDocument } from "../support/documents.js";
import { bareEnvironment } from "../support/environment.js";
import { EXIT, type ExitStatus, type Io } from "../support/io.js";
import { prettyJson } from "../support/json.js";
import { printable, printableJson } from "../support/printable.js";

const DEFAULT_CHROMIUM = "/usr/bin/chromium";

const HELP = `Usage: security-headers-worker scan <url> [--pages N] [--out FILE] [--json] [--chromium PATH]

Browse <url> and the same-origin pages it links to in headless Chromium, each page loaded twice, with a
Report-Only CSP that allows nothing put on every document and worker script (the scanner adds it itself,
so the site needs no Worker in front of it). From what Chromium reports, write a policy document that
lets every scanned page work as it did and allows nothing more:
  - default-src 'none', then exact origins per directive ('self' for the site), never * or https:;
  - hashes for inline scripts and styles that are the same on every load;
  - a nonce where inline code changes per load or scripts load scripts beside scripts in the markup,
    with 'strict-dynamic' where scripts load scripts; a hash-trusted loader gets 'strict-dynamic' alone;
  - what every page needs in the base, each page's extras in a rule for its path, worker scripts too;
  - never 'unsafe-inline' or 'unsafe-eval' for scripts: inline event handlers, javascript: URLs and eval
    are reported with the pages, the fix, and the weaker fallback ('unsafe-hashes' with the hash).
The site's own CSP is removed while scanning; frame-ancestors stays 'none' (the scan cannot see framers).

Options:
  --pages N          the most pages to visit (default 25)
  --out FILE         write the document to FILE (default: stdout, and the report goes to stderr)
  --json             print { document, report, grade } as JSON instead of the report
  --nonce MODE       marked (default: the origin writes the site's secret marker, NONCE_MARKER, where the
                     nonce goes) or blanket (every script gets it, an injected one too: it gives up
                     protection against HTML injection)
  --chromium PATH    the Chromium to drive (default ${DEFAULT_CHROMIUM}, or CHROMIUM_PATH)
  --timeout MS       per page load (default 30000)
  --settle MS        how long to let a loaded page's network go quiet (default 5000)
  --ignore-https-errors  accept a self-signed certificate (a local https dev server)
  -h, --help         show this help

Exit status: 0 written, 1 the site could not be scanned or the document does not validate, 2 usage error.
`;

async function run(args: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandLine(args, {
    pages: { type: "string" },
    out: { type: "string" },
    json: { type: "boolean" },
    nonce: { type: "string" },
    chromium: { type: "string" },
    timeout: { type: "string" },
    settle: { type: "string" },
    "ignore-https-errors": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.out(HELP);
    return EXIT.ok;
  }
  const [raw = ""] = takePositionals(positionals, ["url"]);
  const start = siteUrl(raw);
  const nonceMode = values.nonce ?? "marked";
  if (nonceMode !== "marked" && nonceMode !== "blanket")
    throw new UsageError(`--nonce: expected marked or blanket, received ${JSON.stringify(nonceMode)}`);
  const scan = await crawl(start, values, io);
  if (scan.passes[0]?.length === 0)
    throw new CommandError(`no page of ${start.href} could be scanned: ${scan.skipped.map((s) => `${s.url}: ${s.reason}`).join("; ")}`);
  const result = synthesizePolicy(scan, { nonceMode });
  const json = `${prettyJson(result.document)}\n`;
  const env = bareEnvironment().config;
  const check = checkDocument(json, env);
  const grade = await gradePolicy(check, json, env);
  // The marker is the site's secret: whatever a page quoted, it never reaches the terminal or a file.
  const redact = (text: string): string => (result.marker === undefined ? text : text.replaceAll(result.marker, "(the site's marker)"));
  if (values.out !== undefined) await write(values.out, redact(json));
  const report =
    values.json === true
      ? `${printableJson({ document: result.document, report: result.report, grade })}\n`
      : renderScanReport(result.report, result.document, grade, values.out ?? "", values.out === undefined ? io.errStyle : io.style);
  if (values.out === undefined && values.json !== true) {
    io.out(redact(json));
    io.err(redact(report));
  } else io.out(redact(report));
  return check.ok ? EXIT.ok : EXIT.defect;
}

function siteUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`<url>: expected a URL such as https://www.example.com/, received ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError(`<url>: expected an http(s) URL, received ${JSON.stringify(raw)}`);
  url.hash = "";
  return url;
}

async function crawl(
  start: URL,
  values: { pages?: string; chromium?: string; timeout?: string; settle?: string; "ignore-https-errors"?: boolean },
  io: Io,
): ReturnType<typeof crawlSite> {
  try {
    return await crawlSite({
      start,
      maxPages: integerOption("pages", values.pages, 1, 1000, 25),
      chromium: values.chromium ?? io.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM,
      timeoutMs: integerOption("timeout", values.timeout, 1000, 600_000, 30_000),
      settleMs: integerOption("settle", values.settle, 0, 600_000, 5000),
      ignoreHttpsErrors: values["ignore-https-errors"] === true,
      progress: (line) => io.err(`${io.errStyle.dim(`scan: ${printable(line)}`)}\n`),
    });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new CommandError(`Chromium failed: ${error instanceof Error ? (error.message.split("\n", 1)[0] ?? "") : String(error)}`);
  }
}

async function write(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new CommandError(`cannot write ${JSON.stringify(file)}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export const scanCommand: Command = {
  name: "scan",
  summary: "browse a site in Chromium and write the strict policy it needs",
  help: HELP,
  run,
};
