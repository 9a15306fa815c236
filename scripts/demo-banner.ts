// What `npm start` prints once the Worker is ready: where to look, a curl that shows a nonce (GET: a HEAD
// carries none, by design), the road from no CSP to an enforced one (scan, reports --suggest, the summary),
// and the demo's pages.

import { DEMO_PAGES } from "../demo/origin.js";
import { DEFAULT_REPORT_PATH } from "../src/core/policy/parse-env.js";

/** What the banner needs to know about this run. */
export interface BannerFacts {
  readonly workerUrl: string;
  readonly originUrl: string;
  readonly reportsToken: string;
  readonly https: boolean;
}

/** The banner, as lines of text. */
export function banner(facts: BannerFacts): string {
  const base = facts.workerUrl.replace(/\/$/, "");
  const summary = `${base}${DEFAULT_REPORT_PATH}/summary`;
  const k = facts.https ? "k" : "";
  const width = Math.max(...DEMO_PAGES.map((p) => p.path.length)) + 2;
  const rule = "─".repeat(72);
  return [
    "",
    rule,
    "  security-headers-worker is running in wrangler dev, in front of a demo origin.",
    "",
    `  Open      ${base}/`,
    ...(facts.https ? ["            (the local certificate is self-signed: let your browser proceed)"] : []),
    `  Try       curl -s${k} -D - -o /dev/null ${base}/nonce`,
    "            a GET: the nonce is in the CSP and the marker is gone (a HEAD has no body, so no nonce)",
    `  Origin    ${facts.originUrl}/   (the same site without the Worker, to compare)`,
    "",
    "  The road from no CSP to an enforced one (docs/csp.md):",
    `    1. scan      npx security-headers-worker scan ${facts.originUrl}/ --out my-policy.json`,
    "                 browses the origin in Chromium and writes the strict policy its pages need;",
    "                 npx security-headers-worker push my-policy.json --local   puts it in front of the pages above",
    `    2. reports   browse ${base}/report-only, then`,
    `                 REPORTS_TOKEN=${facts.reportsToken} npx security-headers-worker reports ${base} --suggest --min-clients 1`,
    "                 proposes sources and hashes from what browsers reported (one browser here: deployed, keep",
    "                 the default of 2 clients, so what one visitor's extension or malware injects stays out)",
    `    3. summary   ${summary}`,
    `                 in a browser: any user name, password ${facts.reportsToken}`,
    `                 curl -s${k} -H "Authorization: Bearer ${facts.reportsToken}" "${summary}?format=json"`,
    "                 (a token for this run only; deployed Workers use `wrangler secret put REPORTS_TOKEN`)",
    ...(facts.https
      ? [
          "    Chromium sends reports only to an endpoint whose certificate it trusts; for this local one, use a",
          `    throw-away profile: chromium --user-data-dir="$(mktemp -d)" --ignore-certificate-errors ${base}/report-only`,
        ]
      : ["    Served over http (--http): Chromium sends no reports to it; run without --http to see them arrive."]),
    "",
    "  Demo pages:",
    ...DEMO_PAGES.map((p) => `    ${p.path.padEnd(width)}${p.what}`),
    "",
    "  Stop with Ctrl+C. The policy in the local KV is kept between runs: `npm start -- --reset` seeds it again.",
    rule,
    "",
  ].join("\n");
}
