// The origin request's URL: configured scheme, host and port; the client's path and query exactly.

import { describe, expect, it } from "vitest";
import { resolveOriginUrl } from "../../../src/core/origin/origin-url.js";
import type { OriginTarget } from "../../../src/core/policy/parse-env.js";

const fixed: OriginTarget = { kind: "url", protocol: "http:", hostname: "127.0.0.1", port: "9001", host: "127.0.0.1:9001" };

describe("resolveOriginUrl", () => {
  it.each([
    ["https://www.example.com/a/b?x=1&y=%20z", "http://127.0.0.1:9001/a/b?x=1&y=%20z"],
    ["https://www.example.com//evil.example/x", "http://127.0.0.1:9001//evil.example/x"],
    ["https://www.example.com/..%2f..%2fetc/passwd", "http://127.0.0.1:9001/..%2f..%2fetc/passwd"],
    ["https://www.example.com/%E2%9C%93?q=%E2%9C%93", "http://127.0.0.1:9001/%E2%9C%93?q=%E2%9C%93"],
    ["https://www.example.com:8443/p", "http://127.0.0.1:9001/p"],
    ["https://www.example.com/@evil.example", "http://127.0.0.1:9001/@evil.example"],
    ["https://www.example.com/x?", "http://127.0.0.1:9001/x?"],
    ["https://www.example.com/x?a#frag", "http://127.0.0.1:9001/x?a"],
    ["https://www.example.com/%2e%2e/x", "http://127.0.0.1:9001/x"],
  ])("sends %s to %s", (input, expected) => {
    expect(resolveOriginUrl(new URL(input), fixed)).toBe(expected);
  });

  it("keeps an IPv6 origin's brackets", () => {
    const target: OriginTarget = { kind: "url", protocol: "http:", hostname: "[::1]", port: "8080", host: "[::1]:8080" };
    expect(resolveOriginUrl(new URL("https://www.example.com/a"), target)).toBe("http://[::1]:8080/a");
  });

  it("drops a default port from the request when the origin has none", () => {
    const target: OriginTarget = { kind: "url", protocol: "https:", hostname: "origin.example.com", port: "", host: "origin.example.com" };
    expect(resolveOriginUrl(new URL("http://www.example.com:8080/x"), target)).toBe("https://origin.example.com/x");
  });

  it("keeps the request's own URL in route mode", () => {
    expect(resolveOriginUrl(new URL("https://www.example.com/x?y"), { kind: "route" })).toBe("https://www.example.com/x?y");
  });

  it("refuses to forward when the origin is misconfigured", () => {
    expect(resolveOriginUrl(new URL("https://www.example.com/x"), { kind: "invalid" })).toBeNull();
  });
});
