// Read one HTML page for `hashes`, from a file or a URL, never more than a cap: a URL's body is streamed
// and dropped at the cap, and only redirects on the same host are followed, so another site's scripts
// are never hashed as if they were this page's.

import { stat } from "node:fs/promises";
import { CommandError } from "./command.js";
import { readTextFile } from "./documents.js";
import { errorMessage } from "../../src/core/shared/text.js";

/** Default cap on a page's bytes (after decompression): far above real pages, far below what hurts. */
export const DEFAULT_MAX_PAGE_BYTES = 8 * 1024 * 1024;
/** Redirects followed before giving up (browsers allow 20; a page that needs more is misconfigured). */
export const MAX_REDIRECTS = 5;

export interface PageLimits {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

function tooLarge(source: string, maxBytes: number): CommandError {
  return new CommandError(
    `${source} is larger than ${maxBytes} bytes, the most hashes reads (raise it with --max-bytes); nothing was hashed`,
  );
}

/** Why a redirect from `from` to `to` is not followed, or undefined when it is on the same host. */
export function redirectProblem(from: URL, to: URL): string | undefined {
  if (to.protocol !== "http:" && to.protocol !== "https:") return `a redirect to ${to.protocol} is not a page`;
  // The host (name and port) must stay; http → https on that host is an upgrade, https → http is not.
  const upgrade =
    from.protocol === "http:" && to.protocol === "https:" && from.hostname === to.hostname && from.port === "" && to.port === "";
  if (to.host !== from.host && !upgrade) return `it leads to another host (${to.host}), whose scripts are not this page's`;
  if (from.protocol === "https:" && to.protocol === "http:") return "it downgrades to plain http";
  return undefined;
}

async function readBody(response: Response, url: string, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(url, maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  // Decompressed bytes are counted, so a small compressed body cannot unpack past the cap either.
  for (;;) {
    const next = await reader?.read();
    if (next === undefined || next.done) break;
    size += next.value.byteLength;
    if (size > maxBytes) {
      await reader?.cancel();
      throw tooLarge(url, maxBytes);
    }
    chunks.push(next.value);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}

async function fetchOnce(url: URL, source: string, limits: PageLimits): Promise<Response> {
  try {
    return await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(limits.timeoutMs), headers: { Accept: "text/html" } });
  } catch (error) {
    const reason =
      error instanceof Error && error.name === "TimeoutError" ? `no answer within ${limits.timeoutMs} ms` : errorMessage(error);
    throw new CommandError(`cannot fetch ${source}: ${reason}`);
  }
}

/** GET a page, following same-host redirects only, and read at most `maxBytes` of it. */
export async function fetchPage(source: string, limits: PageLimits): Promise<string> {
  let url = new URL(source);
  for (let hops = 0; ; hops++) {
    const response = await fetchOnce(url, source, limits);
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location !== null) {
      await response.body?.cancel();
      const next = new URL(location, url);
      const problem = redirectProblem(url, next);
      if (problem !== undefined)
        throw new CommandError(
          `${source} redirects to ${next.href}, which hashes does not follow: ${problem}. Give the final URL itself if the page is yours`,
        );
      if (hops >= MAX_REDIRECTS) throw new CommandError(`${source} redirects more than ${MAX_REDIRECTS} times; give the final URL`);
      url = next;
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new CommandError(`cannot fetch ${source}: HTTP ${response.status}${url.href === source ? "" : ` at ${url.href}`}`);
    }
    return readBody(response, url.href === source ? source : `${source} (at ${url.href})`, limits.maxBytes);
  }
}

/** A page from a file or an http(s) URL, within the cap. */
export async function readPage(source: string, limits: PageLimits): Promise<string> {
  if (/^https?:\/\//i.test(source)) return fetchPage(source, limits);
  const size = await stat(source).then(
    (s) => s.size,
    () => 0,
  );
  if (size > limits.maxBytes) throw tooLarge(source, limits.maxBytes);
  return readTextFile(source, "the HTML file");
}
