// The pure heart of `scan`: from what Chromium saw on every page (two loads each) to a policy document that
// lets those pages work as they did and allows nothing else, and a report of what it could not allow safely.

import { buildPolicy, type NonceMode, type PolicyOut } from "./build-policy.js";
import { mergeFindings, type PageFinding } from "./findings.js";
import { groupLoads } from "./group-loads.js";
import { findMarker } from "./marker.js";
import type { SiteScan } from "./observations.js";
import { pathNeeds, type NonceNeed } from "./path-needs.js";

/** One scanned path in the report. */
export interface ScannedPath {
  readonly path: string;
  readonly kind: "page" | "worker";
  readonly urls: readonly string[];
  readonly loads: number;
  /** Directive → sources this path needs (the base holds what every page needs). */
  readonly sources: Readonly<Record<string, readonly string[]>>;
  readonly nonce?: NonceNeed | undefined;
}

/** What the scan saw and decided, for people (`scan` prints it) and scripts (`scan --json`). */
export interface ScanReport {
  readonly origin: string;
  readonly nonceMode: NonceMode;
  readonly paths: readonly ScannedPath[];
  /** The origin writes a marker (its value is never part of a report). */
  readonly markerFound: boolean;
  /** What the policy blocks on purpose, with the fix and the fallback. */
  readonly findings: readonly PageFinding[];
  readonly notes: readonly string[];
  readonly skipped: readonly { readonly url: string; readonly reason: string }[];
}

export interface ScanResult {
  readonly document: PolicyOut;
  readonly report: ScanReport;
  /** The marker the origin writes, so that output can be checked never to carry it; never printed. */
  readonly marker: string | undefined;
}

/** Turn a scan into a policy document and its report. */
export function synthesizePolicy(scan: SiteScan, options: { readonly nonceMode: NonceMode }): ScanResult {
  const groups = groupLoads(scan);
  const marker = findMarker(groups.filter((g) => g.kind === "page").flatMap((g) => g.loads));
  // Blanket mode stamps every element itself: a marker the origin writes plays no part in deciding.
  const markers = { marker: options.nonceMode === "marked" ? marker.marker : undefined };
  const needs = groups.map((g) => pathNeeds(g.path, g.kind, g.urls, g.loads, markers));
  const { document, widened } = buildPolicy(needs, options.nonceMode);
  const notes = [
    ...marker.notes,
    ...widened.map((w) => `${w.path}: ${w.reason}; what it needs went into the base, for every path`),
    ...needs.flatMap((n) => n.notes.map((note) => `${n.path}: ${note}`)),
  ];
  if (needs.some((n) => n.ownCsp))
    notes.push(
      "the site sends a CSP of its own; the scan removed it to see what the pages load, and the generated policy replaces it (action set)",
    );
  if (options.nonceMode === "blanket" && needs.some((n) => n.nonce !== undefined)) {
    notes.push(
      "blanket nonces go on every script and style the HTML holds, an injected one too: they no longer stop HTML injection, only injected handlers, javascript: URLs and scripts from other hosts (docs/csp.md)",
    );
    if (marker.marker !== undefined)
      notes.push(
        "the origin writes a marker, and a blanket nonce would make two nonce attributes, which Chromium blocks: use --nonce marked",
      );
  }
  const findings = mergeFindings(needs.flatMap((n) => n.findings.map((finding) => ({ path: n.path, finding }))));
  return {
    document,
    marker: marker.marker,
    report: {
      origin: scan.origin,
      nonceMode: options.nonceMode,
      paths: needs.map((n) => ({
        path: n.path,
        kind: n.kind,
        urls: n.urls,
        loads: n.loads,
        sources: Object.fromEntries([...n.sources].map(([d, s]) => [d, [...s]])),
        ...(n.nonce === undefined ? {} : { nonce: n.nonce }),
      })),
      markerFound: marker.marker !== undefined,
      findings,
      notes,
      skipped: scan.skipped,
    },
  };
}
