// Content negotiation for the summary: JSON for scripts and the CLI, HTML for a browser.

/** Whether an Accept header prefers JSON to HTML (q-values honoured; a tie, or no Accept, means HTML). */
export function prefersJson(accept: string | null): boolean {
  if (accept === null) return false;
  const ranges: { type: string; q: number }[] = [];
  for (const part of accept.split(",").slice(0, 32)) {
    const [type = "", ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith("q="));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (type !== "" && q >= 0 && q <= 1) ranges.push({ type, q });
  }
  return quality(ranges, "application/json") > quality(ranges, "text/html");
}

/** The q of the most specific range matching `type` (RFC 9110 §12.5.1), 0 when none does. */
function quality(ranges: readonly { type: string; q: number }[], type: string): number {
  const major = `${type.split("/", 1)[0] ?? ""}/*`;
  for (const candidate of [type, major, "*/*"]) {
    const hit = ranges.find((r) => r.type === candidate);
    if (hit !== undefined) return hit.q;
  }
  return 0;
}

/** Whether the summary answers JSON: `?format=json` or `html` decides, otherwise the Accept header. */
export function wantsJson(format: string | null, accept: string | null): boolean {
  return format === "json" || (format !== "html" && prefersJson(accept));
}
