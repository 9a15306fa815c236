// Per-client report budgets, kept in isolate memory: reports per window, repeats counted once per window,
// and a daily share of distinct violations. Nothing here is stored or logged; the client key stays in memory.
//
// Why in the isolate: the Workers rate-limiting binding counts calls to limit(), one unit each, per
// Cloudflare location, and is eventually consistent by design. The collector asks it once per report this
// ledger admits, so the binding counts reports across the location's isolates, while this ledger makes the
// count exact within the isolate, whatever the binding's lag.

import type { ViolationRecord } from "./csp-report.js";
import { isoDay } from "./days.js";
import { violationKey } from "./rows.js";

/** The budgets one client has. */
export interface ClientLimits {
  /** Reports a client may have stored per window, repeats not counted (the REPORT_LIMITER's `limit`). */
  readonly reportsPerWindow: number;
  /**
   * Bodies a client may have read per window: repeats and entries the parser drops cost no report budget,
   * but reading, parsing and logging them still costs the Worker.
   */
  readonly requestsPerWindow: number;
  /** The window in milliseconds (the REPORT_LIMITER's `period`). */
  readonly windowMs: number;
  /** Distinct violations (directive, blocked, page, disposition) one client may bring in a UTC day. */
  readonly violationsPerDay: number;
  /** Clients remembered at once; the least recently seen is forgotten first. */
  readonly maxClients: number;
}

/** Reports of one batch the ledger would not admit, by reason. */
export interface AdmissionDrops {
  /** Over the client's reports per window. */
  rateLimited: number;
  /** The same violation the client already sent in this window. */
  duplicate: number;
  /** A new violation past the client's daily share. */
  clientCap: number;
}

/** A batch split into what may be stored and what is dropped. */
export interface Admission {
  /** In the batch's order; each one has been charged to the client. */
  readonly admitted: ViolationRecord[];
  readonly dropped: AdmissionDrops;
  /** Per admitted report, what it was charged: its hash, and whether it took a new place in the day's share. */
  readonly charges: readonly { readonly hash: number; readonly newToday: boolean }[];
}

/**
 * The collector's budgets. 60 reports a minute is REPORT_LIMITER's `simple` limit in wrangler.toml (keep them
 * equal). 100 distinct violations a day is 5% of the day's 2,000 rows: it takes 20 clients flooding at once
 * to fill a day. A browser sends a few batches a minute, so 60 bodies a minute is generous. 2,000 clients at
 * a few KB each stays far below an isolate's 128 MB.
 */
export const DEFAULT_CLIENT_LIMITS: ClientLimits = {
  reportsPerWindow: 60,
  requestsPerWindow: 60,
  windowMs: 60_000,
  violationsPerDay: 100,
  maxClients: 2000,
};

interface ClientState {
  window: number;
  /** Admitted this window, repeats not counted; forced to the budget when the binding refuses the client. */
  used: number;
  /** Bodies read this window. */
  requests: number;
  /** Violation hashes admitted this window. */
  seen: Set<number>;
  day: string;
  /** Violation hashes admitted today. */
  today: Set<number>;
}

/** Every client's budgets in one isolate. */
export class ClientLedger {
  private readonly clients = new Map<string, ClientState>();

  constructor(
    private readonly limits: ClientLimits,
    private readonly clock: () => number,
  ) {}

  /** Whether the client may send more this window: false means refuse the request unread. */
  hasBudget(client: string): boolean {
    const state = this.clients.get(client);
    if (state === undefined || state.window !== this.windowOf(this.clock())) return true;
    return state.used < this.limits.reportsPerWindow && state.requests < this.limits.requestsPerWindow;
  }

  /**
   * Charge one body read, and split its reports: repeats within the window, then the window's budget, then
   * the day's share of new violations.
   */
  admit(client: string, records: readonly ViolationRecord[]): Admission {
    const state = this.touch(client);
    state.requests++;
    const admitted: ViolationRecord[] = [];
    const charges: { hash: number; newToday: boolean }[] = [];
    const dropped: AdmissionDrops = { rateLimited: 0, duplicate: 0, clientCap: 0 };
    for (const record of records) {
      // The sample counts too: a page's inline scripts share a row but are distinct violations, each its own hash to propose.
      const hash = hashKey(`${violationKey(record)}${record.sample}`);
      const newToday = !state.today.has(hash);
      if (state.seen.has(hash)) dropped.duplicate++;
      else if (state.used >= this.limits.reportsPerWindow) dropped.rateLimited++;
      else if (newToday && state.today.size >= this.limits.violationsPerDay) dropped.clientCap++;
      else {
        state.used++;
        state.seen.add(hash);
        state.today.add(hash);
        admitted.push(record);
        charges.push({ hash, newToday });
      }
    }
    return { admitted, dropped, charges };
  }

  /**
   * The shared limiter confirmed only the first `confirmed` reports of an admission: the rest are dropped as
   * rate limited, given back to the client's daily share, and the client is spent for the rest of the window.
   */
  settle(client: string, admission: Admission, confirmed: number): Admission {
    if (confirmed >= admission.admitted.length) return admission;
    const state = this.touch(client);
    const refused = admission.charges.slice(confirmed);
    for (const { hash, newToday } of refused) {
      state.seen.delete(hash);
      if (newToday) state.today.delete(hash);
    }
    state.used = this.limits.reportsPerWindow;
    return {
      admitted: admission.admitted.slice(0, confirmed),
      dropped: { ...admission.dropped, rateLimited: admission.dropped.rateLimited + refused.length },
      charges: admission.charges.slice(0, confirmed),
    };
  }

  /** The client's state for now, reset where its window or day has passed, and marked most recently seen. */
  private touch(client: string): ClientState {
    const now = this.clock();
    const window = this.windowOf(now);
    const day = isoDay(now);
    let state = this.clients.get(client);
    if (state === undefined) state = { window, used: 0, requests: 0, seen: new Set(), day, today: new Set() };
    else this.clients.delete(client);
    if (state.window !== window) Object.assign(state, { window, used: 0, requests: 0, seen: new Set() });
    if (state.day !== day) Object.assign(state, { day, today: new Set() });
    this.clients.set(client, state);
    // Maps iterate in insertion order: the first key is the client seen least recently.
    for (const oldest of this.clients.keys()) {
      if (this.clients.size <= this.limits.maxClients) break;
      this.clients.delete(oldest);
    }
    return state;
  }

  private windowOf(now: number): number {
    return Math.floor(now / this.limits.windowMs);
  }
}

/**
 * A 53-bit hash of a violation key: two FNV-1a passes with different offsets. Keeping numbers instead of
 * the keys (up to ~1.5 KB each) bounds a client's memory; a collision only makes one violation count as a
 * repeat of another for that client.
 */
export function hashKey(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) >>> 11);
}
