// The checks before a fetch: which requests are refused in each origin mode, with which status and hint,
// and that the requests a deployment is for always go on.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { appendLoopEntry, createLoopToken, MAX_CHAIN } from "../../../src/core/origin/loop-guard.js";
import { parseEnv } from "../../../src/core/policy/parse-env.js";
import { answerRefusal, guardRequest } from "../../../src/core/origin/request-guard.js";
import { fuzzParameters } from "../../fuzz-config.js";

const TOKEN = createLoopToken(new Uint8Array(16).fill(7));
const OTHER = createLoopToken(new Uint8Array(16).fill(8));

function config(bindings: Record<string, unknown>) {
  const { config: parsed, issues } = parseEnv(bindings);
  expect(issues).toEqual([]);
  return parsed;
}

const route = config({ ALLOWED_HOSTS: "www.example.com, *.example.net" });
const routeUnset = config({});
const fixed = config({ ORIGIN_URL: "https://origin.example.com" });
const fixedRestricted = config({ ORIGIN_URL: "https://origin.example.com", ALLOWED_HOSTS: "www.example.com" });

describe("guardRequest", () => {
  it("lets a request for a listed host go on in route mode, alone or after other proxies", () => {
    expect(guardRequest(new URL("https://www.example.com/a"), null, route, TOKEN)).toBeUndefined();
    expect(guardRequest(new URL("https://api.example.net/a"), "cloudflare; loops=1", route, TOKEN)).toBeUndefined();
    expect(guardRequest(new URL("https://www.example.com/a"), appendLoopEntry(null, OTHER), route, TOKEN)).toBeUndefined();
  });

  it("refuses a host that is not listed before anything else, in both modes", () => {
    for (const c of [route, fixedRestricted]) {
      const allowed = c.allowedHosts?.listed;
      expect(guardRequest(new URL("http://127.0.0.1:8787/"), null, c, TOKEN)).toEqual({
        kind: "host-not-allowed",
        host: "127.0.0.1:8787",
        allowed,
      });
      expect(guardRequest(new URL("https://www.example.com:8443/"), null, c, TOKEN)).toEqual({
        kind: "host-not-allowed",
        host: "www.example.com:8443",
        allowed,
      });
    }
  });

  it("refuses every request in route mode without ALLOWED_HOSTS: the host would pick the destination", () => {
    for (const url of ["http://127.0.0.1:8787/", "https://my-worker.me.workers.dev/", "https://www.example.com/"]) {
      expect(guardRequest(new URL(url), null, routeUnset, TOKEN)).toEqual({ kind: "origin-unset" });
    }
  });

  it("serves any host with ORIGIN_URL and no list: the host picks nothing there", () => {
    expect(guardRequest(new URL("https://anything.test:1234/"), null, fixed, TOKEN)).toBeUndefined();
  });

  it("refuses its own request, and a request that passed MAX_CHAIN instances, in every mode", () => {
    const back = appendLoopEntry("cloudflare", TOKEN);
    expect(guardRequest(new URL("https://www.example.com/"), back, route, TOKEN)).toEqual({ kind: "loop", own: true, hops: 1 });
    expect(guardRequest(new URL("https://x.test/"), back, fixed, TOKEN)).toEqual({ kind: "loop", own: true, hops: 1 });
    let chain: string | null = null;
    for (let i = 0; i < MAX_CHAIN; i++) chain = appendLoopEntry(chain, createLoopToken(new Uint8Array(16).fill(100 + i)));
    expect(guardRequest(new URL("https://x.test/"), chain, fixed, TOKEN)).toEqual({ kind: "loop", own: false, hops: MAX_CHAIN });
  });

  it("never refuses a listed host whose CDN-Loop holds no entry of this instance and fewer than MAX_CHAIN of others", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          "https://www.example.com/",
          "http://www.example.com:80/x?y",
          "https://deep.api.example.net/",
          "https://WWW.EXAMPLE.COM./",
        ),
        fc.integer({ min: 0, max: MAX_CHAIN - 1 }),
        fc.constantFrom(null, "cloudflare; loops=1", "Fastly, akamai", 'x; q="unclosed'),
        (url, others, before) => {
          let header: string | null = before;
          for (let i = 0; i < others; i++) header = appendLoopEntry(header, createLoopToken(new Uint8Array(16).fill(i)));
          expect(guardRequest(new URL(url), header, route, TOKEN)).toBeUndefined();
        },
      ),
      fuzzParameters(200),
    );
  });
});

describe("answerRefusal", () => {
  it("answers 421, 502 and 508, each logging what to set", () => {
    const misdirected = answerRefusal(
      { kind: "host-not-allowed", host: "evil.test", allowed: ["www.example.com", "*.example.net"] },
      route.origin,
    );
    expect(misdirected).toMatchObject({
      status: 421,
      text: "Misdirected Request",
      log: { event: "host.refused", host: "evil.test", allowed: "www.example.com, *.example.net" },
    });
    expect(String(misdirected.log.hint)).toContain("ALLOWED_HOSTS");
    const unset = answerRefusal({ kind: "origin-unset" }, routeUnset.origin);
    expect(unset).toMatchObject({ status: 502, text: "Bad Gateway", log: { event: "origin.unset" } });
    expect(String(unset.log.hint)).toMatch(/Set ORIGIN_URL .* or list the route's hosts in ALLOWED_HOSTS/);
    const loop = answerRefusal({ kind: "loop", own: true, hops: 1 }, fixed.origin);
    expect(loop).toMatchObject({ status: 508, text: "Loop Detected", log: { event: "origin.loop", own: true, hops: 1 } });
    expect(String(loop.log.hint)).toContain("ORIGIN_URL leads back to the Worker");
    expect(String(answerRefusal({ kind: "loop", own: true, hops: 1 }, route.origin).log.hint)).toContain(
      "set ORIGIN_URL to the origin server",
    );
    expect(String(answerRefusal({ kind: "loop", own: false, hops: MAX_CHAIN }, fixed.origin).log.hint)).toContain(
      `${MAX_CHAIN} or more instances`,
    );
  });

  it("cuts a client's long host short in the log line", () => {
    const host = `${"a".repeat(300)}.test`;
    expect(String(answerRefusal({ kind: "host-not-allowed", host, allowed: [] }, route.origin).log.host)).toHaveLength(100);
  });
});
