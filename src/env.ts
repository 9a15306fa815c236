// The Worker's bindings, as wrangler.toml and the dashboard provide them.

/** Environment bindings. Vars arrive as strings, or as objects when written as TOML tables. */
export interface Env {
  /** Fixed origin (scheme, host, port); unset means the route's own host, for the hosts in ALLOWED_HOSTS. */
  readonly ORIGIN_URL?: string;
  /** Milliseconds to wait for the origin's response headers before answering 504. */
  readonly ORIGIN_TIMEOUT_MS?: string;
  /** Policy document (JSON text or a TOML table) layered over the built-in defaults. */
  readonly POLICY?: string | Record<string, unknown>;
  /** What no policy layer can exceed (HSTS max-age, includeSubDomains, preload; CSP Report-Only), JSON or a TOML table. */
  readonly CEILINGS?: string | Record<string, unknown>;
  /** "true" sends every enforced CSP as Content-Security-Policy-Report-Only. */
  readonly CSP_REPORT_ONLY?: string;
  /** Workers KV namespace holding the policy document with per-path rules. */
  readonly POLICY_KV?: KVNamespace;
  /** The key of the policy document in POLICY_KV. */
  readonly POLICY_KV_KEY?: string;
  /** Seconds a loaded KV document serves before a background refresh. */
  readonly POLICY_CACHE_SECONDS?: string;
  /** "true" serves the CSP report collector at REPORT_PATH and points every CSP at it. */
  readonly REPORTS_ENABLED?: string;
  /** Where the collector listens (default /__csp-report). */
  readonly REPORT_PATH?: string;
  /** Share of accepted reports that are stored, 0 to 1 (default 1). */
  readonly REPORT_SAMPLE_RATE?: string;
  /** Secret bearer token for GET {REPORT_PATH}/summary; unset turns the summary off. */
  readonly REPORTS_TOKEN?: string;
  /** D1 database storing violation counts. */
  readonly REPORTS_DB?: D1Database;
  /** Workers rate-limiting binding limiting reports per client. */
  readonly REPORT_LIMITER?: RateLimit;
  /** Hosts the Worker serves (`www.example.com, *.example.com`); required when ORIGIN_URL is unset. */
  readonly ALLOWED_HOSTS?: string | readonly string[];
  /** Secret marker of marked nonces when the policy names none (`wrangler secret put NONCE_MARKER`). */
  readonly NONCE_MARKER?: string;
}
