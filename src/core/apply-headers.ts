// Apply a header plan to a mutable Headers object, so that every owned header ends up exactly once.

import { itemKey, splitListValue } from "./known-headers.js";
import type { HeaderOp, HeaderPlan } from "./policy.js";

/** Apply every op of the plan to `headers` (the response's own, mutable copy). */
export function applyHeaders(headers: Headers, plan: HeaderPlan): void {
  for (const op of plan.ops) applyOp(headers, op);
}

function applyOp(headers: Headers, op: HeaderOp): void {
  switch (op.kind) {
    case "set":
      headers.set(op.name, op.value);
      return;
    case "remove":
      headers.delete(op.name);
      return;
    case "default": {
      const current = headers.get(op.name);
      if (current === null || !op.isValid(current)) headers.set(op.name, op.value);
      // Several origin lines arrive joined by ", "; writing the joined value back leaves one line.
      else if (current.includes(",")) headers.set(op.name, current);
      return;
    }
    case "append": {
      const current = headers.get(op.name);
      if (current === null || !op.isValid(current)) {
        headers.set(op.name, op.value);
        return;
      }
      const items = splitListValue(current);
      const keys = new Set(items.map((item) => itemKey(op.headerKind, item)));
      for (const item of op.items) {
        const key = itemKey(op.headerKind, item);
        if (!keys.has(key)) items.push(item);
        keys.add(key);
      }
      headers.set(op.name, items.join(", "));
      return;
    }
  }
}
