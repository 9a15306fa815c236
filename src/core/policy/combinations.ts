// Per request: the plans for a combination of matching rules, remembered per policy version. Merging a
// combination is load-time work; it arrives here as a function the compiled policy carries (README.md).

import type { PlanPair } from "./types.js";

/** Most combinations a policy version remembers; past this the memo starts afresh (bounded memory). */
export const MAX_COMBINATIONS = 1024;

/** A node of the memo: the plans for the indices on the way here, and longer combinations. */
interface MemoNode {
  plans: PlanPair | undefined;
  readonly children: Map<number, MemoNode>;
}

function emptyNode(): MemoNode {
  return { plans: undefined, children: new Map() };
}

/**
 * Plans per combination of matching rules, as a trie keyed by rule index: a request walks it with the
 * indices it matched, in ascending order, without building a key string to hash.
 */
export class CombinationMemo {
  private root: MemoNode = emptyNode();
  private count = 0;

  /** `compile` merges a combination on its first request (it runs once per combination per version). */
  constructor(private readonly compile: (indices: readonly number[]) => PlanPair) {}

  /** Combinations with plans. */
  get size(): number {
    return this.count;
  }

  /** Forget every combination (the bound reached, or a benchmark's cold start). */
  clear(): void {
    this.root = emptyNode();
    this.count = 0;
  }

  /** The plans for these rule indices (ascending), compiled the first time they are met. */
  plansFor(indices: readonly number[]): PlanPair {
    if (this.count >= MAX_COMBINATIONS) this.clear();
    let node = this.root;
    for (const index of indices) {
      let next = node.children.get(index);
      if (next === undefined) {
        next = emptyNode();
        node.children.set(index, next);
      }
      node = next;
    }
    if (node.plans === undefined) {
      node.plans = this.compile(indices);
      this.count++;
    }
    return node.plans;
  }
}
