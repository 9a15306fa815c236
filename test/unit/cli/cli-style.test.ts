// When the CLI colours its output: only on a terminal, and never with NO_COLOR set.

import { describe, expect, it } from "vitest";
import { createStyle } from "../../../bin/support/io.js";

describe("createStyle", () => {
  it.each([
    [true, {}, true],
    [false, {}, false],
    [true, { NO_COLOR: "1" }, false],
    [true, { NO_COLOR: "" }, false],
  ])("on a terminal: %s, env %j → colours %s", (isTty, env, enabled) => {
    expect(createStyle(isTty, env).enabled).toBe(enabled);
  });

  it("wraps text in ANSI codes when enabled", () => {
    expect(createStyle(true, {}).red("x")).toBe("\x1b[31mx\x1b[39m");
  });

  it("leaves text unchanged when disabled", () => {
    expect(createStyle(false, {}).red("x")).toBe("x");
  });
});
