// Cookie hardening inside workerd, against the real test origin: each Set-Cookie line gets the policy's
// attributes (Secure over https only), lines stay apart and in order, on every status and on the fallbacks.

import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env.js";
import { createHandler, DEFAULT_DEPS } from "../../src/handler.js";
import { createMarker } from "../../src/core/nonce/nonce-marker.js";
import { markedPage, markerLeaks, markerUrl } from "./marker-support.js";
import { call, ORIGIN_URL, respond } from "./support.js";

afterEach(() => {
  vi.restoreAllMocks();
});

const THREE: [string, string][] = [
  ["Set-Cookie", "theme=dark"],
  ["Set-Cookie", "sessionid=abc; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT"],
  ["Set-Cookie", "pref=a=b,c; SameSite=None"],
];

const RULED = {
  POLICY: JSON.stringify({
    cookies: [{ name: "sessionid", httpOnly: true, sameSite: "Strict" }],
    rules: [{ path: "/respond", cookies: [{ name: "theme", httpOnly: true }] }],
  }),
};

describe("Set-Cookie lines", () => {
  it("get Secure by default over https (and no SameSite: logins that POST back cross-site keep working), each line apart and in order", async () => {
    const res = await call(respond(THREE));
    expect(res.headers.getSetCookie()).toEqual([
      "theme=dark; Secure",
      "sessionid=abc; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Secure",
      "pref=a=b,c; SameSite=None; Secure",
    ]);
  });

  it("get SameSite=Lax as well under the strict preset", async () => {
    const res = await call(respond(THREE), {}, { POLICY: '{"preset":"strict"}' });
    expect(res.headers.getSetCookie()).toEqual([
      "theme=dark; Secure; SameSite=Lax",
      "sessionid=abc; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Secure; SameSite=Lax",
      "pref=a=b,c; SameSite=None; Secure",
    ]);
  });

  it("get no Secure over http, where a browser would refuse the cookie", async () => {
    const res = await call(respond(THREE, 200, "http://p.test"));
    expect(res.headers.getSetCookie()).toEqual([
      "theme=dark",
      "sessionid=abc; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT",
      "pref=a=b,c; SameSite=None",
    ]);
  });

  it("follow the base's entries and a matching rule's, the rule's first, over the defaults", async () => {
    const res = await call(respond(THREE), {}, RULED);
    expect(res.headers.getSetCookie()).toEqual([
      "theme=dark; Secure; HttpOnly",
      "sessionid=abc; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Secure; HttpOnly; SameSite=Strict",
      "pref=a=b,c; SameSite=None; Secure",
    ]);
  });

  it.each([404, 500, 503])("are hardened on an origin %i too", async (status) => {
    const res = await call(respond([["Set-Cookie", "sessionid=1"]], status), {}, RULED);
    expect(res.status).toBe(status);
    expect(res.headers.getSetCookie()).toEqual(["sessionid=1; Secure; HttpOnly; SameSite=Strict"]);
  });

  it("are left as they came with cookies: false, and a __Host- line with Domain is logged once without its value", async () => {
    const warn = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const off = await call(respond(THREE), {}, { POLICY: '{"cookies":false}' });
    expect(off.headers.getSetCookie()).toEqual(THREE.map(([, line]) => line));
    const host: [string, string][] = [["Set-Cookie", "__Host-only=s3cr3t; Domain=example.com"]];
    for (let i = 0; i < 2; i++) {
      const res = await call(respond(host));
      expect(res.headers.getSetCookie()).toEqual(["__Host-only=s3cr3t; Domain=example.com"]);
    }
    const lines = warn.mock.calls.map(([line]) => String(line)).filter((line) => line.includes("cookie.left_alone"));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "{}")).toEqual(expect.objectContaining({ level: "warn", name: "__Host-only" }));
    expect(lines[0]).not.toContain("s3cr3t");
  });

  it("are hardened by the built-in defaults when planning the policy throws", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const worker = createHandler({
      ...DEFAULT_DEPS,
      planHeaders: (policy, facts) => {
        if (!policy.options.reportOnly && policy.rules.length > 0) throw new Error("planner broke");
        return DEFAULT_DEPS.planHeaders(policy, facts);
      },
    });
    const bindings = { ...env, ORIGIN_URL, ...RULED } as Env;
    const res = await worker.fetch(new Request(respond([["Set-Cookie", "sessionid=1"]])), bindings, createExecutionContext());
    // The policy's HttpOnly and Strict are lost with its plan; the defaults' Secure still goes on.
    expect(res.headers.getSetCookie()).toEqual(["sessionid=1; Secure"]);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining("planner broke"));
  });
});

describe("on a site with a nonce marker", () => {
  it("scrubs a marker inside a cookie value from the final, hardened lines", async () => {
    const marker = createMarker();
    const bindings = {
      POLICY: JSON.stringify({ nonce: {}, cookies: [{ pattern: "s*", httpOnly: true }] }),
      NONCE_MARKER: marker,
    };
    const res = await call(
      markerUrl({
        body: markedPage(marker),
        headers: [
          ["Content-Type", "text/html; charset=utf-8"],
          ["Set-Cookie", `sid=${marker}`],
          ["Set-Cookie", `__Host-x=a${marker}b; Path=/`],
        ],
      }),
      {},
      bindings,
    );
    const lines = res.headers.getSetCookie();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^sid=[^;]+; Secure; HttpOnly$/);
    expect(lines[1]).toMatch(/^__Host-x=a[^;]+b; Path=\/; Secure$/);
    expect(await markerLeaks(res, marker)).toEqual([]);
  });
});
