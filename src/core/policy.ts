// Types of the policy at its three stages: the document users write, the resolved layers, and the
// compiled plans that requests use.

import type { DirectiveValue } from "./csp.js";
import type { HeaderKind } from "./known-headers.js";
import type { HeaderAction } from "./policy-schema.js";

import type { PathIndex } from "./match-path.js";
import type { PolicyLayer } from "./policy-schema.js";
import type { PolicyIssue } from "./result.js";

export type { CspLayer, HeaderAction, HstsLayer, PathRule, PolicyDocument, PolicyLayer } from "./policy-schema.js";

/** One owned header after all layers are merged. */
export interface ResolvedHeader {
  /** The name as the policy spells it (wire case on HTTP/1.1). */
  readonly name: string;
  readonly action: HeaderAction;
  readonly value: string | undefined;
  /** Which layer last decided this header: "defaults", "POLICY", … */
  readonly from: string;
}

export interface ResolvedDirective {
  readonly value: DirectiveValue;
  readonly from: string;
}

export interface ResolvedCsp {
  readonly action: "set" | "default";
  readonly directives: ReadonlyMap<string, ResolvedDirective>;
  readonly from: string;
}

export interface ResolvedHsts {
  readonly action: "set" | "default";
  readonly maxAge: number;
  readonly includeSubDomains: boolean;
  readonly preload: boolean;
  readonly from: string;
}

/** The policy after merging layers, before it is turned into plans. Keys of `headers` are lower case. */
export interface ResolvedPolicy {
  readonly headers: ReadonlyMap<string, ResolvedHeader>;
  readonly csp: ResolvedCsp | null;
  readonly cspReportOnly: ResolvedCsp | null;
  readonly hsts: ResolvedHsts | null;
}

/** One step of a header plan. Every op names a different header: an owned header is written once. */
export type HeaderOp =
  | { readonly kind: "set"; readonly name: string; readonly value: string; readonly from: string }
  | {
      readonly kind: "default";
      readonly name: string;
      readonly value: string;
      /** An origin value for which this is false counts as absent. */
      readonly isValid: (value: string) => boolean;
      readonly from: string;
    }
  | {
      readonly kind: "append";
      readonly name: string;
      readonly value: string;
      readonly items: readonly string[];
      readonly headerKind: HeaderKind;
      readonly isValid: (value: string) => boolean;
      readonly from: string;
    }
  | { readonly kind: "remove"; readonly name: string; readonly from: string };

/** Everything one response needs: the header ops, in order. Built once per policy version. */
export interface HeaderPlan {
  readonly ops: readonly HeaderOp[];
}

/** The plans for one resolved policy: one per scheme, since HSTS and some CSP only apply on https. */
export interface PlanPair {
  readonly https: HeaderPlan;
  readonly http: HeaderPlan;
}

/** A per-path rule, ready to match. */
export interface CompiledRule {
  /** Where it came from, for logs and explain: `KV.rules[2] /embed/*`. */
  readonly from: string;
  readonly pattern: string;
  /** Media types (lower case, `text/*` allowed) the rule is limited to; undefined for every response. */
  readonly contentTypes: readonly string[] | undefined;
  readonly layer: PolicyLayer;
  /** Precedence: rules apply in ascending order of this, so the last (most specific, then latest) wins. */
  readonly order: number;
}

/** A rule combination that could not be merged in full; the rules named were skipped for it. */
export interface RejectedCombination {
  readonly rules: readonly string[];
  readonly issues: readonly PolicyIssue[];
}

/** A policy compiled for requests. Everything but rule combinations is computed once per version. */
export interface CompiledPolicy {
  /** The plans when no rule matches. */
  readonly base: PlanPair;
  readonly resolved: ResolvedPolicy;
  readonly reportOnly: boolean;
  readonly rules: readonly CompiledRule[];
  readonly paths: PathIndex;
  /** Plans for each combination of matching rules met so far, by rule indices ("2,7"). Bounded. */
  readonly combos: Map<string, PlanPair>;
  /** Told once per combination that had to skip a rule (a conflict only visible in combination). */
  readonly onRejected: (rejected: RejectedCombination) => void;
}

/** What planning needs to know about one request and its response. */
export interface RequestFacts {
  readonly https: boolean;
  /** The request URL's pathname, as received (still percent-encoded). */
  readonly path: string;
  /** The response's Content-Type header, if any. */
  readonly contentType: string | null;
}
