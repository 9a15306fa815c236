// The demo's CSP road: pages where an inline script runs by a marked nonce, a hash, a blanket nonce, or under
// Report-Only (its violation goes to the collector), each beside an "injected" script or handler the policy blocks,
// and the policy rules that make them so (seeded into local KV with examples/policy.json by `npm start`).

import { createHash } from "node:crypto";

/** The road's pages, for the index and the start banner. */
export const ROAD_PAGES: readonly { readonly path: string; readonly what: string }[] = [
  { path: "/hash", what: "a hash: the page's own inline script runs by its sha256, an injected one is blocked" },
  {
    path: "/blanket",
    what: "a blanket nonce: every script runs, an injected one too (what blanket gives up); an injected handler is blocked",
  },
  { path: "/report-only", what: "Report-Only: the inline script runs and its violation goes to the collector (see the summary)" },
];

/** The inline script /hash allows by its hash: fixed text, so its hash is fixed too. */
export const HASHED_SCRIPT = `document.getElementById("hash-probe").innerHTML = "<strong>Hashed script: ran.</strong> Its sha256 is in the CSP.";`;

function sha256(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

/** The rules these pages need, for the demo's KV document (after examples/policy.json's own rules). */
export function roadRules(): Record<string, unknown>[] {
  return [
    {
      path: "/hash",
      description: "demo: the page's one inline script is allowed by its hash; nothing else inline runs.",
      csp: { add: { "script-src": [sha256(HASHED_SCRIPT)] } },
    },
    {
      path: "/blanket",
      description: "demo: blanket nonces stamp every script the HTML holds, an injected one too.",
      nonce: { mode: "blanket" },
    },
    {
      path: "/report-only",
      description: "demo: no enforced CSP, only a strict Report-Only one: everything runs, and the violations are reported.",
      csp: false,
      cspReportOnly: { directives: { "default-src": ["'self'"], "script-src": ["'self'", "'report-sample'"] } },
    },
  ];
}

type Page = (title: string, body: string) => string;

/**
 * /nonce: the origin marks its own inline script with the site's secret marker (`npm start` draws one per
 * run and gives it to the Worker as NONCE_MARKER); a script "injected" into a comment guesses the old
 * published marker. Through the Worker the first runs and the second is blocked.
 */
function noncePage(marker: string, page: Page): string {
  return page(
    "A marked nonce",
    `<p>The origin wrote its own inline script as <code>&lt;script nonce="MARKER"&gt;</code>, with the site's secret
marker as the value. The Worker replaces the marker with a fresh nonce for every response and puts the same nonce in
the <code>Content-Security-Policy</code> (rule <code>/nonce</code> in <code>examples/policy.json</code>). View the
source through the Worker: the marker is nowhere, in the body or the headers.</p>
<p id="marked-probe" class="probe"><strong>Marked script: blocked.</strong> (You are seeing the origin directly, or
the Worker has no NONCE_MARKER.)</p>
<script nonce="${marker}">
  document.getElementById("marked-probe").innerHTML = "<strong>Marked script: ran.</strong> Its nonce matched the CSP's.";
</script>
<p id="injected-probe" class="probe probe-ran" hidden><strong>Injected script: ran.</strong> No CSP stopped it.</p>
<div class="comment">A comment an attacker stored:
<script nonce="__CSP_NONCE__">document.getElementById("injected-probe").hidden = false;</script></div>
<p>The injected script guessed the old published marker; it gets no nonce and stays blocked (devtools →
Console shows the refusal). Only a marker nobody else knows works, which is why the Worker refuses a public
or guessable one.</p>`,
  );
}

/** A road page's HTML, or undefined when `path` is not one of them. `marker` is the site's NONCE_MARKER for /nonce. */
export function roadPage(path: string, page: Page, marker: string): string | undefined {
  switch (path) {
    case "/nonce":
      return noncePage(marker, page);
    case "/hash":
      return page(
        "A hash",
        `<p>This page's own inline script is fixed text, so the policy allows it by its sha256
(<code>npx security-headers-worker hashes</code> computes it; <code>scan</code> does too). Any other inline
script, such as the one a comment below carries, has another hash and is blocked. No marker, no rewriting:
the body reaches you byte for byte.</p>
<p id="hash-probe" class="probe"><strong>Hashed script: blocked.</strong> (You are seeing the origin directly.)</p>
<script>${HASHED_SCRIPT}</script>
<p id="injected-probe" class="probe probe-ran" hidden><strong>Injected script: ran.</strong> No CSP stopped it.</p>
<div class="comment">A comment an attacker stored:
<script>document.getElementById("injected-probe").hidden = false;</script></div>`,
      );
    case "/blanket":
      return page(
        "A blanket nonce",
        `<p>The origin marks nothing: in blanket mode the Worker stamps a fresh nonce on <em>every</em> script and
style element the browser's parser creates. So the page's own script runs, and so does the one an attacker
stored in a comment: <strong>that is what blanket mode gives up</strong> (marked nonces on <a href="/nonce">/nonce</a>
and hashes on <a href="/hash">/hash</a> block it). What the nonce still stops: injected event handlers,
<code>javascript:</code> URLs and scripts from hosts the policy does not allow.</p>
<p id="blanket-probe" class="probe"><strong>Site's script: blocked.</strong> (You are seeing the origin directly.)</p>
<script>document.getElementById("blanket-probe").innerHTML = "<strong>Site's script: ran</strong> with the stamped nonce.";</script>
<p id="stored-probe" class="probe probe-ran" hidden><strong>Injected script: ran.</strong> Blanket nonces bless it too.</p>
<p id="handler-probe" class="probe probe-ran" hidden><strong>Injected handler: ran.</strong> No CSP stopped it.</p>
<div class="comment">A comment an attacker stored:
<script>document.getElementById("stored-probe").hidden = false;</script>
<img src="/missing.png" alt="" onerror="document.getElementById('handler-probe').hidden = false"></div>`,
      );
    case "/report-only":
      return page(
        "Report-Only",
        `<p>Here the enforced CSP is off and a strict one is sent as <code>Content-Security-Policy-Report-Only</code>:
the inline script below runs, and the browser reports what the policy would have blocked to the Worker's
collector. Open the summary (its URL and password are in the <code>npm start</code> banner) to see the report,
then <code>npx security-headers-worker reports &lt;worker url&gt; --suggest</code> to turn the reports into
policy additions. Chromium sends reports only from https pages to an endpoint whose certificate it trusts:
the banner says how.</p>
<p id="ro-probe" class="probe"><strong>Inline script: blocked.</strong></p>
<script>document.getElementById("ro-probe").innerHTML = "<strong>Inline script: ran</strong>, and was reported.";</script>`,
      );
    default:
      return undefined;
  }
}
