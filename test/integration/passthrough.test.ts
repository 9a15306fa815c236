// What passes through the Worker intact: gzip bytes, several Set-Cookie lines, HEAD, 204, 304 and 206.

import { describe, expect, it } from "vitest";
import { GZIP_BODY, GZIP_TEXT } from "../support/origin.js";
import { useHarness } from "./support/harness.js";
import { expectDefaultPolicy } from "./support/policy-headers.js";
import { fetchRaw, header } from "./support/raw-http.js";

const { workerUrl, originUrl } = useHarness();

describe("compressed bodies", () => {
  it("passes a gzip body through byte for byte to a client that sends no Accept-Encoding", async () => {
    const res = await fetchRaw(workerUrl("/gzip"));
    expect(res.status).toBe(200);
    expect(header(res.headers, "content-encoding")).toBe("gzip");
    expect(header(res.headers, "content-length")).toBe(String(GZIP_BODY.length));
    expect(res.body.equals(GZIP_BODY)).toBe(true);
    expectDefaultPolicy(res.headers);
  });

  it("passes a gzip body through byte for byte to a client that accepts gzip", async () => {
    const res = await fetchRaw(workerUrl("/gzip"), { headers: { "Accept-Encoding": "gzip" } });
    expect(header(res.headers, "content-encoding")).toBe("gzip");
    expect(header(res.headers, "content-length")).toBe(String(GZIP_BODY.length));
    expect(res.body.equals(GZIP_BODY)).toBe(true);
  });

  it("decodes a gzip body for a client that accepts only identity", async () => {
    // Observed: the runtime (Miniflare's entry worker, emulating the edge) decodes and sends it chunked.
    const res = await fetchRaw(workerUrl("/gzip"), { headers: { "Accept-Encoding": "identity" } });
    expect(res.status).toBe(200);
    expect(header(res.headers, "content-encoding")).toBeUndefined();
    expect(header(res.headers, "content-length")).toBeUndefined();
    expect(res.body.toString("utf8")).toBe(GZIP_TEXT);
    expectDefaultPolicy(res.headers);
  });
});

describe("headers and statuses", () => {
  it("keeps both Set-Cookie lines apart and in order, each as the origin sent it up to the defaults' appended attributes", async () => {
    const direct = await fetchRaw(originUrl("/cookies"));
    const proxied = await fetchRaw(workerUrl("/cookies"));
    const cookies = proxied.headers["set-cookie"];
    expect(cookies).toHaveLength(2);
    // Over http the defaults append nothing (Secure is for https): each line leaves as the origin sent it.
    const sent = direct.headers["set-cookie"] ?? [];
    expect(cookies).toEqual(sent);
    // The comma inside Expires is where a joined header would be split wrongly.
    expect(cookies?.some((line) => /; Expires=Wed, 21 Oct 2037 \d\d:\d\d:\d\d GMT;/.test(line))).toBe(true);
    expectDefaultPolicy(proxied.headers);
  });

  it("answers HEAD with the origin's content-length and no body", async () => {
    const full = await fetchRaw(originUrl("/head"));
    const res = await fetchRaw(workerUrl("/head"), { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(header(res.headers, "content-length")).toBe(String(full.body.length));
    expect(res.body.length).toBe(0);
    expectDefaultPolicy(res.headers);
  });

  it("passes a 204 through with no body and the policy headers", async () => {
    const res = await fetchRaw(workerUrl("/status?code=204"));
    expect(res.status).toBe(204);
    expect(res.body.length).toBe(0);
    expectDefaultPolicy(res.headers);
  });

  it("passes a 304 through with the origin's ETag and Cache-Control", async () => {
    const fresh = await fetchRaw(originUrl("/etag"));
    const etag = header(fresh.headers, "etag");
    expect(etag).toBeDefined();
    const res = await fetchRaw(workerUrl("/etag"), { headers: { "If-None-Match": etag ?? "" } });
    expect(res.status).toBe(304);
    expect(header(res.headers, "etag")).toBe(etag);
    expect(header(res.headers, "cache-control")).toBe(header(fresh.headers, "cache-control"));
    expect(res.body.length).toBe(0);
  });

  it("passes a 206 through with the requested range of the origin's body", async () => {
    const full = await fetchRaw(originUrl("/range"));
    const [start, end] = [2, 5];
    const res = await fetchRaw(workerUrl("/range"), { headers: { Range: `bytes=${start}-${end}` } });
    expect(res.status).toBe(206);
    expect(header(res.headers, "content-range")).toBe(`bytes ${start}-${end}/${full.body.length}`);
    expect(header(res.headers, "content-length")).toBe(String(end - start + 1));
    expect(res.body.equals(full.body.subarray(start, end + 1))).toBe(true);
    expectDefaultPolicy(res.headers);
  });
});
