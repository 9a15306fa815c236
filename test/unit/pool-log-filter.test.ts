// The filter for the worker pool's verbose workerd lines drops only the three lines of a refused fetch, whole.

import { describe, expect, it } from "vitest";
import { isRefusedFetchLine } from "../pool-log-filter.js";

const STACK =
  "stack: /w/node_modules/@cloudflare/workerd-linux-64/bin/workerd@52008e2 /w/node_modules/@cloudflare/workerd-linux-64/bin/workerd@5200ac5";

/** The three lines as the pool writes them (one write each), copied from a run of the failures tests. */
const REFUSED = [
  `exception = kj/async-io-unix.c++:1538: disconnected: connect(): Connection refused\n${STACK}\n`,
  "uncaught exception; source = Uncaught (in promise); stack = Error: Network connection lost.\n",
  `uncaught exception; exception = workerd/jsg/_virtual_includes/iterator/workerd/jsg/value.h:1480: disconnected: jsg.Error: Network connection lost.\n${STACK}\n`,
];

describe("the pool log filter", () => {
  it("drops each of workerd's verbose lines for a refused fetch", () => {
    expect(REFUSED.map(isRefusedFetchLine)).toEqual([true, true, true]);
  });

  it("keeps other workerd errors, other rejections and the Worker's own log lines", () => {
    const kept = [
      `exception = kj/async-io.c++:60: disconnected: stream disconnected prematurely\n${STACK}\n`,
      "uncaught exception; source = Uncaught (in promise); stack = TypeError: Cannot read properties of undefined\n",
      `uncaught exception; exception = workerd/jsg/util.c++:405: failed: jsg.TypeError: boom\n${STACK}\n`,
      `workerd/jsg/util.c++:405: error: e = kj/compat/http.c++:5952: failed: protocolError.description = header too large.\n${STACK}\n`,
      '{"level":"error","event":"origin.unreachable","method":"GET","path":"/html","error":"Network connection lost."}\n',
      " ✓  worker  test/worker/failures.test.ts (9 tests) 810ms\n",
    ];
    expect(kept.filter(isRefusedFetchLine)).toEqual([]);
  });

  it("keeps a refused-fetch line that shares its write with anything else", () => {
    const [first, second] = REFUSED as [string, string, string];
    expect(isRefusedFetchLine(first + second)).toBe(false);
    expect(isRefusedFetchLine(`vitest says: ${second}`)).toBe(false);
    expect(isRefusedFetchLine(second.trimEnd())).toBe(false);
    expect(isRefusedFetchLine(Buffer.from(second))).toBe(false);
  });
});
