// ALLOWED_HOSTS: the hosts the Worker answers for. In route mode (no ORIGIN_URL) the request's host is also
// where it is forwarded, so this list is what keeps a client from choosing the destination.

import { joinPath, renderReceived, type PolicyIssue } from "../shared/result.js";

/** The parsed list, ready for a lookup per request. */
export interface AllowedHosts {
  /** `host` or `host:port`, lower case, IDNs in punycode, no trailing dot, no port 80 or 443. */
  readonly exact: ReadonlySet<string>;
  /** `.example.com` for `*.example.com` (with `:port` when the entry had one): any subdomain, not the apex. */
  readonly suffixes: readonly string[];
  /** The entries as written, for log lines. */
  readonly listed: readonly string[];
}

const ENTRY_EXPECTED =
  "a host name, optionally with :port (ports 80 and 443 need none) or a leading *. for its subdomains, e.g. www.example.com, *.example.com, example.com:8443; this entry is ignored";

/**
 * Parse the binding: a string of hosts separated by commas or spaces, or an array of strings (a TOML array).
 * Unset or blank: undefined. A bad entry is dropped with an issue and the rest still serve; a binding of
 * the wrong type serves no host at all (the list was meant to restrict, so it fails closed).
 */
export function parseAllowedHosts(raw: unknown, issues: PolicyIssue[]): AllowedHosts | undefined {
  if (raw === undefined || (typeof raw === "string" && raw.trim() === "")) return undefined;
  let entries: unknown[];
  if (typeof raw === "string") entries = raw.split(/[\s,]+/).filter((e) => e !== "");
  else if (Array.isArray(raw)) entries = raw;
  else {
    issues.push({
      path: "ALLOWED_HOSTS",
      message: "a list of host names (a string separated by commas, or an array); no host is served",
      received: renderReceived(raw),
    });
    return { exact: new Set(), suffixes: [], listed: [] };
  }
  const exact = new Set<string>();
  const suffixes: string[] = [];
  const listed: string[] = [];
  entries.forEach((entry, i) => {
    const parsed = typeof entry === "string" ? parseEntry(entry.trim()) : undefined;
    if (parsed === undefined) {
      issues.push({ path: joinPath("ALLOWED_HOSTS", i), message: ENTRY_EXPECTED, received: renderReceived(entry) });
      return;
    }
    if (parsed.wildcard) suffixes.push(`.${parsed.key}`);
    else exact.add(parsed.key);
    listed.push(String(entry).trim());
  });
  return { exact, suffixes, listed };
}

/** Whether a request for this URL's host may be served. A few string operations per request. */
export function isAllowedHost(hosts: AllowedHosts, url: URL): boolean {
  const key = hostKey(url.hostname, url.port);
  if (hosts.exact.has(key)) return true;
  for (const suffix of hosts.suffixes) if (key.endsWith(suffix)) return true;
  return false;
}

/** `hostname[:port]` as the list stores it: one trailing dot (the DNS root) dropped, ports 80 and 443 dropped. */
function hostKey(hostname: string, port: string): string {
  const name = hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
  return port === "" || port === "80" || port === "443" ? name : `${name}:${port}`;
}

/** One entry normalised through the URL parser (case, punycode, IPv6 brackets), or undefined if it is no host. */
function parseEntry(text: string): { readonly key: string; readonly wildcard: boolean } | undefined {
  const wildcard = text.startsWith("*.");
  const rest = wildcard ? text.slice(2) : text;
  // Anything that would make this more than a host and port: a scheme, path, query, fragment, userinfo, or
  // another wildcard.
  if (rest === "" || /[\s/?#@\\*]/.test(rest)) return undefined;
  let url: URL;
  try {
    url = new URL(`http://${rest}`);
  } catch {
    return undefined;
  }
  const key = hostKey(url.hostname, url.port);
  if (key === "" || key.startsWith(".") || key.startsWith(":")) return undefined;
  // A wildcard stands for names under a domain; an IP address has none.
  if (wildcard && (url.hostname.startsWith("[") || /^[\d.]+$/.test(url.hostname))) return undefined;
  return { key, wildcard };
}
