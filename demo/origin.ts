// The demo origin behind `npm start`: a small website with the pages a newcomer needs to see the Worker work.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createMarker } from "../src/core/nonce/nonce-marker.js";
import { ROAD_PAGES, roadPage } from "./road.js";

/** A running demo origin. */
export interface DemoOrigin {
  /** `http://127.0.0.1:PORT`, without a trailing slash: the form `ORIGIN_URL` takes. */
  readonly url: string;
  close(): Promise<void>;
}

/** The demo pages, in the order the index page and the start banner list them. */
export const DEMO_PAGES: readonly { readonly path: string; readonly what: string }[] = [
  { path: "/", what: "HTML with an inline script and style, both blocked by the Worker's CSP" },
  { path: "/api/data.json", what: "JSON: the headers go on every content type" },
  { path: "/slow", what: "HTML streamed over about 3 s: the Worker never buffers the body" },
  { path: "/missing", what: "404 (any unknown path): error pages get the headers too" },
  { path: "/error", what: "500 from the origin, passed through with the headers" },
  { path: "/old-page", what: "302 to /, passed through, never followed" },
  { path: "/cookies", what: "two Set-Cookie headers, one with a comma in Expires, both kept" },
  { path: "/weak-headers", what: "weak, duplicated and leaky headers, and what the Worker does to each" },
  { path: "/embed/widget", what: "a per-path rule from KV: framing allowed for partner.example.com, no X-Frame-Options" },
  { path: "/login", what: "a per-path rule from KV: Cache-Control: no-store and Clear-Site-Data" },
  {
    path: "/nonce",
    what: "a marked nonce: the origin's own inline script runs, an injected one is blocked, the secret marker never shows",
  },
  ...ROAD_PAGES,
];

const SLOW_CHUNKS = 10;
const SLOW_INTERVAL_MS = 300;

const STYLE = `
  body { font-family: system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #1d2330; }
  code { background: #eef1f6; padding: 0 .25em; border-radius: 3px; }
  table { border-collapse: collapse; } td, th { border: 1px solid #c9cfd9; padding: .3em .6em; text-align: left; vertical-align: top; }
  .probe { padding: .5em .8em; border-radius: 4px; }
  .probe-blocked { display: none; }
  .probe-ran { display: block; background: #fde8e8; border: 2px solid #c81e1e; }`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · security-headers-worker demo</title>
<style>${STYLE}
</style>
</head>
<body>
<p><a href="/">← demo index</a></p>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

function pageList(): string {
  const items = DEMO_PAGES.map((p) => `<li><a href="${p.path}"><code>${p.path}</code></a>: ${escapeHtml(p.what)}</li>`);
  return `<ul>\n${items.join("\n")}\n</ul>`;
}

function indexPage(originUrl: string, forwardedHost: string | undefined): string {
  const via =
    forwardedHost === undefined
      ? `<p>You are looking at the <strong>origin directly</strong>: no Worker is in front of this response, so the
inline script and style below run. Open the Worker's URL (printed by <code>npm start</code>) to compare.</p>`
      : `<p>You are looking at this page <strong>through the Worker</strong> at <code>${escapeHtml(forwardedHost)}</code>.
The same page straight from the origin is at <a href="${originUrl}/">${originUrl}/</a>: compare the two.</p>`;
  return page(
    "security-headers-worker demo",
    `${via}
<h2>What to look at</h2>
<ol>
<li>Open devtools → <strong>Network</strong>, reload, click the document and read its <strong>Response Headers</strong>:
<code>Content-Security-Policy</code>, <code>X-Frame-Options</code>, <code>X-Content-Type-Options</code>,
<code>Referrer-Policy</code> and <code>Permissions-Policy</code> come from the Worker; the origin sent none of them.</li>
<li>Open devtools → <strong>Console</strong>: the browser reports the inline script and style it refused to run.</li>
<li>Read the two lines below.</li>
</ol>
<h2>See the Content-Security-Policy working</h2>
<p>The Worker's default policy is <code>default-src 'self'</code>. It allows scripts and styles loaded from this
site's own files, and blocks <em>inline</em> ones, the kind an attacker injects into a page. This page has one inline
<code>&lt;script&gt;</code> and one inline <code>&lt;style&gt;</code>.</p>
<p id="script-probe" class="probe"><strong>Inline script: blocked.</strong> The script right after this line would
have replaced this text. The text is unchanged, so the CSP stopped it.</p>
<script>
  document.getElementById("script-probe").innerHTML =
    "<strong>Inline script: ran.</strong> This text was written by an inline script, so no CSP blocked it. " +
    "Either this response came from the origin directly, or the policy allows inline scripts.";
</script>
<p class="probe probe-blocked"><strong>Inline style: blocked.</strong> This page looks plain (default fonts, no
colours) because its inline <code>&lt;style&gt;</code> was refused: <code>default-src 'self'</code> covers styles too.</p>
<p class="probe probe-ran" hidden><strong>Inline style: applied.</strong> You can see this red box because the
inline <code>&lt;style&gt;</code> ran, so no CSP blocked it.</p>
<h2>Demo pages</h2>
${pageList()}
<p>Or from a terminal: <code>curl -sk -D - -o /dev/null &lt;worker url&gt;/weak-headers</code> (a GET that
prints the headers; <code>-k</code> accepts the demo's local certificate).</p>`,
  );
}

const WEAK_HEADERS: readonly (readonly [string, string])[] = [
  ["X-Frame-Options", "DENY"],
  ["X-Frame-Options", "SAMEORIGIN"],
  ["X-Powered-By", "Express"],
  ["X-AspNet-Version", "4.0.30319"],
  ["Strict-Transport-Security", "max-age=0"],
  ["X-Content-Type-Options", "nosniff, nosniff"],
  ["Referrer-Policy", "unsafe-url"],
];

function weakHeadersPage(): string {
  const rows: readonly (readonly [string, string, string])[] = [
    [
      "<code>X-Frame-Options: DENY</code><br><code>X-Frame-Options: SAMEORIGIN</code> (two lines)",
      "<code>X-Frame-Options: DENY</code>, once",
      "Two lines arrive as <code>DENY, SAMEORIGIN</code>, which is not a valid value, so the origin's value counts as absent and the policy's <code>DENY</code> replaces it.",
    ],
    [
      "<code>X-Powered-By: Express</code>",
      "removed",
      "A leak header: it tells an attacker which framework to target. The built-in policy removes it.",
    ],
    ["<code>X-AspNet-Version: 4.0.30319</code>", "removed", "A leak header, removed like <code>X-Powered-By</code>."],
    [
      "<code>Strict-Transport-Security: max-age=0</code>",
      "passed through in the demo; removed over http",
      'HSTS is sent only on https: over plain http a browser must ignore it, so the Worker strips even the origin\'s. The demo runs on https but sets <code>"hsts": false</code> (a browser would remember HSTS for <code>localhost</code> for a year and upgrade every local dev server), so the origin\'s own passes: <code>max-age=0</code> tells browsers to forget HSTS. Deployed, the <code>default</code> action keeps a valid origin value like this one: set <code>"hsts": { "action": "set" }</code> to override it.',
    ],
    [
      "<code>X-Content-Type-Options: nosniff, nosniff</code>",
      "<code>X-Content-Type-Options: nosniff</code>, once",
      "The only valid value is a single <code>nosniff</code>; the duplicated one is invalid, so the policy's value replaces it.",
    ],
    [
      "<code>Referrer-Policy: unsafe-url</code>",
      "kept: <code>unsafe-url</code>",
      'Weak but valid. Under the <code>default</code> action the origin\'s valid value wins (that is how a page relaxes a header on purpose). To override it, give the header <code>"action": "set"</code> in the policy.',
    ],
  ];
  const table = rows.map(([sent, result, why]) => `<tr><td>${sent}</td><td>${result}</td><td>${why}</td></tr>`).join("\n");
  return page(
    "Weak and duplicated headers",
    `<p>This response comes from an origin with a typical accumulation of header mistakes. Compare
<code>curl -s -D - -o /dev/null</code> on the origin and <code>curl -sk -D - -o /dev/null</code> on the Worker. With the built-in policy (see
<code>docs/policy-format.md</code>), the Worker does this:</p>
<table border="1" cellpadding="4">
<tr><th>The origin sends</th><th>The client gets</th><th>Why</th></tr>
${table}
</table>
<p>It also adds what the origin left out (<code>Content-Security-Policy</code>, <code>Permissions-Policy</code>), and
every header it owns appears exactly once.</p>`,
  );
}

function sendHtml(res: ServerResponse, status: number, html: string, extra: readonly (readonly [string, string])[] = []): void {
  const body = Buffer.from(html);
  const lines: string[] = ["Content-Type", "text/html; charset=utf-8", "Content-Length", String(body.length)];
  for (const [name, value] of extra) lines.push(name, value);
  res.writeHead(status, lines);
  res.end(body);
}

/** Stream /slow: one chunk every SLOW_INTERVAL_MS, for about 3 s. */
function sendSlow(req: IncomingMessage, res: ServerResponse, timers: Set<NodeJS.Timeout>): void {
  res.writeHead(200, {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    // wrangler dev's own proxy rewrites HTML and re-compresses it for a gzip-accepting client (every browser),
    // and that compressor flushes only when the body ends: the page would appear all at once after 3 s. An
    // explicit `identity` coding opts this response out (Miniflare leaves codings other than gzip and br
    // alone, and browsers read it as "not encoded"), so a visitor sees the chunks arrive.
    "Content-Encoding": "identity",
  });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const schedule = (fn: () => void): void => {
    timer = setTimeout(() => {
      if (timer !== undefined) timers.delete(timer);
      timer = undefined;
      fn();
    }, SLOW_INTERVAL_MS);
    timers.add(timer);
  };
  res.on("close", () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timers.delete(timer);
    }
  });
  const head = page(
    "A slowly streamed page",
    `<p>The origin sends one line every ${SLOW_INTERVAL_MS} ms. The lines appear one by one because the Worker passes
the origin's body through as a stream: it changes only the headers, and never reads the body into memory.</p>
<ol>`,
  ).replace(/<\/body>\s*<\/html>\s*$/, "");
  res.write(head);
  let n = 0;
  const tick = (): void => {
    n++;
    const line = `<li>chunk ${n} of ${SLOW_CHUNKS}, sent ${Date.now() - started} ms after the headers</li>\n`;
    if (n < SLOW_CHUNKS) {
      res.write(line);
      schedule(tick);
    } else {
      res.end(`${line}</ol>\n<p>Done.</p>\n</body>\n</html>\n`);
    }
  };
  schedule(tick);
}

function route(req: IncomingMessage, res: ServerResponse, originUrl: string, timers: Set<NodeJS.Timeout>, marker: string): void {
  const path = new URL(req.url ?? "/", "http://demo.invalid").pathname;
  const forwardedHost = req.headers["x-forwarded-host"];
  switch (path) {
    case "/":
    case "/index.html":
      sendHtml(res, 200, indexPage(originUrl, typeof forwardedHost === "string" ? forwardedHost : undefined));
      return;
    case "/api/data.json": {
      const body = Buffer.from(
        `${JSON.stringify(
          {
            message: "JSON from the demo origin. The security headers are on this response too.",
            items: [
              { id: 1, name: "first" },
              { id: 2, name: "second" },
            ],
          },
          null,
          2,
        )}\n`,
      );
      res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Content-Length": String(body.length) });
      res.end(body);
      return;
    }
    case "/slow":
      sendSlow(req, res, timers);
      return;
    case "/error":
      sendHtml(
        res,
        500,
        page(
          "500 Internal Server Error",
          `<p>The origin failed on purpose. The Worker passes the status and the body through unchanged, and the
response still carries every security header.</p>`,
        ),
      );
      return;
    case "/old-page":
      sendHtml(res, 302, page("Moved", '<p>This page moved to <a href="/">/</a>.</p>'), [["Location", "/"]]);
      return;
    case "/cookies":
      sendHtml(
        res,
        200,
        page(
          "Two cookies",
          `<p>This response sets two cookies, each in its own <code>Set-Cookie</code> header. The second one's
<code>Expires</code> date contains a comma, which is why cookies cannot be joined into one comma-separated line the
way other headers can. The Worker keeps both lines exactly as the origin sent them (devtools → Application →
Cookies).</p>`,
        ),
        [
          ["Set-Cookie", "demo_session=abc123; Path=/; HttpOnly; SameSite=Lax"],
          ["Set-Cookie", "demo_theme=dark; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT; SameSite=Lax"],
        ],
      );
      return;
    case "/weak-headers":
      sendHtml(res, 200, weakHeadersPage(), WEAK_HEADERS);
      return;
    case "/embed/widget":
      sendHtml(
        res,
        200,
        page(
          "Embeddable widget",
          `<p>A partner site frames this page. The policy in Workers KV (seeded from
<code>examples/policy.json</code> by <code>npm start</code>) has a rule for <code>/embed/*</code>: its CSP says
<code>frame-ancestors https://partner.example.com</code> and the legacy <code>X-Frame-Options</code> is removed,
while every other page keeps <code>frame-ancestors 'none'</code> and <code>X-Frame-Options: DENY</code>. Compare
the response headers of this page and of <a href="/">/</a>.</p>`,
        ),
      );
      return;
    case "/login":
      sendHtml(
        res,
        200,
        page(
          "Sign in",
          `<p>The KV rule for <code>/login</code> adds <code>Cache-Control: no-store</code> and
<code>Clear-Site-Data: "cache"</code>, without a redeploy: change <code>examples/policy.json</code>, run
<code>npx security-headers-worker push examples/policy.json --local</code>, and the next request after the cache
period (30 s) shows the change.</p>`,
        ),
      );
      return;
    default: {
      const road = roadPage(path, page, marker);
      if (road !== undefined) {
        sendHtml(res, 200, road, [["Cache-Control", "no-store"]]);
        return;
      }
      sendHtml(
        res,
        404,
        page(
          "404 Not Found",
          `<p>Nothing at <code>${escapeHtml(path)}</code>. Error pages come from the origin like any other page, and the
Worker puts the same headers on them.</p>
${pageList()}`,
        ),
      );
    }
  }
}

/**
 * Start the demo origin on 127.0.0.1 (an ephemeral port unless `port` is given). `marker` is the secret the
 * /nonce page marks its script with: the Worker's NONCE_MARKER (drawn per run by `npm start`).
 */
export async function startDemoOrigin(port = 0, marker = createMarker()): Promise<DemoOrigin> {
  const timers = new Set<NodeJS.Timeout>();
  let originUrl = "";
  const server = createServer((req, res) => {
    req.resume(); // any method is answered; a request body is read and dropped
    route(req, res, originUrl, timers, marker);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  originUrl = `http://127.0.0.1:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    url: originUrl,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        // Keep-alive connections from workerd would otherwise hold the server open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
