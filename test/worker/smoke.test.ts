import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";

it("proxies to the origin", async () => {
  const res = await exports.default.fetch("https://p.test/html");
  expect(res.status).toBe(200);
  console.log([...res.headers]);
  expect(await res.text()).toContain("Hello");
});
