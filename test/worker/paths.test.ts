// Issue 9 through the Worker: every spelling of /admin/settings that an origin serves as that page gets the
// /admin/* rule, or a 400 that never reaches the origin; accepted spellings are forwarded exactly as sent.

import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env.js";
import { createHandler, DEFAULT_DEPS } from "../../src/handler.js";
import { cspMap, ORIGIN_URL } from "./support.js";

afterEach(() => {
  vi.restoreAllMocks();
});

/** The site may be framed by itself; its admin pages by nobody (the policy). */
const POLICY = JSON.stringify({
  headers: { "X-Frame-Options": "SAMEORIGIN" },
  csp: { directives: { "frame-ancestors": ["'self'"] } },
  rules: [
    {
      path: "/admin/*",
      headers: { "X-Frame-Options": { value: "DENY", action: "set" } },
      csp: { directives: { "frame-ancestors": ["'none'"] } },
    },
    { path: "/echo/admin/*", headers: { "X-Area": "admin" } },
    { path: "/login", headers: { "X-Frame-Options": { value: "DENY", action: "set" } } },
    { path: "/*.css", headers: { "X-Frame-Options": { action: "remove" } } },
  ],
});

/** Call a Worker whose origin fetches are counted, with POLICY above (or `policy`). */
async function send(path: string, policy: string = POLICY): Promise<{ res: Response; forwarded: number }> {
  const fetchOrigin = vi.fn(DEFAULT_DEPS.fetchOrigin);
  const worker = createHandler({ ...DEFAULT_DEPS, fetchOrigin });
  const bindings = { ...env, ORIGIN_URL, POLICY: policy } as Env;
  const res = await worker.fetch(new Request(`https://www.example.com${path}`), bindings, createExecutionContext());
  return { res, forwarded: fetchOrigin.mock.calls.length };
}

function frameAncestors(res: Response): readonly string[] | undefined {
  return cspMap(res.headers.get("content-security-policy")).get("frame-ancestors");
}

describe("the reported spellings of /admin/settings", () => {
  it.each(["/admin/settings", "//admin/settings", "/ADMIN/settings", "/admin;x/settings", "/Admin./settings", "/%61dmin/settings"])(
    "%s reaches the origin and gets the /admin/* rule",
    async (path) => {
      const { res, forwarded } = await send(path);
      expect(forwarded).toBe(1);
      expect(res.status).toBe(404);
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(frameAncestors(res)).toEqual(["'none'"]);
      await res.body?.cancel();
    },
  );

  it("keeps the base policy for a page outside the rule, so the difference above is the rule's", async () => {
    const { res } = await send("/about");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(frameAncestors(res)).toEqual(["'self'"]);
    await res.body?.cancel();
  });
});

describe("spellings origins disagree on", () => {
  it.each([
    ["/admin%2Fsettings", "encoded /"],
    ["/admin%5Csettings", "encoded /"],
    ["/about%2F..%2Fadmin/settings", "encoded /"],
    ["/about/..;/admin/settings", "as a name"],
    ["/%u0061dmin/settings", "hex escape"],
    ["/%C0%AFadmin/settings", "overlong"],
    ["/admin/%00settings", "NUL"],
    ["/%2561dmin/settings", "decoded twice"],
    ["/login.php/x.css", "as the script /login.php"],
  ])("%s is answered 400 with the base policy and never forwarded", async (path, reason) => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { res, forwarded } = await send(path);
    expect(forwarded).toBe(0);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe("Bad Request\n");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const lines = errors.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({ level: "warn", event: "path.refused", method: "GET", path: new URL(path, "https://x").pathname }),
    ]);
    expect(String(lines[0]?.reason)).toContain(reason);
  });

  it("answers a refused HEAD without a body", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const fetchOrigin = vi.fn(DEFAULT_DEPS.fetchOrigin);
    const worker = createHandler({ ...DEFAULT_DEPS, fetchOrigin });
    const res = await worker.fetch(
      new Request("https://www.example.com/admin%2Fx", { method: "HEAD" }),
      { ...env, ORIGIN_URL, POLICY },
      createExecutionContext(),
    );
    expect(res.status).toBe(400);
    expect(res.body).toBeNull();
    expect(fetchOrigin).not.toHaveBeenCalled();
  });
});

describe("what the origin sees", () => {
  interface Echo {
    url: string;
  }

  it("is the client's path exactly as sent, whatever spelling the rules matched", async () => {
    for (const path of ["/echo/ADMIN;jsessionid=1/x", "/echo//admin/x", "/echo/%61dmin/x?q=1"]) {
      const { res } = await send(path);
      expect(res.headers.get("x-area"), path).toBe("admin");
      expect((await res.json<Echo>()).url, path).toBe(path);
    }
  });

  it("is the client's path exactly as sent for spellings whose readings select the same rules (red team: 400 on main)", async () => {
    for (const path of ["/echo/caf%E9", "/echo/vouchers/10%25DEAL", "/echo/wiki/...", "/echo/a%2Fb", "/echo/index.php/blog/x"]) {
      const { res, forwarded } = await send(path);
      expect([res.status, forwarded], path).toEqual([200, 1]);
      expect((await res.json<Echo>()).url, path).toBe(path);
    }
  });

  it.each(["/login.html", "/login.json", "/login.do", "/login/", "/login/x", "/admin", "/admin.json"])(
    "gives %s the rule its origin routes it to (red team: base headers on main)",
    async (path) => {
      const { res } = await send(path);
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      await res.body?.cancel();
    },
  );

  it("is anything at all when the policy has no rules: nothing depends on the path, so nothing is refused", async () => {
    const { res, forwarded } = await send("/echo/%zz/%2e%2e%2F..%2Fx", JSON.stringify({ headers: { "X-Frame-Options": "SAMEORIGIN" } }));
    expect(forwarded).toBe(1);
    expect((await res.json<Echo>()).url).toBe("/echo/%zz/%2e%2e%2F..%2Fx");
  });
});
