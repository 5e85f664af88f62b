/**
 * Ways out of the sandbox that do not go through the file system or the network: descriptors inherited from the
 * host, the kernel's namespace and mount interfaces and the other system calls the seccomp filter denies, and
 * what PID 1 and the environment tell about the host. Every test runs real programs in real namespaces.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readdirSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProgram, sandboxCapabilities, type RunResult, type SandboxCapabilities } from "../../tools/code/index.js";
import { launch } from "../../tools/code/launch.js";
import { LEFTOVER_PREFIX, OWNER_TAG } from "../../tools/code/leftovers.js";
import { specWithout } from "./fixtures/spec.js";
import { ROOT } from "../support/cli.js";

const FIXTURE = join(ROOT, "test/code/fixtures/fd-host.ts");

interface HostReport {
  held: Record<string, { dev: number; ino: number }>;
  runs: Record<string, RunResult>;
}

/** The descriptors the host is given, and where: a high number too, since a shell can close only 0-9 by name. */
const FDS = { root: 3, secret: 11, socket: 27 } as const;

const PY_FDS = `
import errno, json, os
listed = sorted(int(f) for f in os.listdir('/proc/self/fd') if os.path.lexists('/proc/self/fd/' + f))
open_fds = []
for fd in range(3, 1024):
    try:
        os.fstat(fd)
        open_fds.append(fd)
    except OSError:
        pass
# Each use of each host descriptor, and the error it met (None: it worked).
uses = {}
for fd in [3, 11, 27]:
    for what, act in [
        ('list', lambda fd=fd: os.listdir(fd)),
        ('list-proc', lambda fd=fd: os.listdir('/proc/self/fd/%d' % fd)),
        ('open-proc', lambda fd=fd: open('/proc/self/fd/%d/etc/hostname' % fd).read()),
        ('read', lambda fd=fd: (os.set_blocking(fd, False), os.read(fd, 100))),
        ('write', lambda fd=fd: os.write(fd, b'escaped')),
    ]:
        try:
            act()
            uses['%s %d' % (what, fd)] = None
        except OSError as e:
            uses['%s %d' % (what, fd)] = errno.errorcode.get(e.errno, str(e.errno))
print(json.dumps({'listed': listed, 'open': open_fds, 'uses': uses}))
`;

/** Node opens descriptors of its own (epoll, signals…) at any number, so JavaScript reports what each open one is. */
const JS_FDS = `
const fs = require("fs");
const open = [];
for (let fd = 3; fd < 1024; fd++) {
  try { const s = fs.fstatSync(fd); open.push({ fd, dev: s.dev, ino: s.ino }); } catch {}
}
// Whatever regular file is open, read it from the start: the root-only secret must not be among them.
const read = open.filter((o) => fs.fstatSync(o.fd).isFile()).map((o) => {
  const b = Buffer.alloc(256);
  return b.subarray(0, fs.readSync(o.fd, b, 0, 256, 0)).toString("latin1");
});
console.log(JSON.stringify({ open, read }));
`;

/**
 * Each denied system call, made in a forked child with arguments that are harmless even where it succeeds; prints
 * label → "ok", the errno's name, or "signal N". System call numbers are the kernel's for x86_64 and aarch64.
 */
const PY_SYSCALLS = `
import ctypes, json, os, platform, errno
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NUMBERS = {
    "x86_64": dict(unshare=272, setns=308, mount=165, umount2=166, pivot_root=155, chroot=161, bpf=321, keyctl=250,
                   ptrace=101, perf_event_open=298, kexec_load=246, kexec_file_load=320, init_module=175,
                   finit_module=313, delete_module=176, swapon=167, swapoff=168, reboot=169, io_uring_setup=425,
                   clone=56, clone3=435),
    "aarch64": dict(unshare=97, setns=268, mount=40, umount2=39, pivot_root=41, chroot=51, bpf=280, keyctl=219,
                    ptrace=117, perf_event_open=241, kexec_load=104, kexec_file_load=294, init_module=105,
                    finit_module=273, delete_module=106, swapon=224, swapoff=225, reboot=142, io_uring_setup=425,
                    clone=220, clone3=435),
}[platform.machine()]
L = ctypes.c_long
S = ctypes.c_char_p
NULL = ctypes.c_void_p(0)
CLONE_NEWUSER, CLONE_NEWNS, SIGCHLD = 0x10000000, 0x00020000, 17
CALLS = {
    "unshare(CLONE_NEWUSER)": ("unshare", L(CLONE_NEWUSER)),
    "unshare(CLONE_NEWNS)": ("unshare", L(CLONE_NEWNS)),
    "clone(CLONE_NEWUSER)": ("clone", L(CLONE_NEWUSER | SIGCHLD), L(0), L(0), L(0), L(0)),
    "clone3": ("clone3", NULL, L(0)),
    "setns": ("setns", L(-1), L(0)),
    "mount": ("mount", S(b"none"), S(b"/tmp"), S(b"tmpfs"), L(0), NULL),
    "umount2": ("umount2", S(b"/nonexistent"), L(0)),
    "pivot_root": ("pivot_root", S(b"/nonexistent-a"), S(b"/nonexistent-b")),
    "chroot": ("chroot", S(b"/nonexistent")),
    "bpf": ("bpf", L(0), NULL, L(0)),
    "keyctl": ("keyctl", L(0), L(-3), L(0)),
    "ptrace": ("ptrace", L(0), L(0), L(0), L(0)),
    "perf_event_open": ("perf_event_open", NULL, L(0), L(-1), L(-1), L(0)),
    "kexec_load": ("kexec_load", L(0), L(0), NULL, L(0xDEAD0000)),
    "kexec_file_load": ("kexec_file_load", L(-1), L(-1), L(0), NULL, L(0)),
    "init_module": ("init_module", NULL, L(0), S(b"")),
    "finit_module": ("finit_module", L(-1), S(b""), L(0)),
    "delete_module": ("delete_module", S(b"skillorchestra_none"), L(0)),
    "swapon": ("swapon", S(b"/nonexistent"), L(0)),
    "swapoff": ("swapoff", S(b"/nonexistent")),
    "reboot": ("reboot", L(0), L(0), L(0), NULL),
    "io_uring_setup": ("io_uring_setup", L(1), NULL),
}
out = {}
for label, (name, *args) in CALLS.items():
    pid = os.fork()
    if pid == 0:
        r = libc.syscall(L(NUMBERS[name]), *args)
        os._exit(0 if r >= 0 else ctypes.get_errno())
    status = os.waitpid(pid, 0)[1]
    if os.WIFSIGNALED(status):
        out[label] = "signal %d" % os.WTERMSIG(status)
    else:
        code = os.WEXITSTATUS(status)
        out[label] = "ok" if code == 0 else errno.errorcode.get(code, str(code))
print(json.dumps(out))
`;

let caps: SandboxCapabilities;
let dir: string;
let secretPath: string;
const secret = `root-only-${randomBytes(8).toString("hex")}`;

beforeAll(async () => {
  caps = await sandboxCapabilities();
  expect(caps.available).toContain("seccomp");
  dir = await mkdtemp(join(tmpdir(), "so-escape-"));
  secretPath = join(dir, "secret.txt");
  await writeFile(secretPath, secret);
  await chmod(secretPath, 0o600);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Start the fixture host with a directory fd on /, a root-only file's fd and a socket, all inheritable. */
async function hostWithDescriptors(programs: Record<string, { language: string; source: string }>) {
  const rootFd = openSync("/", "r");
  const secretFd = openSync(secretPath, "r");
  const stdio: ("pipe" | "ignore" | number)[] = ["ignore", "pipe", "pipe"];
  while (stdio.length <= FDS.socket) stdio.push("ignore");
  stdio[FDS.root] = rootFd;
  stdio[FDS.secret] = secretFd;
  stdio[FDS.socket] = "pipe"; // a socketpair: whatever the program writes to it arrives here
  const child = spawn(process.execPath, ["--import", "tsx", FIXTURE], {
    cwd: ROOT,
    stdio,
    env: { ...process.env, FD_HOST_FDS: JSON.stringify(FDS), FD_HOST_PROGRAMS: JSON.stringify(programs) },
  });
  closeSync(rootFd);
  closeSync(secretFd);
  let stdout = "";
  let stderr = "";
  let leaked = "";
  child.stdout!.on("data", (c) => (stdout += String(c)));
  child.stderr!.on("data", (c) => (stderr += String(c)));
  ((child.stdio as unknown[])[FDS.socket] as Readable).on("data", (c) => (leaked += String(c)));
  const code = await new Promise<number | null>((ok) => child.on("close", (c) => ok(c)));
  expect(code, stderr).toBe(0);
  const report = JSON.parse(stdout.trim().split("\n").pop()!) as HostReport;
  // The host really held all three; otherwise the test would prove nothing.
  expect(Object.keys(report.held).sort()).toEqual(["root", "secret", "socket"]);
  return { report, leaked };
}

describe("descriptors the host inherited", () => {
  // Each test starts a host process that starts sandboxes: slow on a busy machine, and not a matter of speed.
  it("reach no python program, with or without the seccomp helper, and none is usable", {
    timeout: 120_000,
  }, async () => {
    const { report, leaked } = await hostWithDescriptors({
      py: { language: "python", source: PY_FDS },
      "py-no-seccomp": { language: "python", source: PY_FDS },
    });
    for (const name of ["py", "py-no-seccomp"]) {
      const run = report.runs[name]!;
      expect(run.exitCode, `${name}: ${run.stderr}`).toBe(0);
      expect(run.stdout).not.toContain(secret);
      const seen = JSON.parse(run.stdout) as { listed: number[]; open: number[]; uses: Record<string, string> };
      expect(seen.listed, name).toEqual([0, 1, 2]);
      expect(seen.open, name).toEqual([]);
      const expected: Record<string, string> = {};
      for (const fd of Object.values(FDS)) {
        Object.assign(expected, {
          [`list ${fd}`]: "EBADF",
          [`list-proc ${fd}`]: "ENOENT",
          [`open-proc ${fd}`]: "ENOENT",
          [`read ${fd}`]: "EBADF",
          [`write ${fd}`]: "EBADF",
        });
      }
      expect(seen.uses, name).toEqual(expected);
    }
    expect(leaked).toBe("");
  });

  it("reach no javascript program: none of its open descriptors is one of the host's", {
    timeout: 120_000,
  }, async () => {
    const { report, leaked } = await hostWithDescriptors({ js: { language: "javascript", source: JS_FDS } });
    const run = report.runs.js!;
    expect(run.exitCode, run.stderr).toBe(0);
    const seen = JSON.parse(run.stdout) as {
      open: { fd: number; dev: number; ino: number }[];
      read: string[];
    };
    for (const [name, held] of Object.entries(report.held)) {
      expect(
        seen.open.filter((o) => o.dev === held.dev && o.ino === held.ino),
        name,
      ).toEqual([]);
    }
    expect(seen.read.join("")).not.toContain(secret);
    expect(run.stdout).not.toContain(secret);
    expect(leaked).toBe("");
  });
});

describe("the seccomp filter", () => {
  const denied = (results: Record<string, string>) =>
    Object.fromEntries(Object.keys(results).map((k) => [k, k === "clone3" ? "ENOSYS" : "EPERM"]));

  it("denies each listed system call to a python program with EPERM (clone3 with ENOSYS)", async () => {
    const r = await runProgram({ language: "python", source: PY_SYSCALLS });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.isolation).toContain("seccomp");
    const results = JSON.parse(r.stdout) as Record<string, string>;
    expect(Object.keys(results)).toHaveLength(22);
    expect(results).toEqual(denied(results));
  });

  it("denies them even to root inside the namespaces, where the kernel itself would answer otherwise", async () => {
    const filtered = await launch(specWithout(caps, ["unprivileged-uid"], "python", PY_SYSCALLS));
    expect(filtered.exitCode, filtered.stderr).toBe(0);
    const withFilter = JSON.parse(filtered.stdout) as Record<string, string>;
    expect(withFilter).toEqual(denied(withFilter));
    // The same program as root without the filter: the kernel lets these through or refuses them for another
    // reason, so the EPERM above is the filter's. (Module and kexec calls are left out of this comparison: a
    // kernel's own policy — lockdown, modules_disabled, kexec_load_disabled — may answer EPERM to root.)
    const open = await launch(specWithout(caps, ["unprivileged-uid", "seccomp"], "python", PY_SYSCALLS));
    expect(open.exitCode, open.stderr).toBe(0);
    const withoutFilter = JSON.parse(open.stdout) as Record<string, string>;
    for (const [label, result] of Object.entries(withoutFilter)) {
      if (/module|kexec/.test(label)) continue;
      expect(result, label).not.toBe("EPERM");
    }
    expect(withoutFilter["unshare(CLONE_NEWUSER)"]).toBe("ok");
    expect(withoutFilter.mount).toBe("ok");
  });

  it("stops the user-namespace sequence at its first step", async () => {
    const source = [
      "import subprocess",
      "r = subprocess.run(['unshare', '--user', '--map-root-user', '--mount', 'sh', '-c', 'mount -t tmpfs x /tmp && echo mounted'],",
      "                   capture_output=True, text=True)",
      "print(r.returncode, r.stdout.strip(), r.stderr.strip())",
    ].join("\n");
    const r = await runProgram({ language: "python", source });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).not.toContain("mounted");
    expect(r.stdout).toContain("Operation not permitted");
  });

  it("leaves normal python work alone: numbers, threads, processes, stdin, exceptions", async () => {
    const source = [
      "import os, sys, threading, subprocess",
      "n = int(sys.stdin.read())",
      "out = []",
      "t = threading.Thread(target=lambda: out.append(sum(i * i for i in range(n))))",
      "t.start(); t.join()",
      "r, w = os.pipe()",
      "if os.fork() == 0:",
      "    os.write(w, b'[1, 2, 3]')",
      "    os._exit(0)",
      "os.wait()",
      "squares = os.read(r, 100).decode()",
      "echo = subprocess.run(['echo', 'child'], capture_output=True, text=True).stdout.strip()",
      "print(out[0], squares, echo)",
      "raise ValueError('expected failure')",
    ].join("\n");
    const r = await runProgram({ language: "python", source, stdin: "1000" });
    expect(r.stdout.trim()).toBe("332833500 [1, 2, 3] child");
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("ValueError: expected failure");
    expect(r.limit).toBeUndefined();
  });

  it("leaves normal javascript work alone: numbers, promises, timers, stdin, exceptions", async () => {
    const source = `
      const n = Number(require("fs").readFileSync(0, "utf8"));
      let s = 0n;
      for (let i = 1n; i <= BigInt(n); i++) s += i * i;
      const later = await new Promise((ok) => setTimeout(() => ok("timer"), 10));
      const hash = require("crypto").createHash("sha256").update("x").digest("hex").slice(0, 8);
      console.log(s.toString(), later, hash);
      throw new RangeError("expected failure");`;
    const r = await runProgram({
      language: "javascript",
      source: `(async () => {${source}})().catch((e) => { console.error(e.stack); process.exit(1); });`,
      stdin: "1000",
    });
    expect(r.stdout.trim()).toBe("333833500 timer 2d711642");
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("RangeError: expected failure");
  });
});

describe("what the program learns about the host", () => {
  it("PID 1's command line and the environment show nothing of the host or the setup", async () => {
    const source = ["import os", "print(repr(open('/proc/1/cmdline').read()))", "print(sorted(os.environ))"].join("\n");
    const r = await runProgram({ language: "python", source });
    expect(r.exitCode, r.stderr).toBe(0);
    const [cmdline, names] = r.stdout.trim().split("\n");
    expect(cmdline).toMatch(/^'sandbox-init\\x00/);
    expect(cmdline).not.toContain(tmpdir());
    expect(cmdline).not.toContain("skillorchestra");
    expect(cmdline).not.toContain("mount");
    expect(names).toBe("['HOME', 'LANG', 'PATH', 'PYTHONIOENCODING', 'TMPDIR']");
  });

  it("runs no shell start-up file: neither a .bashrc among the files nor an allow-listed BASH_ENV", async () => {
    const marker = join(dir, "bash-env-ran");
    const bashEnv = join(dir, "bash-env.sh");
    await writeFile(bashEnv, `touch ${marker}\n`);
    process.env.BASH_ENV = bashEnv;
    try {
      const r = await runProgram({
        language: "python",
        source: "import os\nprint(sorted(os.listdir('.')))\n",
        files: { ".bashrc": "touch /sandbox/rc-ran\necho rc-ran >&2\n", ".profile": "touch /sandbox/profile-ran\n" },
        env: ["BASH_ENV"],
      });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe("['.bashrc', '.profile', 'main.py']");
      expect(r.stderr).toBe("");
      expect(existsSync(marker)).toBe(false);
    } finally {
      delete process.env.BASH_ENV;
    }
  });
});

describe("leftovers of a host killed mid-run", () => {
  const strays = (marker: string) => {
    try {
      return execFileSync("pgrep", ["-af", marker], { encoding: "utf8" }).trim();
    } catch {
      return ""; // pgrep exits 1 when nothing matches
    }
  };
  const ownedBy = (pid: number) => {
    const prefix = `${LEFTOVER_PREFIX}${OWNER_TAG.split("-")[0]}-${pid}-`;
    const parents = [tmpdir(), caps.cgroupRoots?.memory, caps.cgroupRoots?.pids].filter((d): d is string => !!d);
    return [...new Set(parents)].flatMap((d) =>
      readdirSync(d)
        .filter((n) => n.startsWith(prefix))
        .map((n) => join(d, n)),
    );
  };
  const startHost = (source: string) => {
    const child = spawn(process.execPath, ["--import", "tsx", FIXTURE], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, FD_HOST_PROGRAMS: JSON.stringify({ run: { language: "python", source } }) },
    });
    let stderr = "";
    child.stderr!.on("data", (c) => (stderr += String(c)));
    const exited = new Promise<number | null>((ok) => child.on("close", (c) => ok(c)));
    return { child, exited, stderr: () => stderr };
  };

  it("are swept by the next host's start-up, and a live owner's are not", { timeout: 180_000 }, async () => {
    const marker = `5${Math.floor(Math.random() * 1e8)}`;
    const first = startHost(`import subprocess\nsubprocess.run(["sleep", "${marker}"])\n`);
    // Wait (polling, no fixed delay) until the run is under way: its program sleeps inside the sandbox.
    for (let i = 0; i < 1200 && strays(marker) === ""; i++) await new Promise((r) => setTimeout(r, 50));
    expect(strays(marker), first.stderr()).not.toBe("");
    const left = ownedBy(first.child.pid!);
    // A stage directory, and a memory and a pids cgroup (one directory each, or one for both on cgroup v2).
    expect(left.filter((p) => p.startsWith(tmpdir()))).toHaveLength(1);
    expect(left.length).toBeGreaterThanOrEqual(2);
    first.child.kill("SIGKILL");
    await first.exited;
    expect(left.every((p) => existsSync(p))).toBe(true);
    expect(strays(marker)).not.toBe("");

    const alive = await mkdtemp(join(tmpdir(), `${LEFTOVER_PREFIX}${OWNER_TAG}-`));
    try {
      const second = startHost("print('fresh run')\n");
      expect(await second.exited, second.stderr()).toBe(0);
      expect(left.filter((p) => existsSync(p))).toEqual([]);
      expect(strays(marker)).toBe("");
      expect(existsSync(alive)).toBe(true);
    } finally {
      await rm(alive, { recursive: true, force: true });
    }
  });
});

describe("without the filter", () => {
  it("the probe finds no seccomp layer and the sandbox refuses, naming what to install", {
    timeout: 120_000,
  }, async () => {
    const cache = await mkdtemp(join(tmpdir(), "so-helper-cache-"));
    try {
      const child = spawn(process.execPath, ["--import", "tsx", FIXTURE], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...process.env,
          SKILLORCHESTRA_SANDBOX_CACHE: cache,
          CC: join(cache, "no-such-compiler"),
          FD_HOST_PROGRAMS: JSON.stringify({ run: { language: "python", source: "print(1)" } }),
        },
      });
      let stdout = "";
      child.stdout!.on("data", (c) => (stdout += String(c)));
      expect(await new Promise((ok) => child.on("close", ok))).toBe(0);
      const { runs } = JSON.parse(stdout) as { runs: { run: { error?: string } } };
      expect(runs.run.error).toMatch(
        /^SandboxUnavailableError: sandbox refuses to run python: missing isolation seccomp/,
      );
      expect(runs.run.error).toContain("no C compiler");
      expect(runs.run.error).toContain("libseccomp-dev");
      expect(runs.run.error).toContain('allowDegraded: ["seccomp"]');
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });
});
