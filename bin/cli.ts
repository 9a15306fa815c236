// The security-headers-worker CLI: finds the command, runs it, and turns failures into exit statuses.

import { readFileSync } from "node:fs";
import { checkCommand } from "./commands/check.js";
import { explainCommand } from "./commands/explain.js";
import { hashesCommand } from "./commands/hashes.js";
import { importCommand } from "./commands/import.js";
import { markerCommand } from "./commands/marker.js";
import { pullCommand } from "./commands/pull.js";
import { pushCommand } from "./commands/push.js";
import { reportsCommand } from "./commands/reports.js";
import { scanCommand } from "./commands/scan.js";
import { validateCommand } from "./commands/validate.js";
import { didYouMean } from "../src/core/shared/result.js";
import { CommandError, UsageError, type Command } from "./support/command.js";
import { EXIT, processIo, type ExitStatus, type Io } from "./support/io.js";
import { printable, printableLines } from "./support/printable.js";

const COMMANDS: readonly Command[] = [
  validateCommand,
  explainCommand,
  pushCommand,
  pullCommand,
  checkCommand,
  importCommand,
  hashesCommand,
  reportsCommand,
  markerCommand,
  scanCommand,
];

function toolHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return `Usage: security-headers-worker <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join("\n")}

Run \`security-headers-worker <command> --help\` for a command's options.

Options:
  -h, --help     show this help
  -v, --version  show the version

Exit status: 0 ok, 1 a defect or invalid input, 2 a usage error.
`;
}

function version(): string {
  const raw: unknown = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  return typeof raw === "object" && raw !== null && "version" in raw && typeof raw.version === "string" ? raw.version : "unknown";
}

/** A name that is no command: the likely one when it is a near miss, else the list, then the help. */
function unknownCommand(name: string, io: Io): ExitStatus {
  const hint = didYouMean(name, [...COMMANDS.map((c) => c.name), "--help", "--version"]);
  const known = COMMANDS.map((c) => c.name).join(", ");
  io.err(
    `${io.errStyle.red("error:")} unknown command ${printable(JSON.stringify(name))}${hint === "" ? `; expected one of ${known}` : hint}\n\n${toolHelp()}`,
  );
  return EXIT.usage;
}

/** Run the CLI with these arguments (without node and the script) and return the exit status. */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<ExitStatus> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(toolHelp());
    return EXIT.usage;
  }
  if (name === "-h" || name === "--help" || name === "help") {
    const topic = name === "help" ? rest[0] : undefined;
    if (topic === undefined) {
      io.out(toolHelp());
      return EXIT.ok;
    }
    const command = COMMANDS.find((c) => c.name === topic);
    if (command === undefined) return unknownCommand(topic, io);
    io.out(command.help);
    return EXIT.ok;
  }
  if (name === "-v" || name === "--version") {
    io.out(`${version()}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) return unknownCommand(name, io);
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      const usage = command.help.split("\n", 1)[0] ?? "";
      // Messages quote arguments, files and wrangler's output: escaped, line by line.
      io.err(
        `${io.errStyle.red("error:")} ${command.name}: ${printableLines(error.message)}\n${usage}\nRun \`security-headers-worker ${command.name} --help\` for the options.\n`,
      );
      return EXIT.usage;
    }
    if (error instanceof CommandError) {
      io.err(`${io.errStyle.red("error:")} ${command.name}: ${printableLines(error.message)}\n`);
      return EXIT.defect;
    }
    // Anything else is a bug in the CLI: show the stack so it can be reported.
    io.err(
      `${io.errStyle.red("internal error:")} ${printableLines(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`,
    );
    return EXIT.defect;
  }
}
