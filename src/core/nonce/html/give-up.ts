// Thrown where the model cannot be certain what the browser's parser does (a cap exceeded, a comparison
// that depends on the document's encoding): the stamper then stops and passes the rest through.

/** The model gave up on this body; `reason` says why, for a log line. */
export class GiveUp extends Error {
  /** `at`: the absolute offset to report, when the cause has one that does not depend on the chunking. */
  constructor(
    readonly reason: string,
    readonly at: number | null = null,
  ) {
    super(reason);
    this.name = "GiveUp";
  }
}
