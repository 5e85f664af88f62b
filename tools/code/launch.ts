import { spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { constants } from "node:os";
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { cgroupHits, createRunCgroups, removeRunCgroups, type CgroupRoots, type RunCgroups } from "./cgroup.js";
import type { IsolationLayer } from "./layers.js";
import { LEFTOVER_PREFIX, OWNER_TAG } from "./leftovers.js";
import { CappedOutput } from "./output.js";
import { SETUP_SCRIPT } from "./setup-script.js";

/** Absolute paths of the system tools the sandbox drives. */
export interface SandboxTools {
  sh: string;
  /** Runs the setup script (it closes descriptors above 9, which dash cannot). */
  bash: string;
  /** coreutils env: the program's environment is exactly the allow-list, whatever the shells export. */
  env?: string;
  /** The built sandbox-exec helper (host path): closes descriptors, installs the seccomp filter, execs. */
  sandboxExec?: string;
  unshare?: string;
  setpriv?: string;
  prlimit?: string;
  timeout?: string;
}

/** Where the setup script puts sandbox-exec in the private root. */
const HELPER_INSIDE = "/run/sandbox-exec";

/** Placeholders in argv and env values, replaced by the work directory and temp directory the program sees. */
export const WORKDIR = "@WORKDIR@";
export const TMPDIR = "@TMPDIR@";

/** Everything one launch needs; the layers are already decided. */
export interface LaunchSpec {
  layers: ReadonlySet<IsolationLayer>;
  tools: SandboxTools;
  /** The program command as seen inside the sandbox (cwd is the work directory). */
  argv: string[];
  /** Files (relative path → content) placed in the work directory. */
  files: Record<string, string>;
  /** Host directories bound read-only at the same path (besides /usr and the merged-/usr links). */
  binds: string[];
  env: Record<string, string>;
  stdin?: string;
  timeoutMs: number;
  cpuSeconds: number;
  /** RLIMIT_AS in MiB, when the address space is to be capped. */
  addressSpaceMb?: number;
  /** Memory cgroup limit in MiB. */
  memoryMb: number;
  /** Cap on tasks (processes and threads) of the program's tree. */
  maxProcesses: number;
  maxOutputBytes: number;
  fileSizeMb: number;
  maxOpenFiles: number;
  sandboxMb: number;
  tmpMb: number;
  cgroupRoots?: CgroupRoots;
}

export interface LaunchOutcome {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  /** The sandbox itself failed before the program ran (no status was reported). */
  setupFailed: boolean;
  timedOut: boolean;
  outputKilled: boolean;
  truncated: boolean;
  memoryHit: boolean;
  memoryPressure: boolean;
  processesHit: boolean;
  durationMs: number;
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** Uids handed to programs: one fresh uid per run so RLIMIT_NPROC counts only that run's tasks. */
function freshUid(): number {
  return randomInt(3_000_000, 2_000_000_000);
}

/** Kill the sandbox's process group (and with it the PID namespace's init, hence everything inside). */
function killTree(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    /* already gone */
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    /* already gone */
  }
}

/** Top-level system directories besides /usr: symlinks into /usr on merged-/usr systems, else real directories. */
interface SystemDirs {
  links: string[];
  binds: string[];
}

let systemDirsCache: Promise<SystemDirs> | undefined;
function findSystemDirs(): Promise<SystemDirs> {
  systemDirsCache ??= (async () => {
    const out: SystemDirs = { links: [], binds: [] };
    for (const name of ["bin", "sbin", "lib", "lib32", "lib64", "libx32"]) {
      try {
        const info = await lstat(`/${name}`);
        if (info.isSymbolicLink()) out.links.push(`/${name}`);
        else if (info.isDirectory()) out.binds.push(`/${name}`);
      } catch {
        /* absent */
      }
    }
    return out;
  })();
  return systemDirsCache;
}

function buildCommand(
  spec: LaunchSpec,
  stage: string,
  uid: number,
  cgroups: RunCgroups | undefined,
  systemDirs: SystemDirs,
): string[] {
  const L = spec.layers;
  const { tools } = spec;
  const inner: string[] = [];
  const mounted = L.has("mount-namespace");
  if (tools.env) inner.push(tools.env, "-i", "--", ...Object.entries(spec.env).map(([k, v]) => `${k}=${v}`));
  // A safety net inside the sandbox: if the host dies, the program still cannot outlive its wall limit by much.
  if (tools.timeout) inner.push(tools.timeout, "-s", "KILL", `${Math.ceil(spec.timeoutMs / 1000) + 2}s`);
  if (L.has("unprivileged-uid") && tools.setpriv) {
    inner.push(
      tools.setpriv,
      `--reuid=${uid}`,
      `--regid=${uid}`,
      "--clear-groups",
      "--no-new-privs",
      "--inh-caps=-all",
      "--bounding-set=-all",
      "--",
    );
  }
  if (L.has("rlimits") && tools.prlimit) {
    const mib = 1024 * 1024;
    inner.push(
      tools.prlimit,
      `--cpu=${spec.cpuSeconds}:${spec.cpuSeconds + 1}`,
      `--nproc=${spec.maxProcesses}`,
      `--fsize=${spec.fileSizeMb * mib}`,
      `--nofile=${spec.maxOpenFiles}`,
      "--core=0",
    );
    if (spec.addressSpaceMb !== undefined) inner.push(`--as=${spec.addressSpaceMb * mib}`);
    inner.push("--");
  }
  const filtered = L.has("seccomp") && tools.sandboxExec !== undefined;
  if (filtered) inner.push(mounted ? HELPER_INSIDE : tools.sandboxExec!, "--");
  inner.push(...spec.argv);
  // --norc: bash reads ~/.bashrc even non-interactively when its stdin is a socket, as Node's pipes are.
  const script = [
    "--norc",
    "-c",
    SETUP_SCRIPT,
    "sandbox-init",
    stage,
    String(uid),
    mounted ? "1" : "0",
    (cgroups?.dirs ?? []).join(":"),
    ["/usr", ...systemDirs.binds, ...spec.binds].join(":"),
    systemDirs.links.join(":"),
    `${spec.sandboxMb}m`,
    `${spec.tmpMb}m`,
    filtered && mounted ? tools.sandboxExec! : "",
    "--",
    ...inner,
  ];
  const flags: string[] = [];
  if (L.has("pid-namespace")) flags.push("--pid", "--fork", "--kill-child");
  if (L.has("mount-namespace")) flags.push("--mount", "--propagation", "private");
  if (L.has("net-namespace")) flags.push("--net");
  if (L.has("ipc-namespace")) flags.push("--ipc");
  if (L.has("uts-namespace")) flags.push("--uts");
  if (flags.length > 0 && tools.unshare) return [tools.unshare, ...flags, "--", tools.bash, ...script];
  return [tools.bash, ...script];
}

/** Hand the staged files to the run's uid (the program may then change or delete them). */
async function chownTree(dir: string, uid: number): Promise<void> {
  await chown(dir, uid, uid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(path, uid);
    else await chown(path, uid, uid);
  }
}

/** Run one program in a fresh stage directory under the given layers, and always clean up after it. */
export async function launch(spec: LaunchSpec): Promise<LaunchOutcome> {
  const stage = await mkdtemp(join(tmpdir(), `${LEFTOVER_PREFIX}${OWNER_TAG}-`));
  let cgroups: RunCgroups | undefined;
  try {
    await mkdir(join(stage, "in"));
    await mkdir(join(stage, "root"));
    for (const [path, content] of Object.entries(spec.files)) {
      const target = join(stage, "in", path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    }
    const wantMemory = spec.layers.has("cgroup-memory");
    const wantPids = spec.layers.has("cgroup-pids");
    if ((wantMemory || wantPids) && spec.cgroupRoots) {
      cgroups = await createRunCgroups(spec.cgroupRoots, {
        memoryBytes: wantMemory ? spec.memoryMb * 1024 * 1024 : undefined,
        // +1: the namespace's init shell lives in the cgroup too.
        maxTasks: wantPids ? spec.maxProcesses + 1 : undefined,
      });
    }
    const uid = freshUid();
    const mounted = spec.layers.has("mount-namespace");
    const workdir = mounted ? "/sandbox" : join(stage, "in");
    const tmp = mounted ? "/tmp" : workdir;
    // Unmounted (degraded) runs use the stage in place, so the run's uid must be able to enter it.
    if (!mounted) await chmod(stage, 0o711);
    const place = (s: string) => s.replaceAll(WORKDIR, workdir).replaceAll(TMPDIR, tmp);
    const placed: LaunchSpec = {
      ...spec,
      argv: spec.argv.map(place),
      env: Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, place(v)])),
    };
    await chownTree(join(stage, "in"), uid);
    const [command, ...args] = buildCommand(placed, stage, uid, cgroups, await findSystemDirs());
    const outcome = await execute(placed, command!, args);
    const hits = cgroups ? await cgroupHits(cgroups) : { memory: false, memoryPressure: false, processes: false };
    return {
      ...outcome,
      memoryHit: hits.memory,
      memoryPressure: hits.memoryPressure,
      processesHit: hits.processes,
    };
  } finally {
    if (cgroups) await removeRunCgroups(cgroups);
    await rm(stage, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * The setup script's own environment. With env(1) the program's environment is handed over in argv, so the
 * script gets none (no BASH_ENV or SHELLOPTS for a root shell to act on); without it, the allow-list minus those.
 */
function scriptEnv(spec: LaunchSpec): Record<string, string> {
  if (spec.tools.env) return {};
  const out = { ...spec.env };
  for (const name of ["BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS"]) delete out[name];
  return out;
}

type Executed = Omit<LaunchOutcome, "memoryHit" | "memoryPressure" | "processesHit">;

function execute(spec: LaunchSpec, command: string, args: string[]): Promise<Executed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      env: scriptEnv(spec),
      detached: true,
      stdio: ["pipe", "pipe", "pipe", "pipe"],
      cwd: "/",
    });
    const stdout = new CappedOutput(spec.maxOutputBytes);
    const stderr = new CappedOutput(spec.maxOutputBytes);
    // Past this many bytes in all, the run is killed and nothing more is read.
    const hardCap = Math.max(4 * spec.maxOutputBytes, 1024 * 1024);
    let status = "";
    let timedOut = false;
    let outputKilled = false;
    let settled = false;

    const stop = () => killTree(child.pid);
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, spec.timeoutMs);

    const onData = (sink: CappedOutput) => (chunk: Buffer) => {
      if (outputKilled) return;
      sink.push(chunk);
      if (stdout.total + stderr.total > hardCap) {
        outputKilled = true;
        stop();
        child.stdout?.destroy();
        child.stderr?.destroy();
      }
    };
    child.stdout!.on("data", onData(stdout));
    child.stderr!.on("data", onData(stderr));
    const statusPipe = child.stdio[3] as NodeJS.ReadableStream | null;
    statusPipe?.on("data", (chunk: Buffer) => {
      if (status.length < 200) status += chunk.toString("utf8");
    });
    statusPipe?.on("error", () => undefined);
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(spec.stdin ?? "");

    let exitGuard: NodeJS.Timeout | undefined;
    child.on("exit", () => {
      // The init is gone, so is everything in its namespace; make sure nothing in the group lingers.
      stop();
      exitGuard = setTimeout(() => finish(), 2_000);
    });
    child.on("error", (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", () => finish());

    function finish(): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (exitGuard) clearTimeout(exitGuard);
      const m = /status (\d+)/.exec(status);
      let exitCode: number | null = null;
      let signal: string | null = null;
      if (m) {
        const code = Number(m[1]);
        const sig = code > 128 ? SIGNAL_NAMES.get(code - 128) : undefined;
        if (sig) signal = sig;
        else exitCode = code;
      } else {
        signal = child.signalCode ?? null;
        if (signal === null && !timedOut && !outputKilled) exitCode = child.exitCode;
      }
      resolve({
        stdout: stdout.text(outputKilled && stdout.truncated ? "output limit reached, program killed" : undefined),
        stderr: stderr.text(outputKilled && stderr.truncated ? "output limit reached, program killed" : undefined),
        exitCode,
        signal,
        setupFailed: !m && !timedOut && !outputKilled,
        timedOut,
        outputKilled,
        truncated: stdout.truncated || stderr.truncated,
        durationMs: performance.now() - started,
      });
    }
  });
}
