// The MDN HTTP Observatory's score and grade for headers we already have: a retrieval-shaped object built
// offline, run through the package's own analyzer tests and grader (never a re-derivation of its scoring).
//
// Why this shape: the Observatory's `scan(hostname)` fetches a host's http:// and https:// root itself.
// `check` has fetched a URL already, and validate/explain/push have only the headers the policy computes,
// so we fill in the retrieval (`Requests`) that `scan` would have built and call the rest of its pipeline:
// ALL_TESTS, then the tally of src/scanner/index.js (the one piece not exported on its own, kept line for
// line below and held to the real `scan` by test/unit/cli/grade-scan.test.ts).
// The package is loaded on first use (it brings jsdom and axios: about a second), not when the CLI starts.

import fs from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { ObservatoryOutput } from "@mdn/mdn-http-observatory/src/types.js";
import { CommandError } from "../command.js";

/** Response headers as Node gives them (`res.headers`): lower-case names, Set-Cookie as a list. */
export type ResponseHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** One response the Observatory's tests read. */
export interface RetrievedResponse {
  readonly url: URL;
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** What was read of the body ("" when nothing was): inline meta tags and scripts for the CSP, referrer and SRI tests. */
  readonly body: string;
  /** For https, whether the certificate chain verified (always true for http). */
  readonly verified: boolean;
}

/** What `scan(hostname)` would have retrieved. */
export interface Retrieval {
  /** The host graded: the HSTS preload list and SRI's same-site test look it up. */
  readonly hostname: string;
  /** The page graded (the scanner's `auto`): its headers are the ones that count. */
  readonly page: RetrievedResponse;
  /** The https response (HSTS, cookies); null when no https response was fetched. */
  readonly https: RetrievedResponse | null;
  /** The http:// response and its redirect route (each hop, the first URL included); null when not fetched. */
  readonly http: { readonly response: RetrievedResponse; readonly route: readonly { readonly url: URL; readonly status: number }[] } | null;
}

/** One of the Observatory's tests, as its scan reports it. */
export interface ObservatoryTest {
  readonly name: string;
  readonly title: string;
  /** The expectation met, e.g. "csp-implemented-with-unsafe-inline". */
  readonly result: string;
  readonly pass: boolean;
  readonly scoreModifier: number;
  /** The Observatory's own words, as plain text. */
  readonly description: string;
  readonly recommendation: string;
}

export interface ObservatoryScore {
  readonly algorithmVersion: number;
  readonly grade: string;
  readonly score: number;
  readonly testsPassed: number;
  readonly testsQuantity: number;
  readonly tests: readonly ObservatoryTest[];
  /** Whether the package's HSTS preload list is installed (its download is denied at install: then no host counts as preloaded). */
  readonly preloadList: boolean;
}

type Observatory = Awaited<ReturnType<typeof importObservatory>>;

async function importObservatory() {
  const [constants, grader, charts, types, session, utils, hsts] = await Promise.all([
    import("@mdn/mdn-http-observatory/src/constants.js"),
    import("@mdn/mdn-http-observatory/src/grader/grader.js"),
    import("@mdn/mdn-http-observatory/src/grader/charts.js"),
    import("@mdn/mdn-http-observatory/src/types.js"),
    import("@mdn/mdn-http-observatory/src/retriever/session.js"),
    import("@mdn/mdn-http-observatory/src/retriever/utils.js"),
    import("@mdn/mdn-http-observatory/src/analyzer/hsts.js"),
  ]);
  return { constants, grader, charts, types, session, utils, preloadList: primePreloadList(hsts.hsts) };
}

let loading: Promise<Observatory> | undefined;

/** The package, imported once; a failure to load says which package and why. */
function observatory(): Promise<Observatory> {
  loading ??= importObservatory().catch((error: unknown) => {
    loading = undefined;
    throw new CommandError(
      `cannot load @mdn/mdn-http-observatory (a devDependency: run npm install): ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  return loading;
}

/**
 * The analyzer reads conf/hsts-preload.json on its first lookup; the postinstall that downloads it is denied
 * (package.json allowScripts), so without it every https grade would throw ENOENT. Its cache is primed with
 * an empty list instead: no host counts as preloaded. fs.readFileSync is swapped only for that one
 * synchronous call, for that one file.
 */
function primePreloadList(load: () => Map<string, unknown>): boolean {
  const file = join(
    dirname(createRequire(import.meta.url).resolve("@mdn/mdn-http-observatory/src/analyzer/hsts.js")),
    "..",
    "..",
    "conf",
    "hsts-preload.json",
  );
  if (fs.existsSync(file)) return true;
  const original = fs.readFileSync;
  const read = original as (...args: unknown[]) => unknown;
  const stub = ((path: unknown, ...rest: unknown[]): unknown => (path === file ? "{}" : read(path, ...rest))) as typeof fs.readFileSync;
  fs.readFileSync = stub;
  try {
    load();
  } finally {
    fs.readFileSync = original;
  }
  return false;
}

/** The headers object the tests read: own enumerable lower-case names (Object.entries) and axios' case-insensitive get(). */
function axiosShapedHeaders(headers: ResponseHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = typeof value === "string" ? value : [...value];
  }
  Object.defineProperty(out, "get", { enumerable: false, value: (name: string) => out[name.toLowerCase()] });
  return out;
}

function responseOf(response: RetrievedResponse, httpEquiv?: Map<string, string[]>): Record<string, unknown> {
  return {
    status: response.status,
    headers: axiosShapedHeaders(response.headers),
    data: response.body,
    verified: response.verified,
    httpEquiv,
  };
}

function isHtml(headers: ResponseHeaders): boolean {
  const type = headers["content-type"];
  const first = typeof type === "string" ? type : type?.[0];
  return ["text/html", "application/xhtml+xml"].includes((first ?? "").split(";")[0] ?? "");
}

/** The `Requests` object scan() would have built for this retrieval. */
function requestsOf(o: Observatory, site: Retrieval): InstanceType<Observatory["types"]["Requests"]> {
  const requests = new o.types.Requests(site.hostname);
  const { page } = site;
  const httpEquiv =
    isHtml(page.headers) && page.body !== "" ? o.utils.parseHttpEquivHeaders(page.body, page.url.href) : new Map<string, string[]>();
  requests.responses.auto = responseOf(page, httpEquiv);
  requests.responses.https = site.https === null ? null : site.https === page ? requests.responses.auto : responseOf(site.https);
  requests.responses.http =
    site.http === null ? null : site.http.response === page ? requests.responses.auto : responseOf(site.http.response);
  // As retrieve() does: both routes are the http session's.
  const route = site.http === null ? [] : [...site.http.route];
  requests.responses.httpRedirects = route;
  requests.responses.httpsRedirects = route;
  requests.resources.path = page.body;
  const session = new o.session.Session(page.url);
  // The retriever's jar collects the cookies of every response it saw.
  for (const response of new Set([site.http?.response, site.https, page])) {
    if (response === undefined || response === null) continue;
    const cookies = response.headers["set-cookie"];
    for (const line of typeof cookies === "string" ? [cookies] : (cookies ?? []))
      session.jar.setCookieSync(line, response.url.href, { ignoreError: true });
  }
  requests.session = session;
  return requests;
}

/** The Observatory's HTML descriptions as one line of text. */
function plainText(html: string): string {
  return html
    .replace(/<[^>]*>/g, "")
    .replace(/&gt;/g, ">")
    .replace(/&lt;/g, "<")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
}

/** Score a retrieval with the Observatory's tests and grader. */
export async function scoreRetrieval(site: Retrieval): Promise<ObservatoryScore> {
  const o = await observatory();
  const requests = requestsOf(o, site);
  const results: ObservatoryOutput[] = o.constants.ALL_TESTS.map((test) => test(requests));
  // From here to `final`: src/scanner/index.js's tally, unchanged in substance.
  let testsPassed = 0;
  let scoreWithExtraCredit = 100;
  let uncurvedScore = scoreWithExtraCredit;
  for (const result of results) {
    if (result.result) {
      result.scoreDescription = o.grader.getScoreDescription(result.result);
      result.scoreModifier = o.grader.getScoreModifier(result.result);
      testsPassed += result.pass === true ? 1 : 0;
      scoreWithExtraCredit += result.scoreModifier;
      if (result.scoreModifier < 0) uncurvedScore += result.scoreModifier;
    }
  }
  // Only record the full score if the uncurved score already receives an A.
  const score = uncurvedScore >= o.charts.MINIMUM_SCORE_FOR_EXTRA_CREDIT ? scoreWithExtraCredit : uncurvedScore;
  const final = o.grader.getGradeForScore(score);
  return {
    algorithmVersion: o.constants.ALGORITHM_VERSION,
    grade: final.grade,
    score: final.score,
    testsPassed,
    testsQuantity: results.length,
    tests: results.map((result) => ({
      name: result.constructor.name,
      title: result.constructor.title,
      result: result.result ?? "",
      pass: result.pass === true,
      scoreModifier: result.scoreModifier ?? 0,
      description: plainText(result.scoreDescription ?? ""),
      recommendation: plainText(o.grader.getRecommendation(result.result ?? "")),
    })),
    preloadList: o.preloadList,
  };
}

/** The statuses the Observatory grades; scan() refuses any other ("Site did respond with an unexpected HTTP status code"). */
export function observatoryGrades(status: number): boolean {
  return status >= 200 && (status < 400 || status === 401 || status === 403);
}
