import { execFile } from "node:child_process";
import { access, constants as fsConstants, realpath } from "node:fs/promises";
import { dirname, isAbsolute } from "node:path";
import { promisify } from "node:util";
import { findCgroupRoots, type CgroupRoots } from "./cgroup.js";
import { sandboxExecHelper } from "./helper.js";
import { sweepLeftovers } from "./leftovers.js";
import { LAYERS, type IsolationLayer } from "./layers.js";
import { launch, TMPDIR, WORKDIR, type LaunchSpec, type SandboxTools } from "./launch.js";

const run = promisify(execFile);

/** The outcome of probing one isolation layer. */
export interface LayerProbe {
  layer: IsolationLayer;
  ok: boolean;
  detail: string;
}

/** An interpreter as found on the host and checked inside the sandbox. */
export interface InterpreterProbe {
  ok: boolean;
  executable?: string;
  version?: string;
  /** Host directories bound read-only into the sandbox so the interpreter runs there. */
  binds: string[];
  detail: string;
}

/** What isolation this machine offers, checked by running real trial programs. */
export interface SandboxCapabilities {
  layers: LayerProbe[];
  /** Layers that worked in the trials. */
  available: IsolationLayer[];
  tools: SandboxTools;
  cgroupRoots?: CgroupRoots;
  python: InterpreterProbe;
  javascript: InterpreterProbe & { permissionFlag?: string };
  probedAt: string;
}

const SEARCH_PATH = ["/usr/bin", "/usr/sbin", "/bin", "/sbin"];

async function findTool(name: string): Promise<string | undefined> {
  for (const dir of SEARCH_PATH) {
    const path = `${dir}/${name}`;
    try {
      await access(path, fsConstants.X_OK);
      return path;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Keep only directories that /usr does not already cover, and drop ones nested in another. */
export function bindRoots(dirs: string[]): string[] {
  const out = [...new Set(dirs.filter((d) => isAbsolute(d) && d !== "/" && !/^\/usr(\/|$)/.test(d)))].sort();
  return out.filter((d) => !out.some((o) => o !== d && d.startsWith(`${o}/`)));
}

async function findPython(): Promise<InterpreterProbe> {
  const code =
    "import sys, os, json; print(json.dumps({'exe': os.path.realpath(sys.executable), 'prefix': sys.prefix, " +
    "'base': sys.base_prefix, 'version': sys.version.split()[0]}))";
  try {
    const { stdout } = await run("python3", ["-c", code], { timeout: 15_000 });
    const info = JSON.parse(stdout) as { exe: string; prefix: string; base: string; version: string };
    return {
      ok: true,
      executable: info.exe,
      version: info.version,
      binds: bindRoots([info.prefix, info.base, dirname(dirname(info.exe))]),
      detail: "found on PATH",
    };
  } catch (error) {
    return { ok: false, binds: [], detail: `python3 not usable on PATH: ${(error as Error).message.split("\n")[0]}` };
  }
}

async function findNode(): Promise<InterpreterProbe & { permissionFlag?: string }> {
  const exe = await realpath(process.execPath);
  const flags = process.allowedNodeEnvironmentFlags;
  const permissionFlag = flags.has("--permission")
    ? "--permission"
    : flags.has("--experimental-permission")
      ? "--experimental-permission"
      : undefined;
  return {
    ok: true,
    executable: exe,
    version: process.versions.node,
    binds: bindRoots([dirname(dirname(exe))]),
    detail: "the running node",
    ...(permissionFlag ? { permissionFlag } : {}),
  };
}

/** Node's permission flags confining a program to its work and temp directories. */
export function nodePermissionArgs(permissionFlag: string): string[] {
  return [
    permissionFlag,
    `--allow-fs-read=${WORKDIR}/`,
    `--allow-fs-read=${TMPDIR}/`,
    `--allow-fs-write=${WORKDIR}/`,
    `--allow-fs-write=${TMPDIR}/`,
    "--disable-warning=ExperimentalWarning",
  ];
}

function trialSpec(
  layers: Set<IsolationLayer>,
  tools: SandboxTools,
  argv: string[],
  binds: string[],
  cgroupRoots: CgroupRoots | undefined,
  files: Record<string, string> = {},
): LaunchSpec {
  return {
    layers,
    tools,
    argv,
    files,
    binds,
    env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: WORKDIR, TMPDIR, LANG: "C.UTF-8" },
    timeoutMs: 15_000,
    cpuSeconds: 10,
    memoryMb: 1024,
    maxProcesses: 64,
    maxOutputBytes: 16 * 1024,
    fileSizeMb: 8,
    maxOpenFiles: 64,
    sandboxMb: 8,
    tmpMb: 8,
    ...(cgroupRoots ? { cgroupRoots } : {}),
  };
}

async function probe(): Promise<SandboxCapabilities> {
  const sh = (await findTool("sh")) ?? "/bin/sh";
  const bash = (await findTool("bash")) ?? "/bin/bash";
  const [helper, env, unshare, setpriv, prlimit, timeout] = await Promise.all([
    sandboxExecHelper(),
    findTool("env"),
    findTool("unshare"),
    findTool("setpriv"),
    findTool("prlimit"),
    findTool("timeout"),
  ]);
  const found = { env, unshare, setpriv, prlimit, timeout };
  const tools: SandboxTools = { sh, bash };
  for (const [k, v] of Object.entries(found)) if (v) tools[k as keyof typeof found] = v;
  if (helper.ok) tools.sandboxExec = helper.path;
  const results = new Map<IsolationLayer, LayerProbe>();
  const note = (layer: IsolationLayer, ok: boolean, detail: string) => results.set(layer, { layer, ok, detail });

  // 1. Each namespace on its own.
  const nsFlags: [IsolationLayer, string[]][] = [
    ["pid-namespace", ["--pid", "--fork", "--kill-child"]],
    ["net-namespace", ["--net"]],
    ["mount-namespace", ["--mount", "--propagation", "private"]],
    ["ipc-namespace", ["--ipc"]],
    ["uts-namespace", ["--uts"]],
  ];
  // Independent of each other: tried at the same time (the probe's start-up cost is paid by every first run).
  const [, cgroupRoots] = await Promise.all([
    Promise.all(
      nsFlags.map(async ([layer, flags]) => {
        if (!tools.unshare) return note(layer, false, "unshare (util-linux) not found");
        try {
          await run(tools.unshare, [...flags, "--", sh, "-c", "exit 0"], { timeout: 10_000 });
          note(layer, true, `unshare ${flags[0]}`);
        } catch (error) {
          note(layer, false, `unshare ${flags[0]} failed: ${(error as Error).message.split("\n")[0]}`);
        }
      }),
    ),
    findCgroupRoots(),
  ]);
  // Start-up is when leftovers of hosts that were killed mid-run are cleared.
  await sweepLeftovers(cgroupRoots);

  // 2. Build up the full pipeline one layer at a time, keeping each layer only if a real trial run still works.
  const [python, javascript] = await Promise.all([findPython(), findNode()]);
  const binds = bindRoots([...python.binds, ...javascript.binds]);
  const confirmed = new Set<IsolationLayer>(
    (["pid-namespace", "net-namespace", "ipc-namespace", "uts-namespace"] as const).filter((l) => results.get(l)?.ok),
  );
  const trial = async (layers: Set<IsolationLayer>, expect: (stdout: string) => boolean) => {
    try {
      const out = await launch(
        trialSpec(
          layers,
          tools,
          [sh, "-c", 'echo "uid=$(id -u) cwd=$(pwd)"; grep "^Seccomp:" /proc/self/status; ls /'],
          binds,
          cgroupRoots,
        ),
      );
      if (out.exitCode === 0 && expect(out.stdout)) return "";
      return `trial exited ${out.exitCode ?? out.signal}: ${(out.stderr || out.stdout).trim().split("\n").slice(-2).join(" | ")}`;
    } catch (error) {
      return `trial failed to start: ${(error as Error).message}`;
    }
  };
  const baseProblem = await trial(confirmed, (s) => s.includes("uid="));
  if (baseProblem) for (const l of confirmed) note(l, false, `namespaces start but the trial fails: ${baseProblem}`);
  const steps: [IsolationLayer, (stdout: string) => boolean, string | undefined][] = [
    ["mount-namespace", (s) => s.includes("cwd=/sandbox") && !/^(home|work|var|srv)$/m.test(s), undefined],
    ["unprivileged-uid", (s) => !s.includes("uid=0 "), tools.setpriv ? undefined : "setpriv (util-linux) not found"],
    ["rlimits", (s) => s.includes("uid="), tools.prlimit ? undefined : "prlimit (util-linux) not found"],
    [
      "cgroup-memory",
      (s) => s.includes("uid="),
      cgroupRoots?.memory ? undefined : "no writable memory cgroup controller",
    ],
    ["cgroup-pids", (s) => s.includes("uid="), cgroupRoots?.pids ? undefined : "no writable pids cgroup controller"],
    // Mode 2 is a filter; the helper fails the run outright when it cannot install one.
    ["seccomp", (s) => /^Seccomp:\s+2$/m.test(s), helper.ok ? undefined : helper.detail],
  ];
  for (const [layer, expect, missing] of steps) {
    if (baseProblem) {
      note(layer, false, `not tried: ${baseProblem}`);
      continue;
    }
    if (missing || (layer === "mount-namespace" && !results.get(layer)?.ok)) {
      note(layer, false, missing ?? results.get(layer)!.detail);
      continue;
    }
    const next = new Set([...confirmed, layer]);
    const problem = await trial(next, expect);
    if (problem) note(layer, false, problem);
    else {
      confirmed.add(layer);
      note(layer, true, "trial run confined");
    }
  }

  // 3. The interpreters inside the confirmed sandbox, and Node's permission model (three independent trials).
  const checkPython = async () => {
    if (!python.ok || !python.executable) return;
    const out = await launch(
      trialSpec(confirmed, tools, [python.executable, "-c", "print(6*7)"], binds, cgroupRoots),
    ).catch((e: Error) => ({ stdout: "", stderr: e.message, exitCode: null }));
    if (out.stdout.trim() !== "42") {
      python.ok = false;
      python.detail = `python3 does not run in the sandbox: ${out.stderr.trim().split("\n").pop() ?? ""}`;
    }
  };
  const checkPermission = async () => {
    if (!javascript.permissionFlag || !javascript.executable)
      return note("node-permission", false, "this node has no permission model");
    const program =
      "const fs=require('fs');fs.writeFileSync('x','1');let cp='allowed';" +
      "try{require('child_process').execFileSync('/bin/true')}catch(e){cp=e.code}console.log(fs.readFileSync('x','utf8'),cp)";
    const out = await launch(
      trialSpec(
        confirmed,
        tools,
        [javascript.executable, ...nodePermissionArgs(javascript.permissionFlag), "main.js"],
        binds,
        cgroupRoots,
        { "main.js": program },
      ),
    ).catch((e: Error) => ({ stdout: "", stderr: e.message, exitCode: null }));
    const ok = out.stdout.trim() === "1 ERR_ACCESS_DENIED";
    note("node-permission", ok, ok ? javascript.permissionFlag : `trial failed: ${(out.stderr || out.stdout).trim()}`);
  };
  const checkJavascript = async () => {
    const js = await launch(
      trialSpec(confirmed, tools, [javascript.executable!, "-e", "console.log(6*7)"], binds, cgroupRoots),
    ).catch((e: Error) => ({ stdout: "", stderr: e.message, exitCode: null }));
    if (js.stdout.trim() !== "42") {
      javascript.ok = false;
      javascript.detail = `node does not run in the sandbox: ${js.stderr.trim().split("\n").pop() ?? ""}`;
    }
  };
  await Promise.all([checkPython(), checkPermission(), checkJavascript()]);

  const layers = LAYERS.map((l) => results.get(l) ?? { layer: l, ok: false, detail: "not probed" });
  return {
    layers,
    available: layers.filter((l) => l.ok).map((l) => l.layer),
    tools,
    ...(cgroupRoots ? { cgroupRoots } : {}),
    python,
    javascript,
    probedAt: new Date().toISOString(),
  };
}

let cached: Promise<SandboxCapabilities> | undefined;

/** Which isolation layers work on this machine (probed once per process by real trial runs, then cached). */
export function sandboxCapabilities(options: { refresh?: boolean } = {}): Promise<SandboxCapabilities> {
  if (!cached || options.refresh) cached = probe();
  return cached;
}
