// Marked-mode scrubbing: every occurrence of the site's secret marker in a body, as ASCII bytes or with NULs
// between its characters (UTF-16 and UTF-32, either byte order), is replaced as the bytes stream by.
//
// Why these forms: a body labelled `charset=utf-16` (or really written in UTF-16 or UTF-32) carries the
// marker as c0 00 c1 00 … (little-endian) or 00 c0 00 c1 … (big-endian); the core pattern
// c0 00 c1 00 … c(n-1) with stride 2 (or 4, with three NULs) is in both, and the replacement keeps the
// stride, so the text stays well-formed in either byte order.
//
// Why not String.replaceAll per chunk: a marker may be cut by a chunk boundary, and occurrences may
// overlap (a marker whose end is also its start). Each form runs a Knuth-Morris-Pratt automaton, so every
// byte is examined a bounded number of times, whatever the body: while no partial match is open, a native
// indexOf jumps to the next byte that could start one, and before it a Horspool skip over the ASCII form
// (only where no NUL follows, so no wide form can start) jumps whole windows that cannot hold a marker:
// a page full of the marker's first byte (English text when it is a common letter) would otherwise stop
// the search at each one, and in workerd that cost 19 ms per MiB instead of 3. Every byte of every occurrence is removed (an
// occurrence overlapping the previous one still gets its own replacement), so no piece of a marker is
// left for a client to put together. At most one pattern length is held back between chunks.

import { concatBytes } from "../shared/bytes.js";
import type { ChunkTransformer } from "./body-driver.js";

/** One form of the marker: its bytes with `stride - 1` NULs between characters, and its KMP failure table. */
interface Form {
  readonly stride: 1 | 2 | 4;
  readonly bytes: Uint8Array;
  /** fail[k]: the length of the longest proper border of bytes[0..k]. */
  readonly fail: Uint16Array;
}

/** The marker compiled once per policy version: its three forms, and the ASCII form's Horspool shifts. */
export interface CompiledMarker {
  readonly marker: string;
  readonly forms: readonly [Form, Form, Form];
  /** shift[b]: how far a window may move when its last byte is b (the marker is at most 255 bytes). */
  readonly shift: Uint8Array;
}

/** What one scrubber did, counted so that tests can bound it (work per byte, not time). */
export interface ScrubWork {
  /** Bytes examined one at a time (inside a partial match). */
  steps: number;
  /** KMP fallbacks: each a step back along the failure table. */
  fallbacks: number;
  /** Native indexOf searches for the marker's first byte. */
  searches: number;
  /** Occurrences replaced. */
  replaced: number;
  /** Horspool windows looked at (one byte each) while skipping ahead. */
  skips: number;
}

/** A streaming scrubber, and the work it has done so far. */
export interface MarkerScrubber extends ChunkTransformer {
  readonly work: ScrubWork;
}

const encoder = new TextEncoder();

/** `text`'s ASCII bytes with `stride - 1` NULs between characters (and none after the last). */
export function spread(text: string, stride: 1 | 2 | 4): Uint8Array {
  const ascii = encoder.encode(text);
  if (stride === 1) return ascii;
  const out = new Uint8Array(stride * (ascii.byteLength - 1) + 1);
  ascii.forEach((byte, i) => {
    out[i * stride] = byte;
  });
  return out;
}

function failureTable(bytes: Uint8Array): Uint16Array {
  const fail = new Uint16Array(bytes.byteLength);
  let k = 0;
  for (let i = 1; i < bytes.byteLength; i++) {
    while (k > 0 && bytes[i] !== bytes[k]) k = fail[k - 1] ?? 0;
    if (bytes[i] === bytes[k]) k++;
    fail[i] = k;
  }
  return fail;
}

function form(marker: string, stride: 1 | 2 | 4): Form {
  const bytes = spread(marker, stride);
  return { stride, bytes, fail: failureTable(bytes) };
}

/** Compile a marker (ASCII, non-empty, no NUL: policy validation guarantees it) into its three forms. */
export function compileMarker(marker: string): CompiledMarker {
  if (!/^[\x01-\x7f]{1,255}$/.test(marker)) throw new Error("a marker must be 1 to 255 ASCII characters without NUL");
  const ascii = form(marker, 1);
  return { marker, forms: [ascii, form(marker, 2), form(marker, 4)], shift: horspoolShifts(ascii.bytes) };
}

/** Horspool's bad-character shifts: the distance from a byte's last place before the end to the end, else the length. */
function horspoolShifts(bytes: Uint8Array): Uint8Array {
  const m = bytes.byteLength;
  const shift = new Uint8Array(256).fill(m);
  for (let j = 0; j < m - 1; j++) shift[bytes[j] ?? 0] = m - 1 - j;
  return shift;
}

/**
 * The first position from `at` where an occurrence of any form could start, as far as Horspool's windows
 * over the ASCII form can tell: windows are tried only where the byte after their start is not NUL (before
 * `nul`, the first NUL from `at`), since every wide form has one there. Past the last such window whole
 * (the chunk's tail, or near a NUL), the position is returned for the byte-wise search to go on.
 * Each window looked at is one count in `work.skips`, and windows only move forward: linear.
 */
function skipAhead(chunk: Uint8Array, at: number, nul: number, ascii: Uint8Array, shift: Uint8Array, work: ScrubWork): number {
  const m = ascii.byteLength;
  const last = ascii[m - 1] ?? 0;
  const end = Math.min(chunk.byteLength - m, (nul === -1 ? chunk.byteLength : nul) - 2);
  let s = at;
  let windows = 0;
  while (s <= end) {
    windows++;
    const b = chunk[s + m - 1] ?? 0;
    if (b === last) break;
    s += shift[b] ?? m;
  }
  work.skips += windows;
  return s <= end ? s : Math.max(at, end + 1);
}

/** One step of a form's automaton from state `q` on byte `b`; the new state. */
function advance(f: Form, q: number, b: number, work: ScrubWork): number {
  let state = q;
  while (state > 0 && f.bytes[state] !== b) {
    state = f.fail[state - 1] ?? 0;
    work.fallbacks++;
  }
  return f.bytes[state] === b ? state + 1 : 0;
}

/**
 * A transformer that replaces every occurrence of the marker, in each form, with `replacement` in the same
 * form. `replacement` is ASCII: the response's nonce, or random filler of the marker's own length.
 *
 * One closure, and a long `transform`, on purpose: the scan runs per byte of every marked page, and keeps
 * the three automata's states and the positions in local variables it reads and writes per byte, where
 * methods would put them on an object. The fuzzers in test/unit/nonce/ hold it to the slow reference.
 */
export function markerScrubber(compiled: CompiledMarker, replacement: string): MarkerScrubber {
  const [f1, f2, f4] = compiled.forms;
  const ascii = f1.bytes;
  const first = ascii[0] ?? 0;
  const second = ascii[1] ?? 0;
  // After the ASCII marker the wide forms' automata hold one byte exactly when it ends with its first.
  const wideAfterAscii = ascii[ascii.byteLength - 1] === first ? 1 : 0;
  // The wide replacements are built only if a wide form turns up: most bodies never need them.
  const replacements: (Uint8Array | undefined)[] = [spread(replacement, 1), undefined, undefined];
  const replacementFor = (which: 0 | 1 | 2): Uint8Array => (replacements[which] ??= spread(replacement, which === 1 ? 2 : 4));
  const work: ScrubWork = { steps: 0, fallbacks: 0, searches: 0, replaced: 0, skips: 0 };
  // States of the three automata, the bytes not yet decided (held from the last chunk), and positions
  // counted from the body's first byte: `emitted` is where undecided bytes start, `pos` where the chunk does.
  let q1 = 0;
  let q2 = 0;
  let q4 = 0;
  let held: Uint8Array = EMPTY;
  let emitted = 0;
  let pos = 0;

  return {
    work,
    // What it holds back between chunks is copied (below): the driver may reuse a chunk's memory.
    releasesChunks: true,
    transform(chunk, enqueue) {
      const base = pos;
      const heldStart = emitted;
      const out: Uint8Array[] = [];
      const found = (end: number, length: number, which: 0 | 1 | 2): void => {
        const start = end - length + 1;
        if (start > emitted) out.push(...piecesOf(held, heldStart, chunk, base, emitted, start));
        out.push(replacementFor(which));
        emitted = end + 1;
        work.replaced++;
      };
      const length = chunk.byteLength;
      let steps = 0;
      let searches = 0;
      let i = 0;
      // The first NUL from i (-1: none): wide forms can only start just before one.
      let nul = chunk.indexOf(0);
      while (i < length) {
        if ((q1 | q2 | q4) === 0) {
          if (nul !== -1 && nul <= i) nul = chunk.indexOf(0, i + 1);
          i = skipAhead(chunk, i, nul, ascii, compiled.shift, work);
          // No partial match open: only the marker's first byte can start one.
          searches++;
          const next = chunk.indexOf(first, i);
          if (next === -1) break;
          i = next;
          // Every form goes on with the second character or a NUL: any other byte after the first one
          // leaves all three automata where they were, so the candidate is dropped without stepping them.
          const after = chunk[i + 1];
          if (after !== undefined && after !== second && after !== 0) {
            i++;
            continue;
          }
          // The ASCII form compared directly: from all-zero states, after k matching bytes the automata
          // are known to hold k (ASCII form) and 1 or 0 (wide forms: whether byte k-1 is the first one),
          // so they are set rather than stepped, and every byte is examined once.
          const matched = matchLength(chunk, i, ascii);
          steps += matched;
          i += matched;
          if (matched === ascii.byteLength) {
            found(base + i - 1, matched, 0);
            q1 = f1.fail[matched - 1] ?? 0;
            q2 = wideAfterAscii;
            q4 = wideAfterAscii;
          } else {
            q1 = matched;
            q2 = ascii[matched - 1] === first ? 1 : 0;
            q4 = q2;
          }
          continue;
        }
        const b = chunk[i] ?? 0;
        steps++;
        q1 = advance(f1, q1, b, work);
        if (q1 === f1.bytes.byteLength) {
          found(base + i, q1, 0);
          q1 = f1.fail[q1 - 1] ?? 0;
        }
        q2 = advance(f2, q2, b, work);
        if (q2 === f2.bytes.byteLength) {
          found(base + i, q2, 1);
          q2 = f2.fail[q2 - 1] ?? 0;
        }
        q4 = advance(f4, q4, b, work);
        if (q4 === f4.bytes.byteLength) {
          found(base + i, q4, 2);
          q4 = f4.fail[q4 - 1] ?? 0;
        }
        i++;
        // At most a lone first byte is open, and the next byte is neither the second character nor a NUL:
        // it ends every partial match, leaving each automaton where it would be from zero, so the search
        // goes on from it (a run of the first byte would otherwise be stepped through byte by byte).
        if (q1 <= 1 && q2 <= 1 && q4 <= 1) {
          const c = chunk[i];
          if (c !== undefined && c !== second && c !== 0) {
            q1 = 0;
            q2 = 0;
            q4 = 0;
          }
        }
      }
      work.steps += steps;
      work.searches += searches;
      pos = base + length;
      // Bytes before the earliest open partial match can never be part of an occurrence: send them.
      const safe = pos - Math.max(q1, q2, q4);
      if (safe > emitted) {
        out.push(...piecesOf(held, heldStart, chunk, base, emitted, safe));
        emitted = safe;
      }
      // Copied: at most one pattern length, and the caller may reuse its chunk's buffer.
      held = pos === emitted ? EMPTY : concatBytes(piecesOf(held, heldStart, chunk, base, emitted, pos)).slice();
      send(out, enqueue);
    },
    flush(enqueue) {
      // Partial matches the body ended in are not markers: their bytes go out as they came.
      if (held.byteLength > 0) enqueue(held);
      held = EMPTY;
      emitted = pos;
    },
  };
}

const EMPTY = new Uint8Array(0);

/** How many bytes of `needle` match `chunk` from `at`, up to the chunk's end. */
function matchLength(chunk: Uint8Array, at: number, needle: Uint8Array): number {
  const limit = Math.min(needle.byteLength, chunk.byteLength - at);
  let k = 0;
  while (k < limit && chunk[at + k] === needle[k]) k++;
  return k;
}

/** Bytes [from, to), counted from the body's start, out of the held bytes and the chunk, without copying. */
function piecesOf(held: Uint8Array, heldStart: number, chunk: Uint8Array, base: number, from: number, to: number): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  if (from < base) pieces.push(held.subarray(from - heldStart, Math.min(to, base) - heldStart));
  if (to > base) pieces.push(chunk.subarray(Math.max(from, base) - base, to - base));
  return pieces;
}

/** Send the pieces as one chunk: one write downstream costs less than several. */
function send(pieces: readonly Uint8Array[], enqueue: (chunk: Uint8Array) => void): void {
  if (pieces.length > 0) enqueue(concatBytes(pieces));
}
