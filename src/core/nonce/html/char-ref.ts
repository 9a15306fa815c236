// One character reference (§13.2.5.72-80), read a byte at a time so it resumes across chunks. It
// decodes exactly what the rules need: numeric references, and the named ones that give whitespace or a
// character of a value the rules compare (&Tab; &NewLine; &sol; &plus;). Any other named reference, or a
// bare "&", yields OTHER: a character that is neither whitespace nor ASCII that a compared value contains.

/** A decoded reference that is no ASCII character the rules compare (another named one, or literal text). */
export const OTHER = 0x110000;
/** The byte was taken and the reference goes on. */
export const PENDING = -1;

const IDLE = 0;
const AMP = 1;
const NUMBER_SIGN = 2;
const HEX_START = 3;
const DECIMAL = 4;
const HEX = 5;
const NAMED = 6;

/** The named references whose value matters here, with their terminating semicolon. */
const NAMES: readonly (readonly [string, number])[] = [
  ["Tab;", 0x09],
  ["NewLine;", 0x0a],
  ["sol;", 0x2f],
  ["plus;", 0x2b],
];

function isAlphanumeric(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a);
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** The code point a numeric reference stands for (§13.2.5.80): 0, surrogates and out-of-range give U+FFFD. */
function numericResult(value: number): number {
  if (value === 0 || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return 0xfffd;
  return value;
}

/**
 * A reader for the reference after an "&". `step` returns PENDING while the reference goes on, or its
 * result: `code * 2 + 1` when the byte was part of the reference, `code * 2` when the byte is not (the
 * caller reads it again in its own state). `code` is a code point, or OTHER.
 */
export class CharRef {
  private state = IDLE;
  private value = 0;
  private name = "";

  /** Start reading after an "&". */
  begin(): void {
    this.state = AMP;
    this.value = 0;
    this.name = "";
  }

  step(byte: number): number {
    switch (this.state) {
      case AMP:
        if (byte === 0x23) return this.go(NUMBER_SIGN);
        if (isAlphanumeric(byte)) return this.named(byte);
        return this.done(OTHER, false);
      case NUMBER_SIGN:
        if ((byte | 0x20) === 0x78) return this.go(HEX_START);
        if (byte >= 0x30 && byte <= 0x39) return this.digit(DECIMAL, byte - 0x30, 10);
        return this.done(OTHER, false);
      case HEX_START: {
        const digit = hexValue(byte);
        return digit < 0 ? this.done(OTHER, false) : this.digit(HEX, digit, 16);
      }
      case DECIMAL:
        if (byte >= 0x30 && byte <= 0x39) return this.digit(DECIMAL, byte - 0x30, 10);
        return this.done(numericResult(this.value), byte === 0x3b);
      case HEX: {
        const digit = hexValue(byte);
        if (digit >= 0) return this.digit(HEX, digit, 16);
        return this.done(numericResult(this.value), byte === 0x3b);
      }
      case NAMED:
        return this.named(byte);
      default:
        return this.done(OTHER, false);
    }
  }

  /** The result when the input ends inside the reference (or the value it was in ends). */
  finish(): number {
    const state = this.state;
    this.state = IDLE;
    return state === DECIMAL || state === HEX ? numericResult(this.value) : OTHER;
  }

  private go(state: number): number {
    this.state = state;
    return PENDING;
  }

  private digit(state: number, digit: number, base: number): number {
    this.state = state;
    // Past the largest code point the value stays out of range; it must not grow without bound.
    this.value = this.value > 0x10ffff ? this.value : this.value * base + digit;
    return PENDING;
  }

  private named(byte: number): number {
    if (!isAlphanumeric(byte) && byte !== 0x3b) return this.done(OTHER, false);
    const name = this.name + String.fromCharCode(byte);
    for (const [candidate, code] of NAMES) {
      if (!candidate.startsWith(name)) continue;
      if (candidate.length === name.length) return this.done(code, true);
      this.name = name;
      this.state = NAMED;
      return PENDING;
    }
    // Another reference, or none: either way text that is no compared character. The byte is a name
    // character, so it belongs to that text.
    return this.done(OTHER, true);
  }

  private done(code: number, consumed: boolean): number {
    this.state = IDLE;
    return code * 2 + (consumed ? 1 : 0);
  }
}
