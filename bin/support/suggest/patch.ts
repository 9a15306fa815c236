// The proposals of `reports --suggest` as a policy document: on their own (a patch that validate and explain
// read, and push applies), or merged into the document the site runs (from `pull`), adding sources only.

import type { Proposal, Suggestions } from "./suggest.js";

type Json = Record<string, unknown>;

/**
 * `base` (a policy document, or an empty one) with every proposal added: base proposals to `csp.add`, the others
 * to `csp.add` of the rule for their path (created after the existing rules when there is none). Nonce
 * suggestions are not applied: marked mode needs the origin to write the marker first. Throws an Error naming
 * the field when the document cannot take an addition (its CSP is `false` there).
 */
export function suggestionPatch(suggestions: Suggestions, base: Json = { $schema: "./policy.schema.json" }): Json {
  const document: Json = structuredClone(base);
  const rules: Json[] = Array.isArray(document.rules) ? (document.rules as Json[]) : [];
  for (const proposal of suggestions.proposals) {
    if (proposal.path === "") {
      addTo(document, "csp", proposal);
      continue;
    }
    let index = rules.findIndex((r) => r.path === proposal.path);
    if (index === -1) {
      rules.push({ path: proposal.path, description: "reports --suggest: sources the site's pages loaded that the policy blocked" });
      index = rules.length - 1;
    }
    const rule = rules[index];
    if (rule !== undefined) addTo(rule, `rules[${index}].csp`, proposal);
  }
  if (rules.length > 0) document.rules = rules;
  return document;
}

function addTo(layer: Json, where: string, proposal: Proposal): void {
  if (layer.csp === false)
    throw new Error(`${where} is false (no CSP on that path): ${proposal.directive} ${proposal.source} has nowhere to go`);
  const csp: Json = typeof layer.csp === "object" && layer.csp !== null ? (layer.csp as Json) : {};
  const add: Record<string, string[]> = typeof csp.add === "object" && csp.add !== null ? (csp.add as Record<string, string[]>) : {};
  const sources = add[proposal.directive] ?? [];
  if (!sources.includes(proposal.source)) add[proposal.directive] = [...sources, proposal.source];
  csp.add = add;
  layer.csp = csp;
}
