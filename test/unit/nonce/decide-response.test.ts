// The Worker (secure.ts) and `explain` make one decision per response, decideResponse: whether it is
// refused (206 on a marked path, an undecodable coding, a header name with the marker, an unknown marker)
// and what replaces the marker. This table runs both and holds them to the same answer; explain's output
// never carries the marker. Before this change explain showed a marked 206 as served.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decideResponse } from "../../../src/core/nonce/decide-response.js";
import { matchMarkerScope } from "../../../src/core/nonce/marker-scope.js";
import { createMarker } from "../../../src/core/nonce/nonce-marker.js";
import { compilePolicy } from "../../../src/core/policy/compile-policy.js";
import { planHeaders } from "../../../src/core/policy/plan-headers.js";
import { runMain } from "../../support/cli-io.js";
import { doc } from "../support.js";

const MARKER = createMarker();
const DOCUMENT = { rules: [{ path: "/app/*", nonce: { marker: MARKER } }] };
const dir = mkdtempSync(join(tmpdir(), "decide-response-"));
const file = join(dir, "policy.json");
writeFileSync(file, JSON.stringify(DOCUMENT));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Case {
  readonly path: string;
  readonly status: number;
  readonly headers: readonly [string, string][];
}

const CASES: [string, Case][] = [
  ["a marked page", { path: "/app/x", status: 200, headers: [] }],
  ["a 206 on a marked path", { path: "/app/x", status: 206, headers: [] }],
  ["a 206 of a page elsewhere", { path: "/media/x", status: 206, headers: [] }],
  ["a 304 on a marked path", { path: "/app/x", status: 304, headers: [] }],
  ["zstd on a marked path", { path: "/app/x", status: 200, headers: [["Content-Encoding", "zstd"]] }],
  ["zstd elsewhere", { path: "/other", status: 200, headers: [["Content-Encoding", "zstd"]] }],
  ["a header name with the marker", { path: "/other", status: 200, headers: [[`X-Trace-${MARKER}`, "1"]] }],
  ["a header value with the marker", { path: "/app/x", status: 404, headers: [["Link", `</a.js>; nonce=${MARKER}`]] }],
];

/** What the Worker decides, through the same compile, match and plan it runs. */
function workerRefusal({ path, status, headers }: Case): string | undefined {
  const { policy } = compilePolicy([{ from: "KV", document: doc(DOCUMENT) }], { reportOnly: false });
  const origin = new Headers([["Content-Type", "text/html"], ...headers]);
  const plan = planHeaders(policy, { https: true, path, contentType: "text/html" });
  const facts = {
    method: "GET",
    status,
    contentType: "text/html",
    contentEncoding: origin.get("content-encoding"),
    hasBody: status !== 304,
    originHeaders: origin,
    headerNames: origin.keys(),
  };
  return decideResponse(plan, facts, matchMarkerScope(policy, path)).refusal;
}

describe("explain and the Worker", () => {
  it.each(CASES)("agree on %s", async (_, c) => {
    const args = [
      "explain",
      file,
      `https://www.example.com${c.path}`,
      "--status",
      String(c.status),
      "--content-type",
      "text/html",
      "--json",
    ];
    for (const [name, value] of c.headers) args.push("--origin-header", `${name}: ${value}`);
    const { code, stdout, stderr } = await runMain(args, { cwd: dir });
    expect(code, stderr).toBe(0);
    expect(stdout + stderr).not.toContain(MARKER);
    const explained = JSON.parse(stdout) as { refused: string | null };
    expect(explained.refused).toBe(workerRefusal(c) ?? null);
  });

  it("refuses what the Worker refuses, and only that", () => {
    const refused = CASES.filter(([, c]) => workerRefusal(c) !== undefined).map(([name]) => name);
    expect(refused).toEqual([
      "a 206 on a marked path",
      "a 206 of a page elsewhere",
      "zstd on a marked path",
      "zstd elsewhere",
      "a header name with the marker",
    ]);
  });
});
