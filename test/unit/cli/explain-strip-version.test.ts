// explain shows what strip-version leaves of the origin's value as a header sent (what the Worker sends), and
// lists the header as removed only when nothing was left of it.

import { describe, expect, it } from "vitest";
import { explain, explainedHeaders } from "../../../bin/support/explain-response.js";
import { applyHeaders } from "../../../src/core/headers/apply-headers.js";
import { planHeaders } from "../../../src/core/policy/plan-headers.js";
import { compile } from "../support.js";

const FACTS = { https: true, path: "/", contentType: "text/html" } as const;

describe("explain with the built-in strip-version", () => {
  const policy = compile();
  const origin: [string, string][] = [
    ["Content-Type", "text/html"],
    ["Server", "nginx/1.24.0 (Ubuntu)"],
    ["Via", "1.1 vegur"],
    ["X-Page-Speed", "1.13.35.2-0"],
  ];
  const x = explain(policy, FACTS, 200, origin, { environment: "", layers: [] });

  it("lists the stripped and the version-free headers as sent, with the values the Worker sends", () => {
    const worker = new Headers(origin);
    applyHeaders(worker, planHeaders(policy, FACTS).ops);
    const sent = new Map(x.sent.map((op) => [op.name.toLowerCase(), op.value]));
    expect([sent.get("server"), sent.get("via")]).toEqual([worker.get("server"), worker.get("via")]);
    expect(sent.get("server")).toBe("nginx");
    expect(explainedHeaders(x).get("server")).toBe("nginx");
  });

  it("lists as removed only the header nothing was left of", () => {
    const removed = x.removed.map((op) => op.name.toLowerCase());
    expect(removed).toContain("x-page-speed");
    expect(removed).not.toContain("server");
    expect(removed).not.toContain("via");
  });
});
