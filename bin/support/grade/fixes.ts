// For each weakness the graders report, the change to the policy document (or, where a header policy
// cannot help, to the site) that fixes it. The graders say what is wrong and why; this says what to write.

/** Where the fix goes: the document's field, or the site when no header policy can fix it. */
const CSP_AS_SET = 'with "action": "set" when the origin sends its own CSP (the default action keeps an origin\'s valid one)';

/** The policy change for an Observatory result that loses points, by expectation. */
const OBSERVATORY_FIXES: ReadonlyMap<string, string> = new Map([
  [
    "csp-implemented-with-unsafe-inline",
    `csp.directives: give script-src and object-src sources without 'unsafe-inline', data:, *, https: or http: (object-src ["'none'"]); allow inline code with a nonce ("nonce": { "scripts": true }) or hashes (\`security-headers-worker hashes\`), ${CSP_AS_SET}`,
  ],
  [
    "csp-implemented-with-unsafe-eval",
    `csp.directives: drop 'unsafe-eval' from script-src and default-src (remove eval() and new Function() from the site first), ${CSP_AS_SET}`,
  ],
  ["csp-implemented-with-insecure-scheme", `csp.directives: replace every http: source with its https: form, ${CSP_AS_SET}`],
  [
    "csp-implemented-with-insecure-scheme-in-passive-content-only",
    `csp.directives: replace the http: sources of img-src and media-src with https: ones, ${CSP_AS_SET}`,
  ],
  [
    "csp-header-invalid",
    `"csp": { "action": "set", "directives": { … } }: the policy's directives are validated, and set replaces the origin's unparseable one`,
  ],
  [
    "csp-not-implemented",
    'send an enforced CSP: drop "csp": false from the document (the built-in defaults send one), or give "csp": { "directives": { "default-src": ["\'self\'"] } }',
  ],
  [
    "csp-not-implemented-but-reporting-enabled",
    'enforce it: CSP_REPORT_ONLY = "false" once the reports are clean (or move cspReportOnly\'s directives into csp)',
  ],
  [
    "cookies-without-secure-flag-but-protected-by-hsts",
    'cookies: [{ "pattern": "*", "secure": true }] (the built-in default; Secure goes on over https only): drop a cookies: false or secure: false that lifts it',
  ],
  [
    "cookies-session-without-secure-flag-but-protected-by-hsts",
    'cookies: [{ "name": "<session cookie>", "secure": true }] (the built-in default gives every cookie Secure over https)',
  ],
  ["cookies-without-secure-flag", 'serve https with HSTS: cookies: [{ "pattern": "*", "secure": true }] adds Secure over https only'],
  [
    "cookies-samesite-flag-invalid",
    'cookies: [{ "pattern": "*", "sameSite": "Lax", "override": true }] (SameSite=None gets Secure over https)',
  ],
  ["cookies-anticsrf-without-samesite-flag", 'cookies: [{ "name": "<csrf cookie>", "sameSite": "Strict" }]'],
  [
    "cookies-session-without-httponly-flag",
    'cookies: [{ "name": "<session cookie>", "httpOnly": true }] (only if no script of the site reads it)',
  ],
  ["cookies-session-without-secure-flag", 'serve https with HSTS, and cookies: [{ "name": "<session cookie>", "secure": true }]'],
  [
    "cross-origin-resource-sharing-implemented-with-universal-access",
    'stop the origin reflecting any Origin with Access-Control-Allow-Credentials: true, or strip both: "remove": ["Access-Control-Allow-Origin", "Access-Control-Allow-Credentials"]',
  ],
  [
    "redirection-off-host-from-http",
    "redirect http:// to https:// on the same host first (the Worker passes redirects through: Cloudflare's Always Use HTTPS does this)",
  ],
  [
    "redirection-not-to-https-on-initial-redirection",
    "make the first redirect from http:// go to https:// (Cloudflare's Always Use HTTPS)",
  ],
  ["redirection-not-to-https", "redirect http:// to https:// (Cloudflare's Always Use HTTPS; the Worker passes redirects through)"],
  ["redirection-missing", "redirect http:// to https:// (Cloudflare's Always Use HTTPS; the Worker passes the origin's answer through)"],
  ["redirection-invalid-cert", "serve https with a certificate that verifies"],
  ["referrer-policy-unsafe", '"headers": { "Referrer-Policy": { "value": "strict-origin-when-cross-origin", "action": "set" } }'],
  ["referrer-policy-header-invalid", '"headers": { "Referrer-Policy": { "value": "strict-origin-when-cross-origin", "action": "set" } }'],
  [
    "hsts-implemented-max-age-less-than-six-months",
    '"hsts": { "maxAge": 31536000 } (staging keeps a short one on purpose: grade production)',
  ],
  [
    "hsts-not-implemented",
    '"hsts": { "maxAge": 31536000 } (the Worker sends it on https only; drop "hsts": false), with "action": "set" when the origin sends its own',
  ],
  ["hsts-header-invalid", '"hsts": { "action": "set", "maxAge": 31536000 } replaces the origin\'s invalid value'],
  ["hsts-not-implemented-no-https", "serve the site over https (the Worker sends HSTS on https responses only)"],
  ["hsts-invalid-cert", "serve https with a certificate that verifies"],
  [
    "sri-not-implemented-but-external-scripts-loaded-securely",
    "add integrity= (and crossorigin=) to the origin's external <script> tags; a header policy cannot",
  ],
  ["sri-implemented-but-external-scripts-not-loaded-securely", "load the origin's external scripts over https"],
  ["sri-not-implemented-and-external-scripts-not-loaded-securely", "load the origin's external scripts over https, with integrity="],
  ["x-content-type-options-not-implemented", '"headers": { "X-Content-Type-Options": "nosniff" } (the built-in defaults send it)'],
  ["x-content-type-options-header-invalid", '"headers": { "X-Content-Type-Options": { "value": "nosniff", "action": "set" } }'],
  [
    "x-frame-options-not-implemented",
    `csp.directives["frame-ancestors"]: ["'none'"] (or ["'self'"]), or "headers": { "X-Frame-Options": "DENY" }`,
  ],
  [
    "x-frame-options-header-invalid",
    '"headers": { "X-Frame-Options": { "value": "DENY", "action": "set" } }, or csp.directives["frame-ancestors"]',
  ],
  ["corp-header-invalid", '"headers": { "Cross-Origin-Resource-Policy": { "value": "same-origin", "action": "set" } }'],
  ["html-not-parseable", "fix the origin's HTML"],
]);

/** The fix for an Observatory expectation, or a pointer to the Observatory's own advice. */
export function observatoryFix(expectation: string, recommendation: string): string {
  return (
    OBSERVATORY_FIXES.get(expectation) ?? (recommendation === "" ? "see the Observatory's documentation for this test" : recommendation)
  );
}

/** CSP Evaluator finding types (csp_evaluator's `Type`), by number: the enum is const-free JS, numbers are its API. */
type CspFix = (directive: string, value: string) => string;
const CSP_FIXES: ReadonlyMap<number, CspFix> = new Map<number, CspFix>([
  [100, () => "separate directives with ';' in csp.directives (the policy renders them)"],
  [101, (d) => `remove the unknown directive ${d} (csp.remove: ["${d}"])`],
  [102, (d, v) => `quote the keyword in csp.directives["${d}"]: '${v.replace(/'/g, "")}'`],
  [
    300,
    (d) => `add csp.directives["${d}"]${d === "object-src" ? ": [\"'none'\"]" : d === "base-uri" ? ": [\"'self'\"] or [\"'none'\"]" : ""}`,
  ],
  [
    301,
    (d) =>
      `drop 'unsafe-inline' from csp.directives["${d}"]: allow inline scripts with a nonce ("nonce": { "scripts": true }) or hashes (\`security-headers-worker hashes\`)`,
  ],
  [302, (d) => `drop 'unsafe-eval' from csp.directives["${d}"] (remove eval() and new Function() from the site first)`],
  [303, (d, v) => `replace ${v} in csp.directives["${d}"] with the exact origins the pages load from`],
  [304, (d) => `replace * in csp.directives["${d}"] with the exact origins the pages load from`],
  [
    305,
    (d, v) =>
      `drop ${v} from csp.directives["${d}"]: use a nonce with 'strict-dynamic' ("nonce": { "scripts": true, "strictDynamic": true }) rather than a host allowlist`,
  ],
  [306, () => `csp.directives["object-src"]: ["'none'"]`],
  [307, () => "use the Worker's nonces (128 bits, fresh per response)"],
  [308, (d, v) => `replace the IP address ${v} in csp.directives["${d}"] with a host name`],
  [309, (d) => `remove the deprecated ${d} (csp.remove: ["${d}"])`],
  [310, (d, v) => `use https for ${v} in csp.directives["${d}"]`],
  [311, (d, v) => `give ${v} a scheme (https://…) in csp.directives["${d}"]`],
  [313, (d, v) => `replace the wildcard ${v} in csp.directives["${d}"] with exact host names`],
  [315, (d) => `drop 'unsafe-inline' from csp.directives["${d}"]: use a style nonce ("nonce": { "styles": true }) or hashes`],
  [316, () => "use the Worker's nonces: a fresh one per response, never a fixed value"],
  [317, (d) => `avoid 'unsafe-hashes' in csp.directives["${d}"]: move inline event handlers into scripts`],
  [400, () => `add 'strict-dynamic' with a nonce ("nonce": { "scripts": true, "strictDynamic": true })`],
  [401, () => "keep a nonce or hash beside 'strict-dynamic'"],
  [402, () => `use a nonce ("nonce": { "scripts": true }) or hashes for scripts`],
  [
    403,
    (d) => `add 'unsafe-inline' to csp.directives["${d}"] beside the nonce only as a fallback for old browsers (ignored where nonces work)`,
  ],
  [404, (d) => `add https: to csp.directives["${d}"] beside 'strict-dynamic' only as a fallback for old browsers`],
  [500, () => `add csp.directives["require-trusted-types-for"]: ["'script'"] once the site's code is ready`],
  [600, () => 'turn on the Worker\'s collector (REPORTS_ENABLED = "true"), which adds report-uri and report-to'],
  [601, () => 'turn on the Worker\'s collector (REPORTS_ENABLED = "true"), which sends report-uri beside report-to'],
]);

/** The policy change for a CSP Evaluator finding. */
export function cspFix(type: number, directive: string, value: string | undefined): string {
  const fix = CSP_FIXES.get(type);
  return fix === undefined ? `change csp.directives["${directive}"]` : fix(directive, value ?? "");
}
