// Source bundles through the Worker: a POLICY var and a KV document that name services in `allow` give
// the CSP header those services' sources, on the base and on a rule's paths.

import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, cspMap, unique } from "./support.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("csp.allow through the Worker", () => {
  it("sends each allowed service's sources, the POLICY var's, the KV base's and a rule's together", async () => {
    const key = unique("bundles");
    await env.POLICY_KV.put(
      key,
      JSON.stringify({
        csp: { allow: ["stripe"] },
        rules: [{ path: "/videos/*", csp: { allow: ["youtube"] } }],
      }),
    );
    const bindings = { POLICY: JSON.stringify({ csp: { action: "set", allow: ["google-fonts"] } }), POLICY_KV_KEY: key };
    const page = await call("https://www.example.com/html", {}, bindings);
    await page.body?.cancel();
    const base = cspMap(page.headers.get("content-security-policy"));
    expect(base.get("script-src")).toEqual(["'self'", "https://js.stripe.com", "https://*.js.stripe.com"]);
    expect(base.get("connect-src")).toEqual(["'self'", "https://api.stripe.com"]);
    expect(base.get("style-src")).toEqual(["'self'", "https://fonts.googleapis.com"]);
    expect(base.get("font-src")).toEqual(["'self'", "https://fonts.gstatic.com"]);
    expect(base.get("frame-src")).toEqual(["'self'", "https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"]);

    const video = await call("https://www.example.com/videos/intro", {}, bindings);
    await video.body?.cancel();
    const onVideo = cspMap(video.headers.get("content-security-policy"));
    expect(onVideo.get("frame-src")).toEqual([
      "'self'",
      "https://js.stripe.com",
      "https://*.js.stripe.com",
      "https://hooks.stripe.com",
      "https://www.youtube.com",
      "https://www.youtube-nocookie.com",
    ]);
    expect(onVideo.get("script-src")).toEqual(["'self'", "https://js.stripe.com", "https://*.js.stripe.com", "https://www.youtube.com"]);
  });

  it("keeps the lower layers serving when a document names an unknown bundle", async () => {
    const key = unique("bundles-bad");
    await env.POLICY_KV.put(key, JSON.stringify({ csp: { allow: ["strpe"] }, headers: { "Referrer-Policy": "no-referrer" } }));
    const spy = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await call("https://www.example.com/html", {}, { POLICY_KV_KEY: key });
    await res.body?.cancel();
    expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    expect(cspMap(res.headers.get("content-security-policy")).has("script-src")).toBe(false);
    const logged = spy.mock.calls.map(([line]) => String(line)).join("\n");
    expect(logged).toContain("config.invalid");
    expect(logged).toContain("csp.allow[0]");
  });
});
