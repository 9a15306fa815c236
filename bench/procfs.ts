// Read /proc: the workerd process of each Miniflare instance, its memory and CPU time, and the machine's other load.

import { readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** PIDs of workerd processes whose parent is this process (other sessions' workerd are never touched). */
export function childWorkerdPids(): Set<number> {
  const pids = new Set<number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProc(`/proc/${entry}/stat`);
    if (stat === undefined) continue;
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const ppid = Number(stat.slice(close + 2).split(" ")[1]);
    if (comm === "workerd" && ppid === process.pid) pids.add(Number(entry));
  }
  return pids;
}

/**
 * Run `start`, and return its result with the one workerd PID that appeared while it ran. If there is not
 * exactly one, `dispose` stops what was started before the error is thrown, so nothing is left running.
 */
export async function withNewWorkerd<T>(start: () => Promise<T>, dispose: (value: T) => Promise<void>): Promise<{ value: T; pid: number }> {
  const before = childWorkerdPids();
  const value = await start();
  const added = [...childWorkerdPids()].filter((pid) => !before.has(pid));
  const [pid] = added;
  if (pid === undefined || added.length !== 1) {
    await dispose(value);
    throw new Error(`expected one new workerd process, found ${added.length}`);
  }
  return { value, pid };
}

function statusField(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = readProc(`/proc/${pid}/status`);
  const m = status === undefined ? null : new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  if (m === null) throw new Error(`no ${field} for pid ${pid}`);
  return Number(m[1]);
}

/** Resident set size in KiB. */
export function rssKb(pid: number): number {
  return statusField(pid, "VmRSS");
}

/** Peak resident set size since the last resetPeakRss, in KiB. */
export function peakRssKb(pid: number): number {
  return statusField(pid, "VmHWM");
}

/** Reset the kernel's peak-RSS mark (clear_refs 5); false when the kernel does not allow it. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** CPU time in ns used by all of the process's threads (sum of each task's schedstat run time). */
export function cpuNs(pid: number): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const schedstat = readProc(`/proc/${pid}/task/${task}/schedstat`);
    if (schedstat !== undefined) total += Number(schedstat.split(" ")[0]);
  }
  return total;
}

/** The version of the workerd binary a process runs, from the package.json next to its executable. */
export function workerdVersionOf(pid: number): { version: string; binary: string } {
  const binary = readlinkSync(`/proc/${pid}/exe`);
  const manifest = readProc(join(dirname(dirname(binary)), "package.json"));
  const parsed: unknown = manifest === undefined ? undefined : JSON.parse(manifest);
  const version =
    typeof parsed === "object" && parsed !== null && "version" in parsed && typeof parsed.version === "string" ? parsed.version : "unknown";
  return { version, binary };
}

/** Busy CPU time of the whole machine so far, in ns (every state but idle and iowait, all cores). */
export function machineBusyNs(): number {
  const stat = readProc("/proc/stat") ?? "";
  const line = stat.split("\n").find((l) => l.startsWith("cpu "));
  if (line === undefined) return Number.NaN;
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  // /proc/stat counts USER_HZ ticks, 100 per second on Linux.
  return (user + nice + system + irq + softirq + steal) * 1e7;
}

/** CPU time in ns used so far by this Node process and the given workerd processes. */
export function ownBusyNs(workerdPids: readonly number[]): number {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000 + workerdPids.reduce((sum, pid) => sum + cpuNs(pid), 0);
}
