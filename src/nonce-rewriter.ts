// Stamp this response's nonce into an HTML body as it streams: marked mode replaces the origin's marker
// byte-wise; blanket mode uses HTMLRewriter to set the attribute on every script and style element.

import { createMarkerStream } from "./core/marker-stream.js";
import type { NoncePlan } from "./core/policy.js";

/** A new Response around the same status and headers whose body carries the nonce. Throws if it cannot. */
export function stampNonce(response: Response, plan: NoncePlan, nonce: string): Response {
  const body = response.body;
  if (body === null) return response;
  if (plan.mode === "marked") return new Response(body.pipeThrough(createMarkerStream(plan.marker, nonce)), response);
  const stamp: HTMLRewriterElementContentHandlers = {
    element(element) {
      element.setAttribute("nonce", nonce);
    },
  };
  const rewriter = new HTMLRewriter();
  if (plan.scripts) rewriter.on("script", stamp);
  if (plan.styles) rewriter.on("style", stamp);
  rewriter.on("link", {
    element(element) {
      if (linkNeedsNonce(element, plan)) element.setAttribute("nonce", nonce);
    },
  });
  return rewriter.transform(response);
}

/** Stylesheets, and preloads of scripts or styles; icons and other links are left alone. */
function linkNeedsNonce(element: Element, plan: NoncePlan): boolean {
  const rel = ` ${(element.getAttribute("rel") ?? "").toLowerCase()} `;
  const as = (element.getAttribute("as") ?? "").toLowerCase();
  if (rel.includes(" stylesheet ")) return plan.styles;
  if (rel.includes(" modulepreload ")) return plan.scripts && (as === "" || as === "script");
  if (rel.includes(" preload ")) return (plan.scripts && as === "script") || (plan.styles && as === "style");
  return false;
}
