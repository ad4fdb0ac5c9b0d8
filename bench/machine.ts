// Where the figures came from: CPU (with cache sizes where readable), memory, OS, Node / V8,
// the git commit, the date and the load on the machine.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import os from "node:os";

export interface Machine {
  cpu: string;
  cores: number;
  caches: Record<string, string>;
  memoryGiB: number;
  os: string;
  node: string;
  v8: string;
  date: string;
  commit: string;
  loadAverage: number[];
}

function quiet(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

/** "32K" -> "32 KiB", "32768K" -> "32 MiB". */
function kib(size: string): string {
  const m = /^(\d+)K$/.exec(size);
  if (!m) return size;
  const k = Number(m[1]);
  return k >= 1024 && k % 1024 === 0 ? `${k / 1024} MiB` : `${k} KiB`;
}

/**
 * Cache sizes of one core's view, e.g. { L1d: "32 KiB", L2: "512 KiB", L3: "32 MiB shared by 2 cpus" },
 * from /sys (sizes per instance), else lscpu's lines (totals over instances).
 */
function cacheSizes(): Record<string, string> {
  const caches: Record<string, string> = {};
  const dir = "/sys/devices/system/cpu/cpu0/cache";
  try {
    for (const index of readdirSync(dir).filter((d) => d.startsWith("index"))) {
      const read = (f: string) => readFileSync(`${dir}/${index}/${f}`, "utf8").trim();
      const type = read("type");
      if (type === "Instruction") continue;
      const shared = read("shared_cpu_list");
      const sharedBy = shared.split(",").reduce((n, part) => {
        const [a, b] = part.split("-").map(Number);
        return n + (b === undefined ? 1 : b - a + 1);
      }, 0);
      caches[`L${read("level")}${type === "Data" ? "d" : ""}`] = `${kib(read("size"))}${sharedBy > 1 ? ` shared by ${sharedBy} cpus` : ""}`;
    }
  } catch {
    // not Linux, or not readable: try lscpu
  }
  if (Object.keys(caches).length > 0) return caches;
  for (const line of quiet("lscpu", []).split("\n")) {
    const m = /^(L\d\w?) cache:\s+(.+)$/.exec(line.trim());
    if (m && m[1] !== "L1i") caches[m[1]] = `${m[2]} in total`;
  }
  return caches;
}

function cpuModel(): string {
  const fromLscpu = /Model name:\s+(.+)/.exec(quiet("lscpu", []))?.[1];
  return fromLscpu ?? os.cpus()[0]?.model ?? "unknown CPU";
}

function commit(): string {
  const sha = quiet("git", ["rev-parse", "--short=12", "HEAD"]);
  if (!sha) return "unknown";
  return quiet("git", ["status", "--porcelain", "--untracked-files=no"]) ? `${sha} (with uncommitted changes)` : sha;
}

export function describeMachine(): Machine {
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism?.() ?? os.cpus().length,
    caches: cacheSizes(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.versions.node,
    v8: process.versions.v8,
    date: new Date().toISOString(),
    commit: commit(),
    loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

/** One line: "AMD EPYC, 2 cores (L2 1 MiB ...), 23.4 GiB, Linux ..., Node 20.20.2 (V8 ...)". */
export function machineLine(m: Machine): string {
  const caches = ["L1d", "L2", "L3"].filter((k) => m.caches[k]).map((k) => `${k} ${m.caches[k]}`).join(", ");
  return `${m.cpu}, ${m.cores} cores${caches ? ` (${caches})` : ""}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node} (V8 ${m.v8})`;
}

/** A warning when the machine is busy (load above half its cores), else null. */
export function loadWarning(): string | null {
  const [one] = os.loadavg();
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  if (one <= cores / 2) return null;
  return `warning: load average ${one.toFixed(2)} on ${cores} cores: other work is running, timings will be noisy`;
}
