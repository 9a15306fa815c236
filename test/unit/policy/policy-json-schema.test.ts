// policy.schema.json is generated from the validator's definition, committed, and agrees with it.

import { readdirSync, readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { buildPolicyJsonSchema } from "../../../scripts/policy-schema.js";

const ROOT = new URL("../../../", import.meta.url);
const committed = readFileSync(new URL("policy.schema.json", ROOT), "utf8");
const validate = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(committed) as object);

function fixtures(kind: "valid" | "invalid"): { name: string; content: unknown }[] {
  const dir = new URL(`test/unit/fixtures/policy/${kind}/`, ROOT);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((name) => ({ name, content: JSON.parse(readFileSync(new URL(name, dir), "utf8")) as unknown }));
}

describe("policy.schema.json", () => {
  it("is what `npm run schema` generates from the validator's definition", () => {
    expect(committed).toBe(buildPolicyJsonSchema());
  });

  it.each(fixtures("valid"))("accepts the valid fixture $name", ({ content }) => {
    expect(validate(content), JSON.stringify(validate.errors)).toBe(true);
  });

  it("accepts examples/policy.json", () => {
    const example: unknown = JSON.parse(readFileSync(new URL("examples/policy.json", ROOT), "utf8"));
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
  });

  // Shape errors (unknown keys, wrong types, unknown directives) are the schema's to catch; checks that
  // need code, such as CSP source syntax, are only in the validator.
  it.each([
    "unknown-top-level-key",
    "hsts-typo",
    "entry-typo",
    "entry-wrong-type",
    "csp-wrong-shape",
    "csp-unknown-directive",
    "unknown-action",
    "not-an-object",
  ])("rejects the shape error in %s", (name) => {
    const fixture = fixtures("invalid").find((f) => f.name === `${name}.json`);
    const { document } = fixture?.content as { document: unknown };
    expect(validate(document)).toBe(false);
  });
});
