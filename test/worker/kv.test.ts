// The policy document in Workers KV: seeded per test, cached per isolate, refreshed in the background,
// and never applied when broken. A counting KV wrapper proves how often KV is read.

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env.js";
import { createHandler, DEFAULT_DEPS } from "../../src/handler.js";
import { createConfigLoader, documentVersion, MAX_DOCUMENT_BYTES } from "../../src/policy/policy-store.js";
import { cspMap, ORIGIN_URL, respond, unique } from "./support.js";

const GOOD = {
  headers: { "Referrer-Policy": "no-referrer" },
  rules: [
    {
      path: "/embed/*",
      csp: { directives: { "frame-ancestors": ["https://partner.example.com"] } },
      headers: { "X-Frame-Options": { action: "remove" } },
    },
    { path: "/login", headers: { "Cache-Control": { value: "no-store", action: "set" }, "Clear-Site-Data": '"cache", "cookies"' } },
  ],
};

/** A KV namespace that counts reads and can be told to fail, hang, or hand out another value. */
class CountingKv {
  reads = 0;
  mode: "real" | "throw" | "hang" = "real";
  constructor(private readonly inner: KVNamespace) {}
  get(key: string, options: KVNamespaceGetOptions<"stream">): Promise<ReadableStream | null> {
    this.reads++;
    if (this.mode === "throw") return Promise.reject(new Error("KV GET failed: 503 Service Unavailable"));
    if (this.mode === "hang") return new Promise(() => undefined);
    return this.inner.get(key, options);
  }
}

let now = 0;
let kv: CountingKv;
let key: string;
let worker: ReturnType<typeof createHandler>;
let bindings: Env;

beforeEach(() => {
  now = 1_700_000_000_000;
  kv = new CountingKv(env.POLICY_KV);
  key = unique("policy");
  worker = createHandler({ ...DEFAULT_DEPS, loadConfig: createConfigLoader({ clock: () => now, kvTimeoutMs: 300 }) });
  bindings = { ...env, ORIGIN_URL, POLICY_KV: kv as unknown as KVNamespace, POLICY_KV_KEY: key };
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function get(path: string): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(path.startsWith("http") ? path : `https://www.example.com${path}`), bindings, ctx);
  await res.body?.cancel();
  await waitOnExecutionContext(ctx);
  return res;
}

async function put(value: unknown): Promise<void> {
  await env.POLICY_KV.put(key, typeof value === "string" ? value : JSON.stringify(value));
}

function logEvents(spy: { mock: { calls: unknown[][] } }): Record<string, unknown>[] {
  return spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
}

describe("loading the document", () => {
  it("applies the document's base and its rules", async () => {
    await put(GOOD);
    const page = await get("/html");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    const embed = await get("/embed/widget");
    expect(embed.headers.has("x-frame-options")).toBe(false);
    expect(cspMap(embed.headers.get("content-security-policy")).get("frame-ancestors")).toEqual(["https://partner.example.com"]);
    const login = await get("/login");
    expect(login.headers.get("cache-control")).toBe("no-store");
    expect(login.headers.get("clear-site-data")).toBe('"cache", "cookies"');
  });

  it("serves the lower layers when the key is missing", async () => {
    const res = await get("/html");
    expect(res.status).toBe(200);
    expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
  });

  it("reads KV at most once per cache period across 1,000 requests", async () => {
    await put(GOOD);
    for (let i = 0; i < 1000; i++) {
      const res = await get(i % 2 === 0 ? "/embed/x" : "/json");
      expect(res.status).toBe(i % 2 === 0 ? 404 : 200);
    }
    expect(kv.reads).toBe(1);
    now += 29_000;
    await get("/json");
    expect(kv.reads).toBe(1);
    now += 1_000;
    for (let i = 0; i < 100; i++) await get("/json");
    expect(kv.reads).toBe(2);
  });

  it("picks up a new version after the cache period without a redeploy", async () => {
    await put(GOOD);
    expect((await get("/html")).headers.get("referrer-policy")).toBe("no-referrer");
    await put({ headers: { "Referrer-Policy": "same-origin" } });
    expect((await get("/html")).headers.get("referrer-policy")).toBe("no-referrer");
    now += 30_000;
    // The stale entry serves this request while the refresh runs in the background…
    expect((await get("/html")).headers.get("referrer-policy")).toBe("no-referrer");
    // …and the next one sees the new version.
    expect((await get("/html")).headers.get("referrer-policy")).toBe("same-origin");
  });

  it("serves each response from one whole version while the document keeps changing", async () => {
    const version = (v: string) => ({
      headers: { "X-Policy-Version": v, "X-Policy-Twin": v },
      rules: [{ path: "/html", headers: { "X-Rule-Version": v } }],
    });
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      await put(version(i % 2 === 0 ? "a" : "b"));
      for (let j = 0; j < 3; j++) {
        const res = await get("/html");
        const v = res.headers.get("x-policy-version");
        // Never a mix of two versions within one response.
        expect(res.headers.get("x-policy-twin")).toBe(v);
        expect(res.headers.get("x-rule-version")).toBe(v);
        seen.add(String(v));
      }
      now += 30_000;
    }
    expect(seen).toEqual(new Set(["a", "b"]));
  });

  it("honours POLICY_CACHE_SECONDS", async () => {
    bindings = { ...bindings, POLICY_CACHE_SECONDS: "120" };
    await put(GOOD);
    await get("/html");
    now += 60_000;
    await get("/html");
    expect(kv.reads).toBe(1);
    now += 60_000;
    await get("/html");
    expect(kv.reads).toBe(2);
  });
});

describe("a broken KV", () => {
  async function loadGoodThenAge(): Promise<void> {
    await put(GOOD);
    expect((await get("/login")).headers.get("cache-control")).toBe("no-store");
    now += 30_000;
  }

  it("keeps the last good document when the new one is not JSON, and logs it once", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await loadGoodThenAge();
    await put('{"headers": {');
    for (let i = 0; i < 3; i++) {
      const page = await get("/html");
      expect(page.status).toBe(200);
      expect(page.headers.get("referrer-policy")).toBe("no-referrer");
      expect((await get("/login")).headers.get("cache-control")).toBe("no-store");
      now += 30_000;
    }
    const invalid = logEvents(errors).filter((e) => e.event === "config.invalid");
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatchObject({
      source: "KV",
      serving: "last good KV document",
      servingVersion: documentVersion(JSON.stringify(GOOD)),
    });
  });

  it("keeps the last good document when a rule is invalid, naming the rule's path", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await loadGoodThenAge();
    await put({ rules: [{ path: "/login", headers: { "X-Frame-Options": "ALLOWALL" } }] });
    await get("/login");
    expect((await get("/login")).headers.get("cache-control")).toBe("no-store");
    const invalid = logEvents(errors).find((e) => e.event === "config.invalid") as { issues: { path: string }[] } | undefined;
    expect(invalid?.issues.map((i) => i.path)).toEqual(['rules[0].headers["X-Frame-Options"]']);
  });

  it("keeps the last good document when a rule only fails in context", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await loadGoodThenAge();
    await put({ rules: [{ path: "/login", headers: { "X-New": { action: "set" } } }] });
    await get("/login");
    expect((await get("/login")).headers.get("cache-control")).toBe("no-store");
    const invalid = logEvents(errors).find((e) => e.event === "config.invalid") as { issues: { path: string }[] } | undefined;
    expect(invalid?.issues.map((i) => i.path)).toEqual(['rules[0].headers["X-New"].value']);
  });

  it("keeps the last good document when get throws", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await loadGoodThenAge();
    kv.mode = "throw";
    const page = await get("/html");
    expect(page.status).toBe(200);
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect((await get("/login")).headers.get("cache-control")).toBe("no-store");
    expect(logEvents(errors)).toContainEqual(expect.objectContaining({ event: "kv.unavailable", serving: "last good KV document" }));
  });

  it("serves the env layers when the very first read throws", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    kv.mode = "throw";
    const res = await get("/login");
    expect(res.status).toBe(404);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.has("cache-control")).toBe(false);
  });

  it("never makes a request wait on a hanging refresh", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await loadGoodThenAge();
    kv.mode = "hang";
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request("https://www.example.com/login"), bindings, ctx);
    // The response is here while the refresh is still hanging: its timeout has not been logged yet.
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(logEvents(errors).filter((e) => e.event === "kv.unavailable")).toEqual([]);
    await res.body?.cancel();
    await waitOnExecutionContext(ctx);
    expect(logEvents(errors).filter((e) => e.event === "kv.unavailable")).toHaveLength(1);
  });

  it("gives up on a hanging first read after the bound and serves the env layers", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    kv.mode = "hang";
    const res = await get("/html");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(logEvents(errors)).toContainEqual(
      expect.objectContaining({ event: "kv.unavailable", error: "KV read took longer than 300 ms" }),
    );
  });

  it("refuses a document over the size cap without applying it", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await loadGoodThenAge();
    await put(JSON.stringify({ headers: { "X-Pad": "x".repeat(MAX_DOCUMENT_BYTES) } }));
    await get("/login");
    expect((await get("/login")).headers.get("cache-control")).toBe("no-store");
    expect(logEvents(errors)).toContainEqual(
      expect.objectContaining({ event: "kv.unavailable", error: `policy document over ${MAX_DOCUMENT_BYTES} bytes` }),
    );
  });

  it("drops to the lower layers when the key is deleted", async () => {
    await loadGoodThenAge();
    await env.POLICY_KV.delete(key);
    await get("/login");
    expect((await get("/login")).headers.has("cache-control")).toBe(false);
  });
});

describe("rules on responses", () => {
  it("limits a rule to a content type", async () => {
    await put({ rules: [{ path: "/*", contentType: ["text/html"], headers: { "X-Frame-Options": "SAMEORIGIN" } }] });
    expect((await get("/html")).headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect((await get("/json")).headers.get("x-frame-options")).toBe("DENY");
  });

  it("applies to the Worker's own error responses by path", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    await put(GOOD);
    bindings = { ...bindings, ORIGIN_URL: "http://127.0.0.1:1" };
    const res = await get("/login");
    expect(res.status).toBe(502);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("clear-site-data")).toBe('"cache", "cookies"');
  });

  it("matches the decoded path, and refuses an encoded slash that hides a dot segment when the rules depend on it", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await put(GOOD);
    expect((await get("/embed/%77idget")).headers.has("x-frame-options")).toBe(false);
    // Read as a separator, /respond%2F..%2Fembed/x is /embed/x; kept in its segment, under no rule.
    const sneaky = await get(respond([], 200, "https://www.example.com").replace("/respond", "/respond%2F..%2Fembed/x"));
    expect(sneaky.status).toBe(400);
    expect(sneaky.headers.get("x-frame-options")).toBe("DENY");
    expect(logEvents(errors)).toContainEqual(expect.objectContaining({ event: "path.refused" }));
  });
});

describe("what the logs say serves", () => {
  // Invalid JSON, different in each test: a version's issues are logged once per isolate.
  let BAD = "";
  beforeEach(() => {
    BAD = `{"headers": {"${unique("unfinished")}"`;
  });

  function invalidLines(errors: { mock: { calls: unknown[][] } }): Record<string, unknown>[] {
    return logEvents(errors).filter((e) => e.event === "config.invalid" && e.source === "KV");
  }

  it("names the built-in defaults when the first document is invalid and there is no POLICY", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await put(BAD);
    await get("/html");
    expect(invalidLines(errors)).toEqual([expect.objectContaining({ serving: "built-in defaults", version: documentVersion(BAD) })]);
    expect(invalidLines(errors)[0]).not.toHaveProperty("servingVersion");
  });

  it("names the POLICY var when the first document is invalid and POLICY is good", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    bindings = { ...bindings, POLICY: '{"headers":{"Referrer-Policy":"same-origin"}}' };
    await put(BAD);
    expect((await get("/html")).headers.get("referrer-policy")).toBe("same-origin");
    expect(invalidLines(errors)).toEqual([expect.objectContaining({ serving: "POLICY var over the built-in defaults" })]);
  });

  it("names the built-in defaults when POLICY itself was refused", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    bindings = { ...bindings, POLICY: '{"hsts":{"maxAge":300,"preload":true}}' };
    await put(BAD);
    await get("/html");
    expect(invalidLines(errors)).toEqual([expect.objectContaining({ serving: "built-in defaults" })]);
  });

  it("names the last good KV version, by its identity, once one was applied", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await put(GOOD);
    await get("/html");
    now += 30_000;
    await put(BAD);
    await get("/html");
    await get("/html");
    expect(invalidLines(errors)).toEqual([
      expect.objectContaining({
        serving: "last good KV document",
        servingVersion: documentVersion(JSON.stringify(GOOD)),
        version: documentVersion(BAD),
      }),
    ]);
  });

  it("names the layers below again once the good document was deleted", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await put(GOOD);
    await get("/html");
    now += 30_000;
    await env.POLICY_KV.delete(key);
    await get("/html");
    now += 30_000;
    await put(BAD);
    await get("/html");
    expect(invalidLines(errors)).toEqual([expect.objectContaining({ serving: "built-in defaults" })]);
  });

  it("names what serves when KV cannot be read, before and after a good version", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    kv.mode = "throw";
    await get("/html");
    kv.mode = "real";
    now += 30_000;
    await put(GOOD);
    await get("/html");
    await get("/html");
    now += 30_000;
    kv.mode = "throw";
    await get("/html");
    await get("/html");
    const unavailable = logEvents(errors).filter((e) => e.event === "kv.unavailable");
    expect(unavailable.map((e) => e.serving)).toEqual(["built-in defaults", "last good KV document"]);
  });

  it("gives the origin.misconfigured line the configuration's fault, not the ORIGIN_URL hint, when loading throws", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const broken = createHandler({
      ...DEFAULT_DEPS,
      loadConfig: () => {
        throw new Error("config broke");
      },
    });
    const res = await broken.fetch(new Request("https://www.example.com/html"), bindings, createExecutionContext());
    expect(res.status).toBe(502);
    const line = logEvents(errors).find((e) => e.event === "origin.misconfigured");
    expect(String(line?.hint)).not.toContain("ORIGIN_URL");
    expect(String(line?.hint)).toContain("worker.fault");
  });

  it("keeps the ORIGIN_URL hint when ORIGIN_URL is what is wrong", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    bindings = { ...bindings, ORIGIN_URL: `https://${unique("origin")}.example.com/path` };
    await get("/html");
    expect(logEvents(errors).find((e) => e.event === "origin.misconfigured")?.hint).toContain("ORIGIN_URL");
  });
});
