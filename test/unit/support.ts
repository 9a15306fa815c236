// Helpers for unit tests: compile documents the way the Worker does, and read headers back.

import { compilePolicy, type PolicySource } from "../../src/core/policy/compile-policy.js";
import { createMarker } from "../../src/core/nonce/nonce-marker.js";
import { parsePolicy } from "../../src/core/policy/parse-policy.js";
import type { CompiledPolicy, PolicyDocument } from "../../src/core/policy/types.js";
export { cspMap } from "../support/csp-map.js";

/** Validate a document, failing the test with its issues if it does not validate. */
export function doc(input: unknown): PolicyDocument {
  const result = parsePolicy(input);
  if (!result.ok) throw new Error(`invalid test document: ${JSON.stringify(result.issues)}`);
  return result.value;
}

/** The NONCE_MARKER the unit tests compile with: drawn per run, so no test publishes a usable marker. */
export const TEST_MARKER = createMarker();

/** Compile the defaults plus these documents (as sources named POLICY, KV, …), expecting no rejection. */
export function compile(documents: unknown[] = [], reportOnly = false): CompiledPolicy {
  const { policy, rejected } = compileWithRejections(documents, reportOnly);
  if (rejected.length > 0) throw new Error(`rejected layers: ${JSON.stringify(rejected)}`);
  return policy;
}

/** Compile and return the rejected layers too. */
export function compileWithRejections(documents: unknown[], reportOnly = false) {
  const sources: PolicySource[] = documents.map((d, i) => ({ from: i === 0 ? "POLICY" : `layer${i}`, document: doc(d) }));
  return compilePolicy(sources, { reportOnly, nonceMarker: TEST_MARKER });
}

/** Request facts for a path (default "/") over https, with an HTML response. */
export function facts(https = true, path = "/", contentType: string | null = "text/html") {
  return { https, path, contentType };
}

/** Every (name, value) pair of a Headers object, names lower-cased, in order. */
export function lines(headers: Headers): [string, string][] {
  return [...headers].map(([k, v]) => [k.toLowerCase(), v]);
}

/** How many lines a header occupies (Set-Cookie aside, a Headers object joins repeats, so this is 0 or 1). */
export function countOf(headers: Headers, name: string): number {
  return lines(headers).filter(([k]) => k === name.toLowerCase()).length;
}
