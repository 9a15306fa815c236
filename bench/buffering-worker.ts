// The buffering nonce Worker the gists show, for comparison: read the whole HTML, string-replace the marker, send a new Response.

interface Env {
  readonly ORIGIN_URL: string;
  /** The marker the bench's origin writes, drawn per run. */
  readonly NONCE_MARKER: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const target = new URL(request.url);
    const origin = new URL(env.ORIGIN_URL);
    target.protocol = origin.protocol;
    target.hostname = origin.hostname;
    target.port = origin.port;
    const res = await fetch(new Request(target, request), { redirect: "manual" });
    if (!/^text\/html\b/i.test(res.headers.get("content-type") ?? "")) return res;
    let binary = "";
    for (const byte of crypto.getRandomValues(new Uint8Array(16))) binary += String.fromCharCode(byte);
    const nonce = btoa(binary);
    // The whole body in memory before the first byte leaves: what the streaming modes avoid.
    const html = (await res.text()).replaceAll(env.NONCE_MARKER, nonce);
    const headers = new Headers(res.headers);
    headers.delete("Content-Length");
    headers.set("Content-Security-Policy", `script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; object-src 'none'; base-uri 'none'`);
    return new Response(html, { status: res.status, statusText: res.statusText, headers });
  },
};
