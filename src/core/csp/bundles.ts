// Source bundles: the CSP sources well-known services document, per directive, so a policy can say
// `"allow": ["stripe"]` instead of copying hosts. Data only; merge-csp.ts expands them once per policy load.
//
// Rules for every entry (test/unit/csp/bundles.test.ts checks them for every bundle):
// - the sources are the vendor's documented ones, with the page and the date they were read beside them;
// - script-src never gets `*`, a bare scheme, 'unsafe-inline' or 'unsafe-eval'. Where a vendor asks for
//   'unsafe-inline' or 'unsafe-eval' (GTM's custom JavaScript variables, Cloudflare's Scrape Shield), the
//   bundle leaves it out and `notes` says so; a subdomain wildcard stays inside the vendor's own domain;
// - a service whose documented snippet is an inline script says `needs: "nonce"`: its hosts alone do not
//   make it work, and validate warns when the policy has no script nonce where the bundle applies.

/** The directives a bundle may add sources to: fetch directives and form-action. */
export type BundleDirective =
  "script-src" | "style-src" | "img-src" | "font-src" | "connect-src" | "frame-src" | "media-src" | "form-action";

/** One service's documented sources. */
export interface SourceBundle {
  readonly name: string;
  /** The service as people call it. */
  readonly title: string;
  /** The vendor's page the sources come from. */
  readonly docs: string;
  /** When that page was read (UTC date), and how. */
  readonly read: string;
  readonly sources: Readonly<Partial<Record<BundleDirective, readonly string[]>>>;
  /** The service's own snippet is an inline script: without a script nonce (or hash) it is blocked. */
  readonly needs?: "nonce";
  /** What the vendor documents that the bundle leaves out, and why. */
  readonly notes: string;
}

const READ = "2026-12-03";
const STORED = `${READ}, the vendor's page (stored copy)`;
const NO_CSP_PAGE = `${READ}: the vendor publishes no CSP page; the hosts of its documented embed/loader URLs`;

function bundle(entry: SourceBundle): SourceBundle {
  for (const list of Object.values(entry.sources)) Object.freeze(list);
  Object.freeze(entry.sources);
  return Object.freeze(entry);
}

const CDN_NOTE =
  "A public CDN serves every package published to it: allowing the host lets an injected <script src> load any of them " +
  "(an old library with a known gadget, say). Prefer a path (`csp.add` with the package's versioned URL), or a nonce with strictDynamic.";

const LIST: readonly SourceBundle[] = [
  bundle({
    name: "google-analytics",
    title: "Google Analytics 4 (gtag.js)",
    docs: "https://developers.google.com/tag-platform/security/guides/csp#google_analytics_4_google_analytics",
    read: `${READ}, the guide's GA4 section as projects that follow it quote it (the stored copy was read for its Tag Manager part)`,
    sources: {
      "script-src": ["https://*.googletagmanager.com"],
      "img-src": ["https://*.google-analytics.com", "https://*.googletagmanager.com"],
      "connect-src": ["https://*.google-analytics.com", "https://*.analytics.google.com", "https://*.googletagmanager.com"],
    },
    needs: "nonce",
    notes:
      "The gtag.js snippet starts with an inline script: mark it (marked nonce) or allow its hash. Google signals " +
      "(https://*.g.doubleclick.net and https://*.google.<country TLD>) are left out: a country TLD cannot be listed; add them with csp.add if you use signals.",
  }),
  bundle({
    name: "google-tag-manager",
    title: "Google Tag Manager",
    docs: "https://developers.google.com/tag-platform/security/guides/csp",
    read: STORED,
    sources: {
      "script-src": ["https://www.googletagmanager.com"],
      "img-src": ["https://www.googletagmanager.com"],
      "connect-src": ["https://www.googletagmanager.com", "https://www.google.com"],
    },
    needs: "nonce",
    notes:
      "The container snippet is inline and passes its nonce on to gtm.js, so it needs the nonce. Google documents " +
      "'unsafe-eval' for custom JavaScript variables and 'unsafe-inline' as a fallback: neither is added (use custom templates, and " +
      "the nonce in custom HTML tags). Preview mode's sources (tagmanager.google.com, gstatic, fonts) and each tag's own hosts " +
      "(GA4, Ads) are not in this bundle: allow google-analytics too, or add them.",
  }),
  bundle({
    name: "google-fonts",
    title: "Google Fonts",
    docs: "https://developers.google.com/fonts/docs/getting_started",
    read: NO_CSP_PAGE,
    sources: { "style-src": ["https://fonts.googleapis.com"], "font-src": ["https://fonts.gstatic.com"] },
    notes: "The stylesheet comes from fonts.googleapis.com and the font files from fonts.gstatic.com.",
  }),
  bundle({
    name: "stripe",
    title: "Stripe.js and Elements",
    docs: "https://docs.stripe.com/security/guide#content-security-policy",
    read: `${READ}, the vendor's page (no stored copy found; checked against integrations that quote it)`,
    sources: {
      "script-src": ["https://js.stripe.com", "https://*.js.stripe.com"],
      "frame-src": ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"],
      "connect-src": ["https://api.stripe.com"],
    },
    notes:
      "https://maps.googleapis.com (script-src, connect-src), which Stripe lists for the Address Element's autocomplete, is left out: " +
      "add it with csp.add if you use autocomplete.",
  }),
  bundle({
    name: "youtube",
    title: "YouTube embeds and the IFrame Player API",
    docs: "https://developers.google.com/youtube/iframe_api_reference",
    read: NO_CSP_PAGE,
    sources: { "frame-src": ["https://www.youtube.com", "https://www.youtube-nocookie.com"], "script-src": ["https://www.youtube.com"] },
    notes: "script-src is only for the IFrame Player API (https://www.youtube.com/iframe_api); a plain embed needs frame-src alone.",
  }),
  bundle({
    name: "vimeo",
    title: "Vimeo embeds and player.js",
    docs: "https://developer.vimeo.com/player/sdk/basics",
    read: NO_CSP_PAGE,
    sources: { "frame-src": ["https://player.vimeo.com"], "script-src": ["https://player.vimeo.com"] },
    notes: "script-src is only for the Player SDK (https://player.vimeo.com/api/player.js); a plain embed needs frame-src alone.",
  }),
  bundle({
    name: "jsdelivr",
    title: "jsDelivr CDN",
    docs: "https://www.jsdelivr.com/documentation",
    read: NO_CSP_PAGE,
    sources: {
      "script-src": ["https://cdn.jsdelivr.net"],
      "style-src": ["https://cdn.jsdelivr.net"],
      "font-src": ["https://cdn.jsdelivr.net"],
    },
    notes: CDN_NOTE,
  }),
  bundle({
    name: "unpkg",
    title: "unpkg CDN",
    docs: "https://unpkg.com/",
    read: NO_CSP_PAGE,
    sources: { "script-src": ["https://unpkg.com"], "style-src": ["https://unpkg.com"], "font-src": ["https://unpkg.com"] },
    notes: CDN_NOTE,
  }),
  bundle({
    name: "cdnjs",
    title: "cdnjs",
    docs: "https://cdnjs.com/about",
    read: NO_CSP_PAGE,
    sources: {
      "script-src": ["https://cdnjs.cloudflare.com"],
      "style-src": ["https://cdnjs.cloudflare.com"],
      "font-src": ["https://cdnjs.cloudflare.com"],
    },
    notes: CDN_NOTE,
  }),
  bundle({
    name: "recaptcha",
    title: "Google reCAPTCHA",
    docs: "https://developers.google.com/recaptcha/docs/faq#im-using-content-security-policy-csp-on-my-website.-how-can-i-configure-it-to-work-with-recaptcha",
    read: `${READ}, the vendor's FAQ (no stored copy found; checked against integrations that quote it)`,
    sources: {
      "script-src": ["https://www.google.com/recaptcha/", "https://www.gstatic.com/recaptcha/"],
      "frame-src": ["https://www.google.com/recaptcha/", "https://recaptcha.google.com/recaptcha/"],
    },
    notes: "Google recommends a nonce with 'strict-dynamic' over these paths; the paths work without one.",
  }),
  bundle({
    name: "hcaptcha",
    title: "hCaptcha",
    docs: "https://docs.hcaptcha.com/#content-security-policy-settings",
    read: STORED,
    sources: {
      "script-src": ["https://hcaptcha.com", "https://*.hcaptcha.com"],
      "frame-src": ["https://hcaptcha.com", "https://*.hcaptcha.com"],
      "style-src": ["https://hcaptcha.com", "https://*.hcaptcha.com"],
      "connect-src": ["https://hcaptcha.com", "https://*.hcaptcha.com"],
    },
    notes: "hCaptcha asks not to list its asset subdomains one by one (they change), hence the subdomain wildcard in script-src.",
  }),
  bundle({
    name: "cloudflare-web-analytics",
    title: "Cloudflare Web Analytics",
    docs: "https://developers.cloudflare.com/fundamentals/reference/policies-compliances/content-security-policies/",
    read: STORED,
    sources: { "script-src": ["https://static.cloudflareinsights.com"], "connect-src": ["https://cloudflareinsights.com"] },
    notes: "Cloudflare documents the hosts without a scheme; the bundle pins https.",
  }),
  bundle({
    name: "cloudflare-turnstile",
    title: "Cloudflare Turnstile",
    docs: "https://developers.cloudflare.com/turnstile/reference/content-security-policy/",
    read: STORED,
    sources: {
      "script-src": ["https://challenges.cloudflare.com"],
      "frame-src": ["https://challenges.cloudflare.com"],
      "connect-src": ["'self'"],
    },
    notes:
      "connect-src 'self' is for pre-clearance mode (a fetch to /cdn-cgi/ on your host). Cloudflare recommends a nonce on the " +
      "api.js script tag instead of the host; Turnstile works with 'strict-dynamic'.",
  }),
  bundle({
    name: "cloudflare-rocket-loader",
    title: "Cloudflare Rocket Loader",
    docs: "https://developers.cloudflare.com/fundamentals/reference/policies-compliances/content-security-policies/",
    read: STORED,
    sources: { "script-src": ["'self'", "https://ajax.cloudflare.com"] },
    notes:
      "Rocket Loader re-runs the page's scripts from its own loader; whether those keep their nonce is not documented, so try a " +
      "nonce policy under cspReportOnly first.",
  }),
  bundle({
    name: "cloudflare-zaraz",
    title: "Cloudflare Zaraz",
    docs: "https://blog.cloudflare.com/cloudflare-zaraz-supports-csp/",
    read: STORED,
    sources: { "script-src": ["'self'"], "connect-src": ["'self'"] },
    notes:
      "Cloudflare says Zaraz needs no CSP change: it adds a nonce of its own to script-src when it injects its inline script. " +
      "Its loader and events use /cdn-cgi/zaraz/ on your host ('self'). Tools Zaraz loads in the browser need their own sources.",
  }),
  bundle({
    name: "cloudflare-javascript-detections",
    title: "Cloudflare JavaScript detections (Bot Fight Mode, Bot Management)",
    docs: "https://developers.cloudflare.com/bots/additional-configurations/javascript-detections/#if-you-have-a-content-security-policy-csp",
    read: STORED,
    sources: { "script-src": ["'self'"] },
    needs: "nonce",
    notes:
      "The detection script lives under /cdn-cgi/challenge-platform/ on your host ('self'); Cloudflare injects an inline script " +
      "and gives it the nonce it reads from the CSP response header. Cloudflare discourages 'unsafe-inline' (not added).",
  }),
];

/** Every bundle by name, in the table's order. Frozen: the table is shared by every policy. */
export const SOURCE_BUNDLES: ReadonlyMap<string, SourceBundle> = new Map(LIST.map((entry) => [entry.name, entry]));

/** The bundle names, for schema hints and the did-you-mean. */
export const BUNDLE_NAMES: readonly string[] = Object.freeze(LIST.map((entry) => entry.name));
