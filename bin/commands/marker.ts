// `marker`: draw a fresh secret nonce marker of the shape the Worker and `validate` accept, to put in the
// NONCE_MARKER secret (or nonce.marker) and in the origin's templates.

import { createMarker } from "../../src/core/nonce/nonce-marker.js";
import { parseCommandLine, takePositionals, type Command } from "../support/command.js";
import { EXIT, type ExitStatus, type Io } from "../support/io.js";

const HELP = `Usage: security-headers-worker marker

Print a fresh secret marker for marked nonces: 24 random bytes as 32 base64url characters, the shape the
Worker accepts. Put it in the NONCE_MARKER secret (\`npx wrangler secret put NONCE_MARKER\`) and write it
where the origin's pages want the nonce (<script nonce="MARKER">). Treat it like a password.

To rotate it, set NONCE_MARKER to "NEW OLD" (both stamped and scrubbed) until no page carries OLD, then
to "NEW" (docs/csp.md, "Rotating the marker").

Options:
  -h, --help     show this help

Exit status: 0 printed, 2 usage error.
`;

function run(args: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandLine(args, { help: { type: "boolean", short: "h" } });
  if (values.help === true) io.out(HELP);
  else {
    takePositionals(positionals, []);
    io.out(`${createMarker()}\n`);
  }
  return Promise.resolve(EXIT.ok);
}

export const markerCommand: Command = {
  name: "marker",
  summary: "draw a fresh secret marker for marked nonces",
  help: HELP,
  run,
};
