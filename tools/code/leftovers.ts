import { readlinkSync } from "node:fs";
import { readdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CgroupRoots } from "./cgroup.js";
import { processAlive } from "../../src/core/process.js";

/** What every stage directory and cgroup of a run is named after: the prefix, then its owner's tag. */
export const LEFTOVER_PREFIX = "skillorchestra-sandbox-";

function pidNamespace(): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync("/proc/self/ns/pid"))?.[1] ?? "0";
  } catch {
    return "0";
  }
}

/**
 * The owner tag in this process's leftovers: its PID namespace and its pid. A sweep only judges tags of its own
 * PID namespace, where the pid says whether the owner still lives.
 */
export const OWNER_TAG = `${pidNamespace()}-${process.pid}`;

const TAGGED = /^skillorchestra-sandbox-(\d+)-(\d+)-/;

/** Names under `dir` left by a process of this PID namespace that is gone. */
async function orphans(dir: string): Promise<string[]> {
  const ns = OWNER_TAG.split("-")[0];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names.filter((name) => {
    const m = TAGGED.exec(name);
    return m !== null && m[1] === ns && !processAlive(Number(m[2]));
  });
}

/** Kill whatever still runs in a cgroup (a sandbox outliving its host), then remove it. */
async function removeCgroup(dir: string): Promise<boolean> {
  await writeFile(join(dir, "cgroup.kill"), "1").catch(async () => {
    const procs = await readFile(join(dir, "cgroup.procs"), "utf8").catch(() => "");
    for (const pid of procs.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        /* gone */
      }
    }
  });
  for (let attempt = 0; attempt < 80; attempt++) {
    try {
      await rmdir(dir);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return true;
      if (code !== "EBUSY") return false;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return false;
}

/**
 * Remove the stage directories and cgroups of sandbox runs whose host process died without cleaning up
 * (killed with SIGKILL mid-run), and stop what still runs in those cgroups. Leftovers of live processes, and
 * names this project did not make, are not touched. Returns the paths removed.
 */
export async function sweepLeftovers(roots: CgroupRoots | undefined, tmp: string = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  const cgroupDirs = [...new Set([roots?.memory, roots?.pids].filter((d): d is string => d !== undefined))];
  // Cgroups first: killing the tree there stops a program still writing into its stage.
  for (const parent of cgroupDirs) {
    for (const name of await orphans(parent)) {
      if (await removeCgroup(join(parent, name))) removed.push(join(parent, name));
    }
  }
  for (const name of await orphans(tmp)) {
    await rm(join(tmp, name), { recursive: true, force: true, maxRetries: 3 }).then(
      () => removed.push(join(tmp, name)),
      () => undefined,
    );
  }
  return removed;
}
