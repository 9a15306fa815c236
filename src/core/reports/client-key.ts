// Who a report's sender is, for rate limiting: an IPv4 address, or the /48 an IPv6 site is usually given; and
// the bucket it counts in when the store says how many clients saw a violation.

import { hashKey } from "./client-ledger.js";

/** The key every client-scoped limit uses when the request carries no usable CF-Connecting-IP. */
export const NO_CLIENT_IP = "no-client-ip";

/**
 * The rate-limit key for a client address: IPv4 as is, IPv6 by its /48. One host holds a whole /64, and
 * an ordinary residential line gets a /56 or a /48 (RFC 6177, RIPE-690): keyed by /64, one subscriber had
 * 256 to 65,536 budgets. A /48 is the most a single site is normally assigned; neighbours behind one /48
 * share a budget, as households behind one IPv4 NAT do. Without an address (local dev, tests), every
 * client shares one key: Cloudflare's edge always sets CF-Connecting-IP.
 */
export function rateLimitKey(ip: string | null): string {
  const address = (ip ?? "").trim().toLowerCase();
  if (address === "" || address.length > 45) return NO_CLIENT_IP;
  if (!address.includes(":")) return /^[\d.]+$/.test(address) ? address : NO_CLIENT_IP;
  if (!/^[0-9a-f:.]+$/.test(address)) return NO_CLIENT_IP;
  // IPv4-mapped (::ffff:192.0.2.1): the IPv4 address is the client.
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  const [head = "", tail] = address.split("::", 2);
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = tail === undefined ? 0 : Math.max(0, 8 - headGroups.length - tailGroups.length);
  const groups = [...headGroups, ...Array<string>(missing).fill("0"), ...tailGroups];
  const prefix = groups.slice(0, 3).map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? g.replace(/^0+(?=.)/, "") : "?"));
  return `${prefix.join(":")}::/48`;
}

/**
 * The pseudonym D1 keeps for a client's daily share: 16 hex digits of SHA-256 over the day and the key.
 * Never the address; a new one each day. (An IPv4 pseudonym can be reversed by trying every address.)
 */
export async function clientPseudonym(key: string, day: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${day} ${key}`));
  let hex = "";
  for (const byte of new Uint8Array(digest).subarray(0, 8)) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** Buckets of the distinct-clients sketch: 48 bits, so a sketch is an exact JavaScript number and a SQLite integer. */
export const CLIENT_BUCKETS = 48;

/**
 * A client's bit in a row's distinct-clients sketch: a hash of its rate-limit key modulo 48. Each bucket holds
 * a 48th of all addresses, so the sketch tells one client from several (what `reports --suggest` needs to
 * leave out a host only one visitor's extension or malware loads) and never which client.
 */
export function clientBit(key: string): number {
  return 2 ** (hashKey(key) % CLIENT_BUCKETS);
}

/** How many buckets a sketch has set: a lower bound on the distinct clients behind it. */
export function clientBuckets(sketch: number): number {
  let count = 0;
  for (let bit = 0, rest = sketch; bit < CLIENT_BUCKETS && rest > 0; bit++, rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}
