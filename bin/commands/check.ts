// `check <url>`: fetch a live URL (and, for https, its http:// form) and judge its security headers.
// The verdicts come from bin/support/check-headers.ts; this file only does the networking and the printing.

import { checkHeaders, checkHttpForm, type Finding, type HeaderCheck, type HeaderReport } from "../support/check-headers.js";
import { integerOption, parseCommandLine, takePositionals, UsageError, type Command } from "../support/command.js";
import { gradeAtLeast, gradeRetrieval, GRADES, parseGrade, type Grade, type GradeReport } from "../support/grade/grade.js";
import { describeGrade, gradeJson, renderFindings, styleGrade } from "../support/grade/render.js";
import { followRoute, retrievalOf, type Hop } from "../support/grade/retrieval.js";
import { getRaw, type RawResponse } from "../support/http-get.js";
import { EXIT, type ExitStatus, type Io, type Style } from "../support/io.js";
import { printable, printableJson } from "../support/printable.js";
import { errorMessage } from "../../src/core/shared/text.js";

const DEFAULT_TIMEOUT_MS = 10_000;
const USER_AGENT = "security-headers-worker-check";

const HELP = `Usage: security-headers-worker check <url> [--min-grade G] [--timeout MS] [--json]

GET <url> once (no redirects followed, the body barely read) and report its security headers:
Strict-Transport-Security, Content-Security-Policy(-Report-Only), X-Frame-Options,
X-Content-Type-Options, Referrer-Policy, Permissions-Policy, Cross-Origin-Opener-Policy and
Cross-Origin-Resource-Policy: present or missing, the value, whether it is valid, duplicated lines;
and the headers that leak the software stack. For an https URL, its http:// form is fetched too.

Defects (exit 1):
  - a required header missing: HSTS (https only), CSP, X-Frame-Options (unless CSP frame-ancestors
    is set), X-Content-Type-Options, Referrer-Policy, Permissions-Policy; on a 3xx only HSTS counts
  - an invalid value (a browser would ignore it), or a CSP with problems
  - a checked header sent on more than one line
  - HSTS sent over plain http
  - X-Powered-By, X-AspNet-Version, X-AspNetMvc-Version, or a Server header with a version number
  - the http:// form of an https URL serving a 2xx page instead of redirecting to https
Notes (no effect on the exit status): COOP/CORP missing, a short HSTS max-age, HSTS absent on an
http:// URL (it cannot be sent there; check the https:// URL; if the site has no https at all,
this check cannot tell from an http:// URL).

Grade: the MDN HTTP Observatory's score and grade for this response (its own tests and grader, run on
what was fetched: the URL's response, and for https the http:// form's redirects), each point lost
with why and the policy change that fixes it; Google's CSP Evaluator findings on the enforced CSP;
Permissions-Policy features open to every origin (*). Weak headers are marked "!".

Options:
  --min-grade G  exit 1 when the grade is below G (A+, A, A-, B+, … F): a CI gate
  --timeout MS   how long to wait for each response's headers (default ${DEFAULT_TIMEOUT_MS})
  --json         print the report as JSON
  -h, --help     show this help

Exit status: 0 no defect (and the grade at least --min-grade), 1 a defect, a grade below --min-grade,
or the URL cannot be fetched, 2 usage error.
`;

interface Fetched {
  readonly url: string;
  readonly response: RawResponse | null;
  readonly error: string | null;
}

interface HttpFormReport extends Fetched {
  readonly findings: readonly Finding[];
  readonly check: HeaderCheck | null;
  /** Its redirects, followed for the grade (the Observatory's redirection test reads the whole route). */
  readonly route: readonly Hop[];
}

function parseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`<url>: expected an http:// or https:// URL, received ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`<url>: expected an http:// or https:// URL, received ${JSON.stringify(raw)}`);
  }
  return url;
}

function getter(timeoutMs: number): (url: URL) => Promise<RawResponse> {
  return (url) => getRaw(url, timeoutMs, USER_AGENT);
}

async function fetchOnce(url: URL, timeoutMs: number): Promise<Fetched> {
  try {
    return { url: url.href, response: await getter(timeoutMs)(url), error: null };
  } catch (error) {
    return { url: url.href, response: null, error: errorMessage(error) };
  }
}

function headerValue(raw: readonly string[], name: string): string | null {
  for (let i = 0; i + 1 < raw.length; i += 2) if ((raw[i] ?? "").toLowerCase() === name) return raw[i + 1] ?? null;
  return null;
}

/** The http:// form of an https URL: the same host on port 80; unknown when the URL names a port. */
async function checkHttpFormOf(url: URL, timeoutMs: number): Promise<HttpFormReport | null> {
  if (url.protocol !== "https:" || url.port !== "") return null;
  const httpUrl = new URL(url.href);
  httpUrl.protocol = "http:";
  const fetched = await fetchOnce(httpUrl, timeoutMs);
  if (fetched.response === null) {
    return {
      ...fetched,
      check: null,
      route: [],
      findings: [
        { severity: "note", message: `not reachable over plain http (${fetched.error ?? "no response"}): nothing is served without TLS` },
      ],
    };
  }
  const { status, rawHeaders } = fetched.response;
  return {
    ...fetched,
    route: await followRoute(httpUrl, getter(timeoutMs), fetched.response),
    check: checkHeaders(rawHeaders, { https: false, status }),
    findings: checkHttpForm(status, headerValue(rawHeaders, "location"), httpUrl.href),
  };
}

function mark(findings: readonly Finding[], present: boolean, style: Style, weak = false): string {
  if (findings.some((f) => f.severity === "defect")) return style.red("✗");
  if (present && weak) return style.yellow("!");
  return present ? style.green("✓") : style.dim("·");
}

function renderHeader(report: HeaderReport, io: Io, width: number, onlyDefects: boolean, weak: ReadonlySet<string> = new Set()): void {
  const { style } = io;
  const shown = onlyDefects ? report.findings.filter((f) => f.severity === "defect") : report.findings;
  if (onlyDefects && shown.length === 0) return;
  // Header lines and findings quote what the server sent: printed escaped, never raw.
  const [first, ...rest] =
    report.state === "present"
      ? report.lines.map(printable)
      : [report.state === "missing" ? style.dim("missing") : style.dim("not applicable")];
  io.out(
    `  ${mark(report.findings, report.state === "present", style, weak.has(report.name.toLowerCase()))} ${printable(report.name).padEnd(width)} ${first ?? ""}\n`,
  );
  for (const line of rest) io.out(`    ${" ".repeat(width)} ${line}\n`);
  for (const finding of shown)
    io.out(`      ${finding.severity === "defect" ? style.red("defect:") : style.dim("note:")} ${printable(finding.message)}\n`);
}

function renderFetched(label: string, fetched: Fetched, io: Io): void {
  const { response } = fetched;
  if (response === null) {
    io.out(`${io.style.bold(`GET ${printable(fetched.url)}`)}  ${io.style.red(`failed: ${printable(fetched.error ?? "no response")}`)}\n`);
    return;
  }
  const location = headerValue(response.rawHeaders, "location");
  io.out(
    `${io.style.bold(`GET ${printable(fetched.url)}`)}  → ${response.status}${location === null ? "" : ` Location: ${printable(location)}`}  ${io.style.dim(`(${response.ms} ms${label})`)}\n`,
  );
}

function renderCheck(check: HeaderCheck, io: Io, onlyDefects: boolean, weak?: ReadonlySet<string>): void {
  const width = Math.max(...[...check.headers, ...check.leaks].map((h) => printable(h.name).length));
  for (const finding of check.general)
    if (!onlyDefects || finding.severity === "defect")
      io.out(`  ${finding.severity === "defect" ? io.style.red("defect:") : io.style.dim("note:")} ${printable(finding.message)}\n`);
  for (const report of check.headers) renderHeader(report, io, width, onlyDefects, weak);
  if (check.leaks.length > 0) {
    io.out(`  ${io.style.bold("leaks")}\n`);
    for (const report of check.leaks) renderHeader(report, io, width, false);
  }
}

function parseMinGrade(raw: string | undefined): Grade | undefined {
  if (raw === undefined) return undefined;
  const grade = parseGrade(raw);
  if (grade === null) throw new UsageError(`--min-grade: expected one of ${GRADES.join(", ")}, received ${JSON.stringify(raw)}`);
  return grade;
}

/** The grade of what was fetched: the URL's response, with the http:// route (for an http:// URL, its own). */
async function gradeFetched(url: URL, response: RawResponse, httpForm: HttpFormReport | null, timeoutMs: number): Promise<GradeReport> {
  const route = url.protocol === "http:" ? await followRoute(url, getter(timeoutMs), response) : httpForm === null ? null : httpForm.route;
  return gradeRetrieval(retrievalOf(url, response, route));
}

/** Whether the grade meets --min-grade (no grade never does). */
function meets(grade: GradeReport | null, minGrade: Grade | undefined): boolean {
  if (minGrade === undefined) return true;
  return grade?.grade !== null && grade?.grade !== undefined && gradeAtLeast(grade.grade, minGrade);
}

function responseJson(fetched: Fetched): Record<string, unknown> {
  const { response } = fetched;
  return {
    url: fetched.url,
    error: fetched.error,
    response: response === null ? null : { status: response.status, rawHeaders: response.rawHeaders, ms: response.ms },
  };
}

function renderGradeSection(grade: GradeReport, url: URL, minGrade: Grade | undefined, io: Io): void {
  const { style } = io;
  const how = url.protocol === "http:" ? "; an http:// URL counts as a site without https: check the https:// URL" : "";
  io.out(
    `${style.bold("Grade")} ${styleGrade(grade, style)} ${style.dim(`by the MDN HTTP Observatory's scoring (algorithm ${grade.observatory?.algorithmVersion ?? "?"}) of this response${how}`)}\n`,
  );
  if (grade.observatory?.preloadList === false && url.protocol === "https:")
    io.out(style.dim("  (the HSTS preload list is not installed: a preloaded host's +5 is not counted)\n"));
  renderFindings(grade, io, "  ");
  if (minGrade !== undefined && !meets(grade, minGrade))
    io.out(`${style.red(`grade ${describeGrade(grade)} is below --min-grade ${minGrade}`)}\n`);
}

async function run(args: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandLine(args, {
    "min-grade": { type: "string" },
    timeout: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.out(HELP);
    return EXIT.ok;
  }
  const [raw = ""] = takePositionals(positionals, ["url"]);
  const url = parseUrl(raw);
  const timeoutMs = integerOption("timeout", values.timeout, 1, 600_000, DEFAULT_TIMEOUT_MS);
  const minGrade = parseMinGrade(values["min-grade"]);
  const primary = await fetchOnce(url, timeoutMs);
  const check =
    primary.response === null
      ? null
      : checkHeaders(primary.response.rawHeaders, { https: url.protocol === "https:", status: primary.response.status });
  const httpForm = primary.response === null ? null : await checkHttpFormOf(url, timeoutMs);
  const grade = primary.response === null ? null : await gradeFetched(url, primary.response, httpForm, timeoutMs);
  const httpDefects =
    httpForm === null ? 0 : httpForm.findings.filter((f) => f.severity === "defect").length + (httpForm.check?.defects ?? 0);
  const defects = (check?.defects ?? 0) + httpDefects;
  // A URL that cannot be fetched fails the check too: nothing was shown to be safe.
  const status = defects > 0 || check === null || !meets(grade, minGrade) ? EXIT.defect : EXIT.ok;
  if (values.json === true) {
    const http =
      httpForm === null
        ? null
        : {
            ...responseJson(httpForm),
            findings: httpForm.findings,
            check: httpForm.check,
            route: httpForm.route.map((hop) => ({ url: hop.url.href, status: hop.response.status })),
          };
    const graded = grade === null ? null : { ...gradeJson(grade), minGrade: minGrade ?? null, meetsMinGrade: meets(grade, minGrade) };
    io.out(`${printableJson({ ...responseJson(primary), check, httpForm: http, defects, grade: graded })}\n`);
    return status;
  }
  renderFetched("", primary, io);
  if (check === null || grade === null) {
    io.out(`${io.style.red("not checked:")} the URL could not be fetched\n`);
    return status;
  }
  renderCheck(check, io, false, new Set(grade.findings.filter((f) => f.severity === "weakness").map((f) => f.header.toLowerCase())));
  if (httpForm !== null) {
    renderFetched(", the http:// form", httpForm, io);
    for (const finding of httpForm.findings) io.out(`  ${mark([finding], true, io.style)} ${printable(finding.message)}\n`);
    if (httpForm.check !== null) renderCheck(httpForm.check, io, true);
  } else if (url.protocol === "https:") {
    io.out(io.style.dim("  (the http:// form is not checked: the URL names a port, and the plain-http port is unknown)\n"));
  }
  renderGradeSection(grade, url, minGrade, io);
  io.out(defects === 0 ? `${io.style.green("no defects")}\n` : `${io.style.red(`${defects} defect${defects === 1 ? "" : "s"}`)}\n`);
  return status;
}

export const checkCommand: Command = { name: "check", summary: "fetch a live URL and judge its security headers", help: HELP, run };
