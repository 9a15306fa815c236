// policy.schema.json, generated from the valibot definition the Worker validates with, so editors
// offer completion and checking for the same format. `npm run schema` rewrites the file.

import { toJsonSchema, type ConversionConfig, type JsonSchema } from "@valibot/to-json-schema";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CSP_DIRECTIVES } from "../src/core/csp/directives.js";
import { BUNDLE_NAMES } from "../src/core/csp/bundles.js";
import { BUNDLE_ARRAY, DIRECTIVE_NAME, PolicyDocumentSchema } from "../src/core/policy/policy-schema.js";
import { ALTERNATIVES } from "../src/core/policy/schema-kit.js";

const OUT = fileURLToPath(new URL("../policy.schema.json", import.meta.url));

function convert(schema: AnySchema): JsonSchema {
  return inlineOnly(toJsonSchema(schema, CONFIG)) as JsonSchema;
}

/**
 * Drop `$schema` and the `$defs` the converter adds for lazy schemas: every lazy is inlined by the
 * override below, so nothing refers to them. A `$ref` left behind would be a bug, so it throws.
 */
function inlineOnly(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inlineOnly);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === "$ref") throw new Error(`unexpected $ref ${String(inner)} in the generated schema`);
    if (key === "$defs" || (key === "$schema" && typeof inner === "string")) continue;
    out[key] = inlineOnly(inner);
  }
  return out;
}

const DIRECTIVE_NAMES: JsonSchema = { type: "string", enum: [...CSP_DIRECTIVES.keys()] };

type AnySchema = Parameters<typeof toJsonSchema>[0];

function isRecordOf(schema: AnySchema, key: AnySchema): schema is AnySchema & { key: AnySchema; value: AnySchema } {
  return schema.type === "record" && "key" in schema && schema.key === key;
}

const CONFIG: ConversionConfig = {
  // Checks that need code (header-specific values, CSP sources) have no JSON Schema form; the Worker
  // and `security-headers-worker validate` still run them.
  errorMode: "ignore",
  overrideSchema: ({ valibotSchema }) => {
    if (valibotSchema === DIRECTIVE_NAME) return DIRECTIVE_NAMES;
    if (valibotSchema === BUNDLE_ARRAY) return { type: "array", items: { type: "string", enum: [...BUNDLE_NAMES] }, uniqueItems: true };
    // Record keys become propertyNames; the converter does not offer them to this hook, so records keyed by
    // directive names are rebuilt here to list the names (editors complete them).
    if (isRecordOf(valibotSchema, DIRECTIVE_NAME)) {
      return { type: "object", propertyNames: DIRECTIVE_NAMES, additionalProperties: convert(valibotSchema.value) };
    }
    const alternatives = ALTERNATIVES.get(valibotSchema);
    if (alternatives === undefined) return undefined;
    const converted = alternatives.map(convert);
    return converted.length === 1 ? converted[0] : { anyOf: converted };
  },
};

/** The JSON Schema of a policy document, as a JSON string with a trailing newline. */
export function buildPolicyJsonSchema(): string {
  const schema = {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "security-headers-worker policy",
    description: "A policy document: the POLICY var, or the document in Workers KV. See docs/policy-format.md.",
    ...convert(PolicyDocumentSchema),
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(OUT, buildPolicyJsonSchema());
  process.stdout.write(`wrote ${OUT}\n`);
}
