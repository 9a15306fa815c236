// The Worker entry point: every request goes through the security-header proxy.

import type { Env } from "./env.js";
import { createHandler } from "./handler.js";

export default createHandler() satisfies ExportedHandler<Env>;
