// `explain <file> <path>`: the exact headers one environment's Worker would send for one request, and which
// layer or rule produced each, by simulating the origin's response and applying the real plan to it.

import { onlyDuplicateKeys } from "../../src/core/shared/duplicate-keys.js";
import { ceilingsFailed, describeCap, STRICTEST_CEILINGS_SERVE } from "../../src/core/policy/ceilings.js";
import { isHeaderName } from "../../src/core/headers/known-headers.js";
import type { CompiledPolicy } from "../../src/core/policy/types.js";
import { integerOption, parseCommandLine, takePositionals, UsageError, type Command } from "../support/command.js";
import { checkDocument, readPolicyFile, renderIssue } from "../support/documents.js";
import { describeEnvironment, ENVIRONMENT_OPTIONS, loadEnvironment, type Environment } from "../support/environment.js";
import { explain, explainedHeaders, type Explanation } from "../support/explain-response.js";
import type { GradeReport } from "../support/grade/grade.js";
import { gradeHeaders, OFFLINE_SCOPE } from "../support/grade/offline.js";
import { gradeJson, renderFindings, styleGrade } from "../support/grade/render.js";
import { EXIT, type ExitStatus, type Io } from "../support/io.js";
import { refusalForEveryRequest } from "../../src/core/origin/request-guard.js";
import { printable, printableJson } from "../support/printable.js";
import { renderExplanation } from "./explain-output.js";
import { renderCookies } from "../support/explain-cookies.js";

const DEFAULT_CONTENT_TYPE = "text/html; charset=utf-8";

const HELP = `Usage: security-headers-worker explain <file> <path> [options]

Show the exact headers an environment's Worker would send for one request, treating <file> as its KV
policy document, and which layer or rule produced each: "defaults", "POLICY", "KV", "KV.rules[2] /embed/*".
The environment's vars come from wrangler.toml as wrangler reads them (see --env): its POLICY var,
CSP_REPORT_ONLY, and the report collector's report-uri/report-to/Reporting-Endpoints when REPORTS_ENABLED.
<path> is a path (/embed/widget) or a URL (https://example.com/embed/widget, which implies --https).
Rules match the path's canonical form ("Path" shows it); a path the Worker refuses is shown as refused.
The origin is simulated: by default it sends no security headers, only a Content-Type.

Options:
  --https                   the request came over https (default: http, where HSTS is never sent)
  --status N                the origin's status (default 200; the plan is the same for every status)
  --content-type T          the origin's Content-Type (default "${DEFAULT_CONTENT_TYPE}"; "" for none);
                            rules limited to other content types are shown as skipped
  --origin-header "N: v"    a header the origin sends (repeatable), to see default/append/remove act on it
  --set-cookie LINE         a Set-Cookie line the origin sends (repeatable), to see what the Worker sends
  -e, --env NAME            a wrangler environment ("" for the top level; default: CLOUDFLARE_ENV, else
                            the top level of the nearest wrangler.toml; without one, the built-in defaults)
  -c, --config FILE         the wrangler configuration (default: wrangler.json or wrangler.toml here or above)
  --policy-var FILE         use this POLICY var instead (JSON, or a TOML table in a .toml file)
  --var NAME:VALUE          set another var (repeatable), e.g. --var REPORTS_ENABLED:true
  --report-only             as if CSP_REPORT_ONLY="true"
  --json                    print the explanation as JSON
  -h, --help                show this help

Exit status: 0 explained, 1 the document is invalid (nothing to explain), 2 usage error.
`;

function parseOriginHeader(raw: string): [string, string] {
  const colon = raw.indexOf(":");
  const name = colon === -1 ? "" : raw.slice(0, colon).trim();
  if (!isHeaderName(name)) {
    throw new UsageError(`--origin-header: expected "Name: value" with a valid header name, received ${JSON.stringify(raw)}`);
  }
  return [name, raw.slice(colon + 1).trim()];
}

function parseTarget(raw: string, httpsFlag: boolean): { path: string; https: boolean } {
  if (/^https?:\/\//i.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UsageError(`<path>: expected a path or an http(s) URL, received ${JSON.stringify(raw)}`);
    }
    return { path: url.pathname, https: httpsFlag || url.protocol === "https:" };
  }
  if (!raw.startsWith("/"))
    throw new UsageError(`<path>: expected a path starting with / or an http(s) URL, received ${JSON.stringify(raw)}`);
  // The Worker sees the pathname as the URL parser leaves it (dot segments resolved, no query). Appended to
  // an origin as a request line is, not resolved against one: //admin/x is a path, not a host named admin.
  return { path: new URL(`http://host.invalid${raw}`).pathname, https: httpsFlag };
}

/** The grade of the https response for this explanation's request (explained again on https when it was http). */
function gradeOf(policy: CompiledPolicy, x: Explanation): Promise<GradeReport> {
  const { request } = x;
  const origin = x.origin.map(({ name, value }): [string, string] => [name, value]);
  const onHttps = request.https
    ? x
    : explain(policy, { https: true, path: request.path, contentType: request.contentType }, request.status, origin, {
        environment: x.environment,
        layers: x.layers,
      });
  return gradeHeaders(explainedHeaders(onHttps), request.path, request.status);
}

async function run(args: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandLine(args, {
    https: { type: "boolean" },
    status: { type: "string" },
    "content-type": { type: "string" },
    "origin-header": { type: "string", multiple: true },
    "set-cookie": { type: "string", multiple: true },
    ...ENVIRONMENT_OPTIONS,
    "report-only": { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.out(HELP);
    return EXIT.ok;
  }
  const [file = "", target = ""] = takePositionals(positionals, ["file", "path"]);
  const { path, https } = parseTarget(target, values.https === true);
  const status = integerOption("status", values.status, 100, 599, 200);
  const origin = (values["origin-header"] ?? []).map(parseOriginHeader);
  for (const line of values["set-cookie"] ?? []) origin.push(["Set-Cookie", line]);
  const flagType = values["content-type"];
  const originType = origin.find(([name]) => name.toLowerCase() === "content-type")?.[1];
  const contentType = flagType !== undefined ? (flagType.trim() === "" ? null : flagType.trim()) : (originType ?? DEFAULT_CONTENT_TYPE);
  const originHeaders = origin.filter(([name]) => name.toLowerCase() !== "content-type");
  if (contentType !== null) originHeaders.unshift(["Content-Type", contentType]);

  const environment = await loadEnvironment(values, io, values["report-only"] === true);
  warnAboutEnvironment(environment, io);
  const layers = ["defaults", ...(environment.config.policy === undefined ? [] : ["POLICY"]), `KV (${file})`];
  const check = checkDocument((await readPolicyFile(file)).text, environment.config);
  if (check.stage !== "rules") {
    const why = onlyDuplicateKeys(check.issues)
      ? "push would not store it, and the Worker would read only the last copy of each repeated key"
      : "so the Worker would not apply it (the layers below would serve)";
    io.out(`${io.style.red("✗")} ${printable(file)} is not valid, ${why}:\n`);
    for (const issue of check.issues) io.out(`  ${renderIssue(issue, io.style)}\n`);
    return EXIT.defect;
  }
  // The preset sits right over the defaults, below POLICY and KV (whichever of them names it).
  if (check.policy.preset !== undefined) layers.splice(1, 0, `preset ${check.policy.preset}`);
  const explanation = explain(check.policy, { https, path, contentType }, status, originHeaders, {
    environment: describeEnvironment(environment),
    layers,
    everyRequest: everyRequestOf(environment),
  });
  const grade = await gradeOf(check.policy, explanation);
  if (values.json === true) {
    const caps = check.caps.map((cap) => ({ ...cap, message: describeCap(cap) }));
    io.out(`${printableJson({ ...explanation, caps, grade: gradeJson(grade) })}\n`);
    return EXIT.ok;
  }
  renderExplanation(explanation, io);
  renderCookies(explanation.cookies ?? null, https, io);
  // Why a value above differs from the document's: this environment's CEILINGS lowered it.
  for (const cap of check.caps) io.out(`${io.style.yellow("capped:")} ${printable(describeCap(cap))}\n`);
  io.out(`\n${io.style.bold("Grade")} ${styleGrade(grade, io.style)} ${io.style.dim(`on https: ${OFFLINE_SCOPE}`)}\n`);
  renderFindings(grade, io, "  ", true);
  return EXIT.ok;
}

/** The Worker's answer to every request under these bindings, when it refuses them all (request-guard.ts). */
function everyRequestOf(environment: Environment): Explanation["everyRequest"] {
  return refusalForEveryRequest(environment.config) ?? null;
}

/** Problems with the bindings do not stop the Worker (each falls back on its own), so they are warnings here. */
function warnAboutEnvironment(environment: Environment, io: Io): void {
  const { errStyle } = io;
  for (const warning of environment.warnings) io.err(`${errStyle.yellow("warning:")} ${printable(warning)}\n`);
  if (environment.issues.length === 0) return;
  io.err(
    `${errStyle.yellow("warning:")} the bindings have issues; the Worker logs them and uses the safe fallback for each, as shown here:\n`,
  );
  for (const issue of environment.issues) io.err(`  ${renderIssue(issue, errStyle)}\n`);
  if (ceilingsFailed(environment.issues)) io.err(`  ${errStyle.yellow("→")} the Worker serves ${STRICTEST_CEILINGS_SERVE}\n`);
}

export const explainCommand: Command = {
  name: "explain",
  summary: "show the headers the Worker sends for a request, and why",
  help: HELP,
  run,
};
