// UTC days for the report store: a timestamp's day, a summary's window, the retention cutoff, `?days=`.

/** Milliseconds in a UTC day. */
export const DAY_MS = 86_400_000;

/** The UTC day (YYYY-MM-DD) of a time in milliseconds since the epoch. */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The days of a window ending today (UTC), oldest first. */
export function windowDays(now: number, days: number): string[] {
  const out: string[] = [];
  const today = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate());
  for (let i = days - 1; i >= 0; i--) out.push(isoDay(today - i * DAY_MS));
  return out;
}

/** The first day of a window of `days` days ending today: rows from it on are in the window. */
export function windowStart(now: number, days: number): string {
  return isoDay(now - (days - 1) * DAY_MS);
}

/** The first day kept when rows older than `retentionDays` are deleted. */
export function retentionCutoff(now: number, retentionDays: number): string {
  return isoDay(now - retentionDays * DAY_MS);
}

/** A `?days=` value: the default when absent, undefined unless a whole number from 1 to `max`. */
export function parseDays(raw: string | null, fallback: number, max: number): number | undefined {
  if (raw === null) return fallback;
  if (!/^\d{1,3}$/.test(raw)) return undefined;
  const days = Number(raw);
  return days >= 1 && days <= max ? days : undefined;
}
