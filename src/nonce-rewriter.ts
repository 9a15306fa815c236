// Stamp this response's nonce into an HTML body as it streams: marked mode replaces the origin's marker
// byte-wise; blanket mode gives the nonce to every script and style start tag (core/tag-stamper.ts).

import { createMarkerStream } from "./core/marker-stream.js";
import type { NoncePlan } from "./core/policy.js";
import { createTagStampStream } from "./core/tag-stamper.js";

/**
 * A new Response around the same status and headers whose body carries the nonce. Both modes are byte
 * streams of our own rather than HTMLRewriter: lol-html, strict in workerd, aborts mid-stream on some
 * markup (`<select><style>`) and the page is cut off after its headers have gone out; neither stream can
 * abort, and neither runs a callback per element.
 */
export function stampNonce(response: Response, plan: NoncePlan, nonce: string): Response {
  const body = response.body;
  if (body === null) return response;
  const stream = plan.mode === "marked" ? createMarkerStream(plan.marker, nonce) : createTagStampStream(plan, nonce);
  return new Response(body.pipeThrough(stream), response);
}
