// Starts the real loopback origin that the Worker under test proxies to, and stops it afterwards.

import type { TestProject } from "vitest/node";
import { startOrigin } from "../support/origin.js";

declare module "vitest" {
  export interface ProvidedContext {
    originUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const origin = await startOrigin();
  project.provide("originUrl", origin.url);
  return () => origin.close();
}
