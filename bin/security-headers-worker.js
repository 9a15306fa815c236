#!/usr/bin/env node
// Entry point of `npx security-headers-worker`: loads the TypeScript CLI through tsx, so the CLI runs the
// very same src/core/ validator as the Worker, without a build step.

import { tsImport } from "tsx/esm/api";

const cli = await tsImport("./cli.ts", import.meta.url);
process.exitCode = await cli.main(process.argv.slice(2));
