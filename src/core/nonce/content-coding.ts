// What a response's Content-Encoding means for reading its body in the Worker: workerd decodes exactly
// `gzip` and `br` for us; other codings reach JavaScript still encoded (verified in workerd 1.20260426.1:
// `GZIP`, `x-gzip`, `gzip, gzip`, `deflate`, `zstd` all arrive as the origin's bytes).

/** A coding the Worker decodes itself, with DecompressionStream. */
export type DecodableCoding = "gzip" | "deflate";

/** How a body with this Content-Encoding can be read as the bytes a client decodes. */
export type BodyCoding =
  /** No content coding (absent, empty, or only `identity`). */
  | { readonly kind: "identity" }
  /** Exactly `gzip` or `br`: workerd decodes it as it is read, and encodes it again on the way out. */
  | { readonly kind: "runtime" }
  /** Codings decoded here, in this order (the reverse of the header's); sent on without Content-Encoding. */
  | { readonly kind: "decode"; readonly steps: readonly DecodableCoding[] }
  /** A coding nothing here can decode (zstd, br in a chain, compress, an unknown token). */
  | { readonly kind: "refuse"; readonly coding: string };

const RUNTIME_DECODED = new Set(["gzip", "br"]);
const DECODABLE = new Map<string, DecodableCoding>([
  ["gzip", "gzip"],
  ["x-gzip", "gzip"],
  ["deflate", "deflate"],
]);

/** Read a Content-Encoding value (several lines arrive joined by ", "). */
export function parseContentCoding(value: string | null): BodyCoding {
  if (value === null) return { kind: "identity" };
  // workerd compares the whole value, case-sensitively: only these two are decoded for us.
  if (RUNTIME_DECODED.has(value)) return { kind: "runtime" };
  const codings = value
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity");
  if (codings.length === 0) return { kind: "identity" };
  const steps: DecodableCoding[] = [];
  for (const coding of codings.reverse()) {
    const decodable = DECODABLE.get(coding);
    if (decodable === undefined) return { kind: "refuse", coding };
    steps.push(decodable);
  }
  return { kind: "decode", steps };
}

/**
 * The DecompressionStream format for a deflate body, told apart by its first two bytes as browsers do: a
 * valid zlib header (CM 8, a window of at most 32 KiB, FCHECK) means zlib-wrapped; anything else is raw.
 */
export function deflateFormat(head: Uint8Array): "deflate" | "deflate-raw" {
  const cmf = head[0];
  const flg = head[1];
  if (cmf === undefined || flg === undefined) return "deflate-raw";
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0 ? "deflate" : "deflate-raw";
}

/** The content codings a client may be offered while the marker must be scrubbed: the ones read above. */
const READABLE_OFFERS = new Set(["gzip", "x-gzip", "deflate", "br", "identity"]);

/**
 * The client's Accept-Encoding narrowed to the codings the Worker can read, for a request on a site with a
 * marker: every body there is scrubbed, and a coding it cannot decode (zstd, compress, `*`) would have to be
 * refused. Asking the origin only for readable codings keeps those responses served instead of refused.
 * Each kept offer stays as the client wrote it (its q-value included); null when the header is absent.
 * Where the runtime rewrites Accept-Encoding itself (workerd behind Miniflare's socket sends the origin
 * `br, gzip`, codings it decodes, whatever the Worker set: the red team's round 3), this changes nothing;
 * either way a coding the Worker cannot read is refused, never passed through.
 */
export function readableAcceptEncoding(value: string | null): string | null {
  if (value === null) return null;
  const kept = value.split(",").filter((offer) => {
    const name = (offer.split(";")[0] ?? "").trim().toLowerCase();
    return READABLE_OFFERS.has(name);
  });
  // Nothing readable offered (e.g. only zstd or `*`): identity is always acceptable to HTTP.
  return kept.length === 0 ? "identity" : kept.map((offer) => offer.trim()).join(", ");
}
