// What one body's bytes go through: the site's markers scrubbed (every path of a site with one), then tags stamped (blanket mode),
// or either alone, as one ChunkTransformer for the stream driver.

import type { ChunkTransformer } from "./body-driver.js";
import { markerScrubber, type CompiledMarker } from "./marker-stream.js";
import type { NoncePlan } from "../policy/types.js";
import { tagStampTransformer } from "./tag-stamper.js";

/** The marker and what replaces it in this body. */
export interface Scrub {
  readonly marker: CompiledMarker;
  readonly replacement: string;
}

/** The nonce plan and this response's nonce. */
export interface Stamp {
  readonly plan: NoncePlan;
  readonly nonce: string;
}

/**
 * The transform for a body: each marker scrubbed (one scrubber per marker, in turn: a site has one, two
 * while it rotates), then (blanket mode) tags stamped, or either alone.
 */
export function bodyTransformer(
  scrubs: readonly Scrub[] | null,
  tags: Stamp | null,
  onGiveUp?: (reason: string, at: number) => void,
): ChunkTransformer {
  const scrubber =
    scrubs === null || scrubs.length === 0
      ? null
      : scrubs.map((s): ChunkTransformer => markerScrubber(s.marker, s.replacement)).reduce((a, b) => chain(a, b));
  const stamper = tags === null ? null : tagStampTransformer(tags.plan, tags.nonce, onGiveUp === undefined ? {} : { onGiveUp });
  if (scrubber !== null && stamper !== null) return chain(scrubber, stamper);
  const only = scrubber ?? stamper;
  if (only === null) throw new Error("a body rewrite with nothing to do");
  return only;
}

function chain(first: ChunkTransformer, second: ChunkTransformer): ChunkTransformer {
  return {
    // The second one sees views of the first one's input: the chain releases chunks only if both do.
    releasesChunks: first.releasesChunks === true && second.releasesChunks === true,
    transform(chunk, enqueue) {
      first.transform(chunk, (c) => second.transform(c, enqueue));
    },
    flush(enqueue) {
      first.flush((c) => second.transform(c, enqueue));
      second.flush(enqueue);
    },
  };
}
