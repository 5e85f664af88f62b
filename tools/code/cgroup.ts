import { mkdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LEFTOVER_PREFIX, OWNER_TAG } from "./leftovers.js";

/** Where this process may create child cgroups for memory and pids, when it can. */
export interface CgroupRoots {
  version: 1 | 2;
  memory?: string;
  pids?: string;
}

/** One run's cgroups. */
export interface RunCgroups {
  dirs: string[];
  version: 1 | 2;
  memoryDir?: string;
  pidsDir?: string;
}

/** Parse /proc/self/cgroup into controller → path (v2's unified entry under the key ""). */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    for (const controller of m[1]!.split(",")) out.set(controller.replace(/^name=/, "name:"), m[2]!);
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch {
    return false;
  }
}

/** Locate the cgroup directories this process sits in, for the memory and pids controllers. */
export async function findCgroupRoots(): Promise<CgroupRoots | undefined> {
  let self: Map<string, string>;
  try {
    self = parseProcCgroup(await readFile("/proc/self/cgroup", "utf8"));
  } catch {
    return undefined;
  }
  const v1: CgroupRoots = { version: 1 };
  for (const controller of ["memory", "pids"] as const) {
    const path = self.get(controller);
    if (path === undefined) continue;
    const dir = join("/sys/fs/cgroup", controller, path);
    if (await exists(join(dir, "cgroup.procs"))) v1[controller] = dir;
  }
  if (v1.memory || v1.pids) return v1;
  const unified = self.get("");
  if (unified === undefined) return undefined;
  const dir = join("/sys/fs/cgroup", unified);
  try {
    const controllers = (await readFile(join(dir, "cgroup.controllers"), "utf8")).split(/\s+/);
    const v2: CgroupRoots = { version: 2 };
    if (controllers.includes("memory")) v2.memory = dir;
    if (controllers.includes("pids")) v2.pids = dir;
    return v2.memory || v2.pids ? v2 : undefined;
  } catch {
    return undefined;
  }
}

let counter = 0;

/** Create this run's cgroups with the given limits. Throws when the kernel refuses. */
export async function createRunCgroups(
  roots: CgroupRoots,
  limits: { memoryBytes?: number; maxTasks?: number },
): Promise<RunCgroups> {
  const name = `${LEFTOVER_PREFIX}${OWNER_TAG}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
  const run: RunCgroups = { dirs: [], version: roots.version };
  try {
    if (roots.version === 2) {
      const dir = join((roots.memory ?? roots.pids)!, name);
      await mkdir(dir);
      run.dirs.push(dir);
      if (limits.memoryBytes !== undefined) {
        await writeFile(join(dir, "memory.max"), String(limits.memoryBytes));
        await writeFile(join(dir, "memory.swap.max"), "0").catch(() => undefined);
        run.memoryDir = dir;
      }
      if (limits.maxTasks !== undefined) {
        await writeFile(join(dir, "pids.max"), String(limits.maxTasks));
        run.pidsDir = dir;
      }
      return run;
    }
    if (limits.memoryBytes !== undefined && roots.memory) {
      const dir = join(roots.memory, name);
      await mkdir(dir);
      run.dirs.push(dir);
      await writeFile(join(dir, "memory.limit_in_bytes"), String(limits.memoryBytes));
      // Swap counts too where the kernel accounts it (memsw must be set after the plain limit).
      await writeFile(join(dir, "memory.memsw.limit_in_bytes"), String(limits.memoryBytes)).catch(() => undefined);
      run.memoryDir = dir;
    }
    if (limits.maxTasks !== undefined && roots.pids) {
      const dir = join(roots.pids, name);
      await mkdir(dir);
      run.dirs.push(dir);
      await writeFile(join(dir, "pids.max"), String(limits.maxTasks));
      run.pidsDir = dir;
    }
    return run;
  } catch (error) {
    await removeRunCgroups(run);
    throw error;
  }
}

/** Which limits of this run's cgroups were hit. */
export async function cgroupHits(
  run: RunCgroups,
): Promise<{ memory: boolean; memoryPressure: boolean; processes: boolean }> {
  const read = (path: string) => readFile(path, "utf8").catch(() => "");
  let memory = false;
  let memoryPressure = false;
  let processes = false;
  if (run.memoryDir) {
    if (run.version === 2) {
      const events = await read(join(run.memoryDir, "memory.events"));
      memory = /\boom_kill [1-9]/.test(events);
      memoryPressure = /\bmax [1-9]/.test(events);
    } else {
      const failcnt = Number((await read(join(run.memoryDir, "memory.failcnt"))).trim() || "0");
      const oom = await read(join(run.memoryDir, "memory.oom_control"));
      memory = /oom_kill [1-9]/.test(oom);
      memoryPressure = failcnt > 0;
    }
  }
  if (run.pidsDir) {
    const events = await read(join(run.pidsDir, "pids.events"));
    processes = /\bmax [1-9]/.test(events);
  }
  return { memory, memoryPressure, processes };
}

/** Remove this run's cgroups; they empty out shortly after the namespace's init dies, so retry briefly. */
export async function removeRunCgroups(run: RunCgroups): Promise<void> {
  for (const dir of [...run.dirs].reverse()) {
    for (let attempt = 0; attempt < 40; attempt++) {
      try {
        await rmdir(dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") break;
        if (code !== "EBUSY" || attempt === 39) break;
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  }
}
