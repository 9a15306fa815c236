// What check hands the Observatory: the http:// form's redirect route, followed as its retriever follows it.

import { describe, expect, it } from "vitest";
import { followRoute, MAX_REDIRECTS, retrievalOf } from "../../../bin/support/grade/retrieval.js";
import type { RawResponse } from "../../../bin/support/http-get.js";

function response(status: number, location?: string): RawResponse {
  const headers = location === undefined ? {} : { location };
  return { status, rawHeaders: location === undefined ? [] : ["Location", location], headers, body: "", ms: 0 };
}

describe("followRoute", () => {
  it("follows relative and absolute Locations, one GET per hop, until a page", async () => {
    const answers = new Map<string, RawResponse>([
      ["http://example.com/", response(301, "/start")],
      ["http://example.com/start", response(302, "https://example.com/")],
      ["https://example.com/", response(200)],
    ]);
    const asked: string[] = [];
    const hops = await followRoute(new URL("http://example.com/"), (url) => {
      asked.push(url.href);
      const answer = answers.get(url.href);
      return answer === undefined ? Promise.reject(new Error("unexpected")) : Promise.resolve(answer);
    });
    expect(hops.map((h) => `${h.url.href} ${h.response.status}`)).toEqual([
      "http://example.com/ 301",
      "http://example.com/start 302",
      "https://example.com/ 200",
    ]);
    expect(asked).toEqual(["http://example.com/", "http://example.com/start", "https://example.com/"]);
  });

  it("stops after the Observatory's ten redirects, and at a hop that fails", async () => {
    let n = 0;
    const loop = await followRoute(new URL("http://example.com/0"), () => Promise.resolve(response(302, `/${++n}`)));
    expect(loop).toHaveLength(MAX_REDIRECTS + 1);
    const broken = await followRoute(new URL("http://example.com/"), (url) =>
      url.protocol === "http:" ? Promise.resolve(response(301, "https://example.com/")) : Promise.reject(new Error("refused")),
    );
    expect(broken.map((h) => h.response.status)).toEqual([301]);
  });

  it("starts from a response already fetched, without fetching it again", async () => {
    const hops = await followRoute(new URL("http://example.com/"), () => Promise.reject(new Error("no fetch expected")), response(200));
    expect(hops).toHaveLength(1);
  });
});

describe("retrievalOf", () => {
  it("makes an https URL's response the page and the https response, with the http:// form's route", () => {
    const page = response(200);
    const first = response(301, "https://example.com/");
    const site = retrievalOf(new URL("https://example.com/"), page, [
      { url: new URL("http://example.com/"), response: first },
      { url: new URL("https://example.com/"), response: page },
    ]);
    expect(site.https).toBe(site.page);
    expect(site.http?.route.map((r) => `${r.url.href} ${r.status}`)).toEqual(["http://example.com/ 301", "https://example.com/ 200"]);
    expect(site.http?.response.status).toBe(301);
  });

  it("makes an http URL's response the page and the http response, with no https response", () => {
    const page = response(200);
    const url = new URL("http://example.com/");
    const site = retrievalOf(url, page, [{ url, response: page }]);
    expect(site.https).toBeNull();
    expect(site.http?.response).toBe(site.page);
  });
});
