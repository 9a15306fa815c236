// The one way a policy document's bytes become text, for the Worker reading KV and for every CLI command
// reading a file or KV: strict UTF-8, a leading byte order mark dropped (as the WHATWG decoder does), so
// validate, explain, hashes and push judge exactly the text the Worker parses.

const DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The document's text; throws a TypeError when the bytes are not UTF-8 (the Worker would not apply it). */
export function decodeDocument(bytes: Uint8Array): string {
  return DECODER.decode(bytes);
}

/** True when the bytes start with a UTF-8 byte order mark (which decodeDocument drops). */
export function hasByteOrderMark(bytes: Uint8Array): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}
