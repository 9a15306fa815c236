// Types of the policy at its three stages: the document users write, the resolved layers, and the
// compiled plans that requests use.

import type { DirectiveValue } from "../csp/directives.js";
import type { HeaderKind } from "../headers/known-headers.js";
import type { CompiledCookies, ResolvedCookieRule } from "../headers/cookies.js";
import type { CompiledMarker } from "../nonce/marker-stream.js";
import type { HeaderAction } from "./policy-schema.js";
import type { Ceilings } from "./ceilings.js";
import type { PresetName } from "./presets.js";

import type { CombinationMemo } from "./combinations.js";
import type { PathIndex, PathRoute } from "./match-path.js";
import type { PolicyLayer } from "./policy-schema.js";
import type { PolicyIssue } from "../shared/result.js";

export type { CspLayer, HeaderAction, HstsLayer, NonceLayer, PathRule, PolicyDocument, PolicyLayer } from "./policy-schema.js";

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
  /** The source bundles (`allow`) behind this CSP and what each still adds; absent when none. */
  readonly bundles?: readonly AppliedBundle[];
}

/** What one `allow` entry added to a CSP, per directive: explain shows it, validate warns from it. */
export interface AppliedBundle {
  readonly name: string;
  /** The layer whose `allow` named it: "KV", "KV.rules[0] /shop/*". */
  readonly from: string;
  /** Its field in that layer: `csp.allow[0]`. */
  readonly path: string;
  /** Directive → the sources the bundle added that a later layer has not replaced or removed. */
  readonly added: ReadonlyMap<string, readonly string[]>;
}

export interface ResolvedHsts {
  readonly action: "set" | "default";
  readonly maxAge: number;
  readonly includeSubDomains: boolean;
  readonly preload: boolean;
  readonly from: string;
}

export interface ResolvedNonce {
  readonly scripts: boolean;
  readonly styles: boolean;
  readonly mode: "marked" | "blanket";
  readonly strictDynamic: boolean;
  readonly from: string;
}

/** The policy after merging layers, before it is turned into plans. Keys of `headers` are lower case. */
export interface ResolvedPolicy {
  readonly headers: ReadonlyMap<string, ResolvedHeader>;
  readonly csp: ResolvedCsp | null;
  readonly cspReportOnly: ResolvedCsp | null;
  readonly hsts: ResolvedHsts | null;
  readonly nonce: ResolvedNonce | null;
  /** Cookie entries, most precedent first (core/headers/cookies.ts); empty when no layer has any. */
  readonly cookies: readonly ResolvedCookieRule[];
}

/**
 * One step of a header plan. Every op names a different header: an owned header is written once.
 * `name` is the canonical spelling written on the wire (HTTP/1.1 keeps case); `key` is its lower-case
 * form, used for reads and deletes, which runtimes look up faster.
 */
export type HeaderOp =
  | {
      readonly kind: "set";
      readonly name: string;
      readonly key: string;
      readonly value: string;
      /** For a value with a nonce: the value split where the nonce goes. */
      readonly parts?: readonly string[];
      readonly from: string;
    }
  | {
      readonly kind: "default";
      readonly name: string;
      readonly key: string;
      readonly value: string;
      readonly parts?: readonly string[];
      /** An origin value for which this is false counts as absent. */
      readonly isValid: (value: string) => boolean;
      /** Strict-Transport-Security under CEILINGS: the origin's valid value kept lowered to the ceilings. */
      readonly cap?: HstsCap;
      readonly from: string;
    }
  | {
      readonly kind: "append";
      readonly name: string;
      readonly key: string;
      readonly value: string;
      readonly items: readonly string[];
      readonly headerKind: HeaderKind;
      readonly isValid: (value: string) => boolean;
      readonly from: string;
    }
  | {
      readonly kind: "remove";
      readonly name: string;
      readonly key: string;
      readonly from: string;
      /** The strip-version action: remove only the versions, keep the product names (core/headers/strip-version.ts). */
      readonly versionsOnly?: true;
      /** Strict-Transport-Security under CEILINGS when the policy sends none: the origin's kept, lowered to the ceilings. */
      readonly cap?: HstsCap;
    }
  | {
      /** Harden each origin Set-Cookie line with the attributes the policy requires (core/headers/cookies.ts). */
      readonly kind: "cookies";
      readonly name: "Set-Cookie";
      readonly key: "set-cookie";
      readonly cookies: CompiledCookies;
      /** Secure (and the __Host- Path) only over https: a browser refuses a Secure cookie set over http. */
      readonly https: boolean;
      readonly from: string;
    };

/** The origin's Strict-Transport-Security value within the ceilings, or null when it cannot be read (then it does not pass). */
export type HstsCap = (value: string) => string | null;

/** How to stamp a nonce into an HTML body, and the headers that go with it. */
export interface NoncePlan {
  /** The ops with the CSP values split where the nonce goes (`parts`). */
  readonly ops: readonly HeaderOp[];
  /** For a 304: the same ops without any CSP, so the browser keeps the policy stored with its cached page. */
  readonly notModifiedOps: readonly HeaderOp[];
  /** The CSP ops of `ops` that carry the nonce: our nonce leaves only if one of them writes its value. */
  readonly carriers: readonly HeaderOp[];
  readonly mode: "marked" | "blanket";
  readonly scripts: boolean;
  readonly styles: boolean;
}

/** Everything one response needs: the header ops, in order. Built once per policy version. */
export interface HeaderPlan {
  /** The ops when no nonce is stamped (non-HTML, HEAD, 206, a nonce-free policy): no nonce in any value. */
  readonly ops: readonly HeaderOp[];
  /** Present when the policy asks for nonces and some CSP will carry them. */
  readonly nonce: NoncePlan | null;
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
  /** The rule's own `description`, for explain. */
  readonly description: string | undefined;
  /** Media types (lower case, `text/*` allowed) the rule is limited to; undefined for every response. */
  readonly contentTypes: readonly string[] | undefined;
  readonly layer: PolicyLayer;
  /** Precedence: rules apply in ascending order of this, so the last (most specific, then latest) wins. */
  readonly order: number;
}

/** A layer that was not applied, and why. */
export interface RejectedLayer {
  readonly from: string;
  readonly issues: readonly PolicyIssue[];
}

/** A rule combination that could not be merged in full; the rules named were skipped for it. */
export interface RejectedCombination {
  readonly rules: readonly string[];
  readonly issues: readonly PolicyIssue[];
}

/**
 * The site's secret markers and where they are handled. Every marker any configured source names is
 * scrubbed from every response on every path; on paths whose base or any matching rule (whatever its
 * content-type limit) can yield a marked nonce, the stamped markers also get the nonce and Range is not
 * forwarded. Compiled once per version; matchMarkerScope picks `this` or `unmarked` per path.
 */
export interface MarkerScope {
  /** The marker stamped, compiled for scrubbing; null where no valid one is known (the CLI, or `unresolved`). */
  readonly value: CompiledMarker | null;
  /** Where `value` comes from: a `nonce.marker` in the policy, or the NONCE_MARKER secret. */
  readonly from: "policy" | "NONCE_MARKER";
  /** Other markers stamped like `value`: NONCE_MARKER's other valid markers, while the site rotates it. */
  readonly alternates: readonly CompiledMarker[];
  /** Markers only neutralised (filler, never the nonce): invalid ones, those of layers not applied, retired ones. */
  readonly neutralised: readonly CompiledMarker[];
  /** The base has a marked nonce (or a source not applied has one): every path is marked. */
  readonly everywhere: boolean;
  /** By rule index: the rule can yield a marked nonce on the paths it matches. */
  readonly rules: readonly boolean[];
  /** Some rule can: when false (and not everywhere), no path is marked. */
  readonly anyRule: boolean;
  /** True on the scope of a marked path; false on `unmarked`. */
  readonly marked: boolean;
  /** This scope for the paths with no marked nonce (every marker neutralised, nothing stamped, Range forwarded); null on itself. */
  readonly unmarked: MarkerScope | null;
  /**
   * Set when a source asks for a marked nonce but no marker is known (the secret unset): why every response
   * is refused, naming what to set. The origin's marker is on its pages, and the Worker cannot tell its bytes.
   */
  readonly unresolved: string | null;
}

/** One combination of matching rules merged over the base: its plans, what it resolves to, and the rules it had to skip. */
export interface Combination {
  readonly plans: PlanPair;
  readonly resolved: ResolvedPolicy;
  readonly rejected: readonly RejectedLayer[];
}

/** What a policy is compiled with. */
export interface CompileOptions {
  /** CSP_REPORT_ONLY: every enforced CSP goes out as Report-Only. */
  readonly reportOnly: boolean;
  /** The report collector's path, when it is enabled: every CSP reports there. */
  readonly reportPath?: string | undefined;
  /** The NONCE_MARKER secret, validated: the marker of marked nonces when the policy names none. */
  readonly nonceMarker?: string | undefined;
  /**
   * For the CLI, which cannot read the Worker's secrets: compile as if NONCE_MARKER were set, so a policy
   * that relies on it validates (and the CLI says the Worker needs it).
   */
  readonly assumeNonceMarker?: boolean | undefined;
  /** Other markers stamped as well as the site's one: NONCE_MARKER's other valid markers, while it is rotated. */
  readonly alternateMarkers?: readonly string[] | undefined;
  /** Markers only scrubbed, never stamped: invalid NONCE_MARKER values, markers of documents not applied, retired ones. */
  readonly scrubbedMarkers?: readonly string[] | undefined;
  /** Sources outside `sources` that ask for a marked nonce but are not applied (a KV document that does not parse). */
  readonly markedSources?: readonly string[] | undefined;
  /** The environment's CEILINGS: HSTS values above them are lowered in every plan. */
  readonly ceilings?: Ceilings | undefined;
}

/** A policy compiled for requests. Everything but rule combinations is computed once per version. */
export interface CompiledPolicy {
  /** The plans when no rule matches. */
  readonly base: PlanPair;
  readonly resolved: ResolvedPolicy;
  /** What it was compiled with, the site's marker included. */
  readonly options: CompileOptions;
  /** Where marked nonces scrub the marker; null when no path can have one. */
  readonly marker: MarkerScope | null;
  readonly rules: readonly CompiledRule[];
  readonly paths: PathIndex;
  /**
   * Merge a combination of rules (indices into `rules`) over the base. Load-time work compiled into the
   * policy, so that the request that first meets a combination runs it without importing the merge.
   */
  readonly combine: (indices: readonly number[]) => Combination;
  /** Plans for each combination of matching rules met so far (through `combine`, reporting skipped rules). Bounded. */
  readonly combos: CombinationMemo;
  /** The preset the policy starts from (`"preset"` in an applied document), if any. */
  readonly preset?: PresetName | undefined;
}

/** What planning needs to know about one request and its response. */
export interface RequestFacts {
  readonly https: boolean;
  /** The request URL's pathname, as received (still percent-encoded). */
  readonly path: string;
  /** `policy.paths.route(path)`, when the caller already has it (the handler routes before forwarding). */
  readonly route?: PathRoute | undefined;
  /** The response's Content-Type header, if any. */
  readonly contentType: string | null;
}
