import { z } from "zod";
import { InputError, jsonPath, parseOrThrow } from "../../src/core/errors.js";
import { nodePermissionArgs, sandboxCapabilities } from "./capabilities.js";
import { blockingLayers, LAYERS, type IsolationLayer } from "./layers.js";
import { launch, TMPDIR, WORKDIR } from "./launch.js";

export type Language = "python" | "javascript";

/** Why a run was stopped, when a limit stopped it. */
export type RunLimit = "wall" | "cpu" | "memory" | "output" | "processes";

export interface RunOptions {
  language: Language;
  source: string;
  stdin?: string;
  /** Wall-clock limit for the whole run (default 10 000 ms). */
  timeoutMs?: number;
  /** CPU seconds per process (default: the wall limit rounded up). */
  cpuSeconds?: number;
  /** Memory limit (default 512 MiB). */
  memoryMb?: number;
  /** Tasks (processes and threads) the program may have at once (default 64; Node needs about 12 itself). */
  maxProcesses?: number;
  /** Bytes of stdout and of stderr kept (default 64 KiB each); a flood past 4× this (≥ 1 MiB) is killed. */
  maxOutputBytes?: number;
  /** Names of the host's environment variables to pass through; nothing else passes. */
  env?: string[];
  /** Extra files for the work directory: relative path → content. */
  files?: Record<string, string>;
  /** Required layers the caller accepts running without, when this machine lacks them. */
  allowDegraded?: IsolationLayer[];
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  limit?: RunLimit;
  truncated: boolean;
  durationMs: number;
  /** The isolation layers this run actually had. */
  isolation: IsolationLayer[];
}

/** The sandbox cannot give the isolation a run requires. */
export class SandboxUnavailableError extends Error {
  override readonly name = "SandboxUnavailableError";
}

const MAIN_FILE: Record<Language, string> = { python: "main.py", javascript: "main.js" };

const OptionsSchema = z.object({
  language: z.enum(["python", "javascript"]),
  source: z.string(),
  stdin: z.string().optional(),
  timeoutMs: z.number().int().min(1).max(600_000).optional(),
  cpuSeconds: z.number().int().min(1).max(3_600).optional(),
  memoryMb: z.number().int().min(16).max(65_536).optional(),
  maxProcesses: z.number().int().min(1).max(4_096).optional(),
  maxOutputBytes: z
    .number()
    .int()
    .min(1)
    .max(64 * 1024 * 1024)
    .optional(),
  env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "not an environment variable name")).optional(),
  files: z.record(z.string(), z.string()).optional(),
  allowDegraded: z.array(z.enum(LAYERS)).optional(),
});

/** Run an untrusted program in the sandbox. Refuses (SandboxUnavailableError) rather than run under-confined. */
export async function runProgram(options: RunOptions): Promise<RunResult> {
  const o = parseOrThrow(OptionsSchema, options, "runProgram options");
  const main = MAIN_FILE[o.language];
  for (const path of Object.keys(o.files ?? {})) {
    const at = `runProgram options: ${jsonPath(["files", path])}`;
    if (path.length === 0 || path.startsWith("/") || path.split("/").some((s) => s === ".." || s === "." || s === ""))
      throw new InputError(`${at}: must be a relative path without '.', '..' or empty segments`);
    if (path === main) throw new InputError(`${at}: reserved for the program`);
  }
  const caps = await sandboxCapabilities();
  const refused = blockingLayers(o.language, caps.available, o.allowDegraded);
  if (refused.length > 0) {
    const why = refused.map((l) => `${l} (${caps.layers.find((p) => p.layer === l)?.detail ?? "unavailable"})`);
    throw new SandboxUnavailableError(
      `sandbox refuses to run ${o.language}: missing isolation ${why.join("; ")}; ` +
        `pass allowDegraded: ${JSON.stringify(refused)} to run without it`,
    );
  }
  const interpreter = o.language === "python" ? caps.python : caps.javascript;
  if (!interpreter.ok || !interpreter.executable) {
    throw new SandboxUnavailableError(`sandbox cannot run ${o.language}: ${interpreter.detail}`);
  }

  const timeoutMs = o.timeoutMs ?? 10_000;
  const memoryMb = o.memoryMb ?? 512;
  const layers = new Set(caps.available.filter((l) => l !== "node-permission" || o.language === "javascript"));
  let argv: string[];
  if (o.language === "python") {
    // -E: ignore PYTHON* variables; -s: no user site; -B: no bytecode files.
    argv = [interpreter.executable, "-E", "-s", "-B", main];
  } else {
    const permission =
      layers.has("node-permission") && caps.javascript.permissionFlag
        ? nodePermissionArgs(caps.javascript.permissionFlag)
        : [];
    argv = [interpreter.executable, `--max-old-space-size=${memoryMb}`, ...permission, main];
  }
  const env: Record<string, string> = {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: WORKDIR,
    TMPDIR,
    LANG: "C.UTF-8",
    PYTHONIOENCODING: "utf-8",
  };
  for (const name of o.env ?? []) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }

  const out = await launch({
    layers,
    tools: caps.tools,
    argv,
    files: { ...o.files, [main]: o.source },
    binds: [...new Set([...caps.python.binds, ...caps.javascript.binds])],
    env,
    ...(o.stdin !== undefined ? { stdin: o.stdin } : {}),
    timeoutMs,
    cpuSeconds: o.cpuSeconds ?? Math.ceil(timeoutMs / 1000),
    // V8 reserves far more address space than it touches, so only Python gets RLIMIT_AS.
    ...(o.language === "python" ? { addressSpaceMb: memoryMb } : {}),
    memoryMb,
    maxProcesses: o.maxProcesses ?? 64,
    maxOutputBytes: o.maxOutputBytes ?? 64 * 1024,
    fileSizeMb: 32,
    maxOpenFiles: 256,
    sandboxMb: 64,
    tmpMb: 32,
    ...(caps.cgroupRoots ? { cgroupRoots: caps.cgroupRoots } : {}),
  });
  if (out.setupFailed) {
    throw new SandboxUnavailableError(
      `sandbox failed to start: ${out.stderr.trim().split("\n").slice(-3).join(" | ")}`,
    );
  }

  const abnormal = out.signal !== null || (out.exitCode ?? 0) !== 0;
  const tail = out.stderr.slice(-4_096);
  let limit: RunLimit | undefined;
  // A fork bomb runs into the processes limit and then spins until the wall limit: the processes limit is the cause.
  if (out.timedOut) limit = out.processesHit ? "processes" : "wall";
  else if (out.outputKilled) limit = "output";
  else if (out.signal === "SIGXCPU") limit = "cpu";
  else if (
    out.memoryHit ||
    (abnormal &&
      (out.memoryPressure || /\bMemoryError\b|JavaScript heap out of memory|Cannot allocate memory/.test(tail)))
  )
    limit = "memory";
  else if (out.processesHit) limit = "processes";
  else if (out.signal === "SIGKILL" && out.durationMs >= (o.cpuSeconds ?? Infinity) * 1000) limit = "cpu";

  return {
    stdout: out.stdout,
    stderr: out.stderr,
    exitCode: out.exitCode,
    signal: out.signal,
    timedOut: out.timedOut,
    ...(limit ? { limit } : {}),
    truncated: out.truncated,
    durationMs: Math.round(out.durationMs),
    isolation: [...layers],
  };
}
