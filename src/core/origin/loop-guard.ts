// Loop detection with RFC 8586's CDN-Loop header: every request the Worker forwards carries its own entry,
// so a request that comes back to it (or has passed too many instances of it) is recognised at once.
//
// Why CDN-Loop and not Via: CDN-Loop is the header CDNs (Cloudflare among them) append to for exactly this,
// and origins ignore it. A Via header changes how origins answer: nginx, by default, stops compressing for
// any request that carries one (gzip_proxied off).
//
// Why a substring search and not a parser: the header arrives with whatever a client put in it. A client
// that opens a quoted string and never closes it would swallow every entry appended after it for a strict
// parser, and the loop would go unseen. Each entry of ours is written verbatim and never removed, so
// counting the verbatim text cannot be fooled that way; a client can only add entries, which can only get
// its own request refused.

/** The pseudonym (RFC 8586 cdn-id) of every entry this Worker appends. */
export const LOOP_CDN_ID = "security-headers-worker";

/**
 * A request that has already passed through this many instances of the Worker is refused as a loop. An
 * instance recognises its own entry at once; the cap ends a loop whose every hop lands in a fresh isolate
 * (each isolate has its own token). No real deployment chains more than a few of these Workers.
 */
export const MAX_CHAIN = 8;

const ENTRY_PREFIX = `${LOOP_CDN_ID}; id=`;

/** What the CDN-Loop header says about this Worker. */
export interface LoopCheck {
  /** The header carries this instance's own entry: the request went out from here and came back. */
  readonly own: boolean;
  /** How many entries of any instance of this Worker the header carries. */
  readonly hops: number;
}

/** The per-isolate token that tells this instance's entries from other instances': 128 random bits in hex. */
export function createLoopToken(random: Uint8Array): string {
  let hex = "";
  for (const byte of random) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** The CDN-Loop value to forward: the client's entries as they came, then ours (RFC 8586: append, never remove). */
export function appendLoopEntry(header: string | null, token: string): string {
  const entry = `${ENTRY_PREFIX}${token}`;
  return header === null || header.trim() === "" ? entry : `${header}, ${entry}`;
}

/** Read a request's CDN-Loop header (null when absent); linear in its length. */
export function inspectCdnLoop(header: string | null, token: string): LoopCheck {
  if (header === null) return { own: false, hops: 0 };
  let hops = 0;
  let own = false;
  for (let at = header.indexOf(ENTRY_PREFIX); at !== -1; at = header.indexOf(ENTRY_PREFIX, at + ENTRY_PREFIX.length)) {
    hops++;
    const start = at + ENTRY_PREFIX.length;
    // The token must end where the entry does, so a longer token that merely starts with ours is not ours.
    if (header.startsWith(token, start) && !isTokenChar(header.charCodeAt(start + token.length))) own = true;
  }
  return { own, hops };
}

/** Whether a request with this check must be refused as a loop. */
export function isLoop(check: LoopCheck): boolean {
  return check.own || check.hops >= MAX_CHAIN;
}

/** tchar (RFC 9110 §5.6.2) letters and digits, the characters a token of ours could continue with. */
function isTokenChar(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}
