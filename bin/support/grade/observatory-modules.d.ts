// Types for the few modules of @mdn/mdn-http-observatory (JavaScript with JSDoc, no .d.ts) that the grade
// adapter calls: what the analyzer's tests read from a retrieval, what they return, and the grader.

declare module "@mdn/mdn-http-observatory/src/types.js" {
  /** One test's verdict; `constructor.name` is the test's name ("content-security-policy"). */
  export interface ObservatoryOutput {
    readonly constructor: { readonly name: string; readonly title: string };
    readonly expectation: string;
    readonly pass: boolean | null;
    readonly result: string | null;
    scoreDescription: string | null;
    scoreModifier: number | null;
  }

  export interface RedirectEntry {
    readonly url: URL;
    readonly status: number;
  }

  /** The retrieval the analyzer's tests read (src/types.js `Requests`). */
  export class Requests {
    constructor(hostname: string);
    hostname: string;
    resources: { path: string | null };
    responses: {
      auto: unknown;
      cors: unknown;
      http: unknown;
      https: unknown;
      httpRedirects: RedirectEntry[];
      httpsRedirects: RedirectEntry[];
    };
    session: unknown;
  }

  export const Expectation: Readonly<Record<string, string>>;
}

declare module "@mdn/mdn-http-observatory/src/constants.js" {
  import type { ObservatoryOutput, Requests } from "@mdn/mdn-http-observatory/src/types.js";

  /** Every test the scanner runs, in its order. */
  export const ALL_TESTS: readonly ((requests: Requests) => ObservatoryOutput)[];
  export const ALGORITHM_VERSION: number;
}

declare module "@mdn/mdn-http-observatory/src/grader/grader.js" {
  export function getGradeForScore(score: number): { score: number; grade: string };
  export function getScoreDescription(expectation: string): string;
  export function getScoreModifier(expectation: string): number;
  export function getRecommendation(expectation: string): string;
  export function getTopicLink(testName: string): string;
}

declare module "@mdn/mdn-http-observatory/src/grader/charts.js" {
  export const MINIMUM_SCORE_FOR_EXTRA_CREDIT: number;
  export const GRADE_CHART: ReadonlyMap<number, string>;
  /** Each expectation (a test's possible result) and the points it adds or costs. */
  export const SCORE_TABLE: ReadonlyMap<
    string,
    { readonly description: string; readonly modifier: number; readonly recommendation: string }
  >;
}

declare module "@mdn/mdn-http-observatory/src/retriever/session.js" {
  /** The retriever's session: its URL and cookie jar are what the tests read. Constructing one sends nothing. */
  export class Session {
    constructor(url: URL);
    url: URL;
    jar: { setCookieSync(cookie: string, url: string, options?: { ignoreError?: boolean }): unknown };
  }
}

declare module "@mdn/mdn-http-observatory/src/retriever/utils.js" {
  /** The <meta http-equiv> CSP and <meta name=referrer> of a page, as the retriever collects them. */
  export function parseHttpEquivHeaders(html: string, baseUrl: string): Map<string, string[]>;
}

declare module "@mdn/mdn-http-observatory/src/analyzer/hsts.js" {
  /** The HSTS preload list, read from conf/hsts-preload.json on first use and kept. */
  export function hsts(): Map<string, unknown>;
}

declare module "@mdn/mdn-http-observatory" {
  /** The Observatory's own scan of a host's http:// and https:// root (the tests hold the adapter to it). */
  export function scan(hostname: string): Promise<{
    scan: { grade: string; score: number };
    tests: Record<string, { result: string; scoreModifier: number }>;
  }>;
}
