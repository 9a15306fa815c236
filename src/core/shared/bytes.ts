// Byte arrays joined: one home for the copy that the stream driver, the marker scrubber and the tag
// stamper each need.

const EMPTY = new Uint8Array(0);

/**
 * The pieces as one array: the one non-empty piece itself when there is only one (no copy: a stream's
 * chunk joined to an empty remainder stays the same chunk), else a copy of them all.
 */
export function concatBytes(pieces: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  let nonEmpty = 0;
  let only: Uint8Array = EMPTY;
  for (const piece of pieces) {
    if (piece.byteLength === 0) continue;
    total += piece.byteLength;
    nonEmpty++;
    only = piece;
  }
  if (nonEmpty <= 1) return only;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.byteLength;
  }
  return out;
}
