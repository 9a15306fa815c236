// The marker never leaves the Worker: on a path with a marked nonce, whatever the range, coding, content
// type, charset, status, method or header, no response carries the marker in any form; what cannot be
// scrubbed is refused. Each "leak" test here failed on the version before this change.

import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { spread } from "../../src/core/nonce/marker-stream.js";
import { createMarker } from "../../src/core/nonce/nonce-marker.js";
import { concatBytes } from "../support/bytes.js";
import { wide } from "../support/marker-bytes.js";
import { workerFuzzParameters } from "./fuzz-support.js";
import { clientBytes, markedPage, markerLeaks, markerUrl, type MarkerBody } from "./marker-support.js";
import { call, cspMap } from "./support.js";

const MARKER = createMarker();
const MARKED = { POLICY: JSON.stringify({ nonce: {} }), NONCE_MARKER: MARKER };
const PAGE = markedPage(MARKER);
const HTML: [string, string] = ["Content-Type", "text/html; charset=utf-8"];

afterEach(() => {
  vi.restoreAllMocks();
});

function get(spec: MarkerBody, init: RequestInit = {}, bindings: Record<string, string> = MARKED): Promise<Response> {
  return call(markerUrl(spec), init, bindings);
}

function nonceOf(res: Response): string {
  const source = cspMap(res.headers.get("content-security-policy"))
    .get("script-src")
    ?.find((s) => s.startsWith("'nonce-"));
  if (source === undefined) throw new Error(`no nonce in ${String(res.headers.get("content-security-policy"))}`);
  return source.slice("'nonce-".length, -1);
}

function logLines(spy: { mock: { calls: unknown[][] } }): Record<string, unknown>[] {
  return spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
}

describe("ranges on a path with a marked nonce", () => {
  it("answers Range: bytes=0- with the whole page, 200 and scrubbed, and never forwards the Range", async () => {
    const res = await get({ body: PAGE, headers: [HTML] }, { headers: { Range: "bytes=0-" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-seen-range")).toBe("none");
    expect(res.headers.get("accept-ranges")).toBe("none");
    const nonce = nonceOf(res);
    const body = new TextDecoder().decode(await clientBytes(res));
    expect(body).toBe(PAGE.replaceAll(MARKER, nonce));
  });

  it("gives the small ranges that would spell the marker out nothing but whole, scrubbed pages", async () => {
    const at = PAGE.indexOf(MARKER);
    let pieces = "";
    for (let i = 0; i < MARKER.length; i += 4) {
      const res = await get({ body: PAGE, headers: [HTML] }, { headers: { Range: `bytes=${at + i}-${at + i + 3}`, "If-Range": '"v1"' } });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-seen-range")).toBe("none");
      expect(await markerLeaks(res.clone(), MARKER)).toEqual([]);
      pieces += (await res.text()).slice(at + i, at + i + 4);
    }
    expect(pieces).not.toContain(MARKER.slice(0, 8));
  });

  it("refuses a 206 the origin sends unasked: 502 with the policy's headers, and a log line saying why", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await get({ body: PAGE, headers: [HTML], force206: true });
    expect(res.status).toBe(502);
    expect(await res.text()).toBe("Bad Gateway\n");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(logLines(errors)).toEqual([
      expect.objectContaining({ event: "marker.refused", status: 206, why: "the origin answered 206 to a request sent without Range" }),
    ]);
    expect(JSON.stringify(errors.mock.calls)).not.toContain(MARKER);
  });

  // A media or binary body keeps its ranges outside the scope; a text slice is refused there (marker-sitewide.test.ts).
  it("keeps ranges on paths outside the marker's scope", async () => {
    const bindings = { POLICY: JSON.stringify({ rules: [{ path: "/pages/*", nonce: {} }] }), NONCE_MARKER: MARKER };
    const res = await get({ body: "0123456789", headers: [["Content-Type", "video/mp4"]] }, { headers: { Range: "bytes=2-5" } }, bindings);
    expect(res.status).toBe(206);
    expect(res.headers.get("x-seen-range")).toBe("bytes=2-5");
    // Read as bytes: workerd warns when .text() reads a video/mp4 body.
    expect(new TextDecoder().decode(await res.arrayBuffer())).toBe("2345");
  });
});

describe("content codings on a path with a marked nonce", () => {
  it.each(["deflate", "deflate-raw", "x-gzip", "GZIP", "gzip-gzip"])(
    "decodes %s, scrubs it, and sends it without Content-Encoding",
    async (enc) => {
      const res = await get({ body: PAGE, headers: [HTML], enc });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-encoding")).toBeNull();
      const nonce = nonceOf(res);
      expect(new TextDecoder().decode(await clientBytes(res))).toBe(PAGE.replaceAll(MARKER, nonce));
    },
  );

  it.each(["gzip", "br"])("scrubs %s, which workerd decodes as it is read and encodes again", async (enc) => {
    const res = await get({ body: PAGE, headers: [HTML], enc });
    expect(res.headers.get("content-encoding")).toBe(enc);
    expect(new TextDecoder().decode(await clientBytes(res))).toBe(PAGE.replaceAll(MARKER, nonceOf(res)));
  });

  it("refuses a coding nothing here can decode (zstd): 502, and a log line that names it", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await get({ body: PAGE, headers: [HTML], enc: "zstd" });
    expect(res.status).toBe(502);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await markerLeaks(res, MARKER)).toEqual([]);
    expect(logLines(errors)).toEqual([
      expect.objectContaining({
        event: "marker.refused",
        why: "Content-Encoding zstd, which the Worker cannot decode to scrub the marker",
      }),
    ]);
  });
});

describe("content types and charsets on a path with a marked nonce", () => {
  it("stamps a page sent with two Content-Type lines, text/plain then text/html (HTML to a browser)", async () => {
    const res = await get({
      body: PAGE,
      headers: [
        ["Content-Type", "text/plain"],
        ["Content-Type", "text/html"],
      ],
    });
    // Read as bytes: workerd warns when .text() meets a Content-Type it does not take for text.
    expect(new TextDecoder().decode(await clientBytes(res))).toBe(PAGE.replaceAll(MARKER, nonceOf(res)));
  });

  it("stamps a page sent with no Content-Type, which browsers sniff", async () => {
    const res = await get({ body: PAGE });
    expect(res.headers.has("content-type")).toBe(false);
    expect(await res.text()).toBe(PAGE.replaceAll(MARKER, nonceOf(res)));
  });

  it("replaces the marker in an ASCII page labelled charset=utf-16", async () => {
    const res = await get({ body: PAGE, headers: [["Content-Type", "text/html; charset=utf-16"]] });
    expect(await res.text()).toBe(PAGE.replaceAll(MARKER, nonceOf(res)));
  });

  it.each(["utf-16le", "utf-16be"] as const)("replaces the marker in a real %s page, in the page's own form", async (encoding) => {
    const bom = encoding === "utf-16le" ? Uint8Array.of(0xff, 0xfe) : Uint8Array.of(0xfe, 0xff);
    const res = await get({
      body: concatBytes([bom, wide(PAGE, encoding)]),
      headers: [["Content-Type", `text/html; charset=${encoding}`]],
    });
    const nonce = nonceOf(res);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(concatBytes([bom, wide(PAGE.replaceAll(MARKER, nonce), encoding)]));
  });

  it("gives a non-HTML body filler of the marker's length that no header carries, and keeps its Content-Length", async () => {
    const json = JSON.stringify({ marker: MARKER, list: [1, 2, 3] });
    const res = await get({ body: json, headers: [["Content-Type", "application/json"]] });
    expect(res.headers.get("content-security-policy")).not.toContain("nonce");
    expect(res.headers.get("content-length")).toBe(String(json.length));
    const parsed = await res.json<{ marker: string; list: number[] }>();
    expect(parsed.list).toEqual([1, 2, 3]);
    expect(parsed.marker).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(parsed.marker).toHaveLength(MARKER.length);
    expect(parsed.marker).not.toBe(MARKER);
  });

  it("scrubs the marker from a binary body in UTF-32 form", async () => {
    const bytes = concatBytes([Uint8Array.of(0x89, 0x50, 0x4e, 0x47), spread(MARKER, 4), Uint8Array.of(0, 0, 0, 0xff)]);
    const res = await get({ body: bytes, headers: [["Content-Type", "image/png"]] });
    expect(await markerLeaks(res, MARKER)).toEqual([]);
  });
});

describe("statuses, methods and headers on a path with a marked nonce", () => {
  // An error page that shows template source (a debug 500, a plain-text 404) carries the marker as text.
  it.each([404, 500, 403, 201])("scrubs a %d answer, plain text included", async (status) => {
    const res = await get({ body: `error in template: <script nonce="${MARKER}">`, headers: [["Content-Type", "text/plain"]], status });
    expect(res.status).toBe(status);
    expect(await markerLeaks(res, MARKER)).toEqual([]);
  });

  it("scrubs what a POST answer echoes", async () => {
    const res = await call(
      markerUrl({ headers: [["Content-Type", "application/json"]] }),
      { method: "POST", body: `{"echo":"${MARKER}"}` },
      MARKED,
    );
    expect(await markerLeaks(res, MARKER)).toEqual([]);
  });

  it("rewrites every header that carries the marker, each Set-Cookie line kept apart, with the body's value", async () => {
    const res = await get({
      body: PAGE,
      headers: [
        HTML,
        ["Link", `</a.js>; rel=preload; as=script; nonce=${MARKER}`],
        ["X-Debug", `marker=${MARKER}`],
        ["Set-Cookie", `m=${MARKER}; Path=/`],
        ["Set-Cookie", "b=1; Path=/"],
      ],
    });
    const nonce = nonceOf(res);
    expect(res.headers.get("link")).toBe(`</a.js>; rel=preload; as=script; nonce=${nonce}`);
    // The defaults' cookie attributes are appended first, then the marker scrubbed from the final lines.
    expect(res.headers.getSetCookie()).toEqual([`m=${nonce}; Path=/; Secure`, "b=1; Path=/; Secure"]);
    expect(await markerLeaks(res, MARKER)).toEqual([]);
  });

  it("scrubs the headers of a HEAD answer and of a 304", async () => {
    const head = await get({ body: PAGE, headers: [HTML, ["X-Debug", MARKER]] }, { method: "HEAD" });
    expect(head.body).toBeNull();
    expect(await markerLeaks(head, MARKER)).toEqual([]);
    const notModified = await get({
      status: 304,
      headers: [
        ["ETag", '"v1"'],
        ["X-Debug", MARKER],
      ],
    });
    expect(notModified.status).toBe(304);
    expect(await markerLeaks(notModified, MARKER)).toEqual([]);
  });

  it("scrubs a body under an origin's own nonce-based CSP", async () => {
    const res = await get({ body: PAGE, headers: [HTML, ["Content-Security-Policy", "script-src 'nonce-originOwn123'"]] });
    expect(res.headers.get("content-security-policy")).toBe("script-src 'nonce-originOwn123'");
    expect(await markerLeaks(res, MARKER)).toEqual([]);
  });

  it("gives an origin CSP written with the marker the body's value, so its marked scripts still run", async () => {
    const res = await get({ body: PAGE, headers: [HTML, ["Content-Security-Policy", `script-src 'nonce-${MARKER}'`]] });
    const value = nonceOf(res);
    expect(value).not.toBe(MARKER);
    expect(await res.text()).toContain(`<script nonce="${value}">boot()</script>`);
  });

  it("scrubs every response on a rule's path, whatever content type the rule is limited to", async () => {
    const bindings = {
      POLICY: JSON.stringify({ rules: [{ path: "/marker-body", contentType: ["text/html"], nonce: {} }] }),
      NONCE_MARKER: MARKER,
    };
    const res = await get({ body: `{"m":"${MARKER}"}`, headers: [["Content-Type", "application/json"]] }, {}, bindings);
    expect(await markerLeaks(res, MARKER)).toEqual([]);
  });
});

describe("the handler, fuzzed", () => {
  const contentTypes = [
    null,
    "text/html",
    "text/html; charset=utf-16",
    "text/plain",
    "application/json",
    "text/plain, text/html",
    "image/svg+xml",
    "application/octet-stream",
    "nonsense",
  ];
  const codings = [undefined, "gzip", "br", "deflate", "deflate-raw", "x-gzip", "GZIP", "gzip-gzip", "identity"];
  const piece = fc.oneof(
    fc.constantFrom(1, 2, 4).map((s) => spread(MARKER, s)),
    fc.uint8Array({ maxLength: 12 }),
    fc.constantFrom('<script nonce="', '">', "<p>", "\u00e9", "\u0000").map((t) => new TextEncoder().encode(t)),
  );

  it("lets no form of the marker out, whatever the status, method, type, charset and coding", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          status: fc.constantFrom(200, 201, 203, 400, 404, 410, 500, 503),
          method: fc.constantFrom("GET", "POST", "HEAD"),
          contentType: fc.constantFrom(...contentTypes),
          enc: fc.constantFrom(...codings),
          body: fc.array(piece, { maxLength: 10 }).map(concatBytes),
          range: fc.option(fc.nat({ max: 64 }).map((n) => `bytes=${n}-`)),
        }),
        async ({ status, method, contentType, enc, body, range }) => {
          const headers: [string, string][] =
            contentType === null
              ? []
              : [
                  ["Content-Type", contentType],
                  ["X-Echo", MARKER],
                ];
          const spec: MarkerBody = { status, headers, ...(enc === undefined ? {} : { enc }), ...(method === "POST" ? {} : { body }) };
          const init: RequestInit = { method, headers: range === null ? {} : { Range: range }, ...(method === "POST" ? { body } : {}) };
          const res = await call(markerUrl(spec), init, MARKED);
          expect(res.status).toBe(status);
          expect(await markerLeaks(res, MARKER)).toEqual([]);
        },
      ),
      workerFuzzParameters(80, 400),
    );
  });
});
