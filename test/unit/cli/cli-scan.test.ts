// `scan`'s command line: what it refuses before starting a browser.

import { describe, expect, it } from "vitest";
import { runMain } from "../../support/cli-io.js";

describe("scan's arguments", () => {
  it("refuses a URL that is not http(s), naming it", async () => {
    const result = await runMain(["scan", "ftp://example.com/"]);
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: expect.stringContaining('<url>: expected an http(s) URL, received "ftp://example.com/"'),
    });
  });

  it("refuses an unknown nonce mode", async () => {
    const result = await runMain(["scan", "https://example.com/", "--nonce", "all"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--nonce: expected marked or blanket, received "all"');
  });

  it("says where Chromium is missing instead of starting one", async () => {
    const result = await runMain(["scan", "https://example.com/", "--chromium", "/nonexistent/chromium"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: scan: Chromium failed: no Chromium at /nonexistent/chromium");
  });

  it("refuses a page limit out of range", async () => {
    const result = await runMain(["scan", "https://example.com/", "--pages", "0"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--pages: expected a whole number from 1 to 1000, received "0"');
  });
});
