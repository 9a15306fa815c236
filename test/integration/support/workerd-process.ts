// Find the workerd process that serves a Miniflare instance, and read its memory, from /proc (Linux).

import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** The parent pid of `pid`, or undefined if the process is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name in parentheses may contain spaces; the fields after it are space-separated.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}

function isDescendantOf(pid: number, ancestor: number): boolean {
  let current: number | undefined = pid;
  for (let depth = 0; depth < 64 && current !== undefined && current > 1; depth++) {
    current = parentOf(current);
    if (current === ancestor) return true;
  }
  return false;
}

/** Inodes of sockets listening on `port` (IPv4 and IPv6 tables). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const state = fields[3];
      const inode = fields[9];
      if (local === undefined || inode === undefined || state !== "0A") continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16) === port) inodes.add(inode);
    }
  }
  return inodes;
}

function ownsSocket(pid: number, inodes: Set<string>): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match?.[1] !== undefined && inodes.has(match[1])) return true;
    } catch {
      // The fd closed while we looked.
    }
  }
  return false;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/** Workerd processes started (directly or not) by process `ancestor`, by default this test process. */
export function workerdDescendants(ancestor = process.pid): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => commandLine(pid).includes("workerd") && isDescendantOf(pid, ancestor));
}

/**
 * The pid of the workerd that listens on `port`. Other workerd processes may run on the machine (other
 * test files, wrangler dev), so the listening socket decides, and the process must descend from this one.
 */
export function workerdServing(port: number): number {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) throw new Error(`no socket listens on port ${port}`);
  const owners = workerdDescendants().filter((pid) => ownsSocket(pid, inodes));
  const [owner, ...others] = owners;
  if (owner === undefined || others.length > 0) {
    throw new Error(`expected one workerd of ours listening on ${port}, found ${JSON.stringify(owners)}`);
  }
  return owner;
}

/** Resident set size of `pid` in bytes (VmRSS). */
export function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (match?.[1] === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** Whether a process with this pid still exists. */
export function isAlive(pid: number): boolean {
  return parentOf(pid) !== undefined;
}

/** How many sockets (TCP connections and listeners) process `pid` holds open. */
export function socketCount(pid: number): number {
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:")) count++;
    } catch {
      // The fd closed while we looked.
    }
  }
  return count;
}
