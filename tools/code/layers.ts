/** The isolation layers the sandbox knows how to apply. */
export const LAYERS = [
  /** PID namespace: the whole process tree dies with its init; programs cannot see host processes. */
  "pid-namespace",
  /** Network namespace with only a down loopback: no network at all, 127.0.0.1 included. */
  "net-namespace",
  /** Mount namespace and a private tmpfs root: only /usr (+ interpreter) read-only, /sandbox and /tmp writable. */
  "mount-namespace",
  /** IPC namespace: no shared memory or semaphores with the host. */
  "ipc-namespace",
  /** UTS namespace: hostname "sandbox". */
  "uts-namespace",
  /** Runs as a fresh unprivileged uid per run, no capabilities, no_new_privs. */
  "unprivileged-uid",
  /** setrlimit: CPU seconds, address space (Python), processes (per uid), file size, open files, no core. */
  "rlimits",
  /** A memory cgroup capping resident memory of the whole tree (and swap). */
  "cgroup-memory",
  /** A pids cgroup capping the number of tasks of the whole tree. */
  "cgroup-pids",
  /**
   * A seccomp filter (sandbox-exec, libseccomp): new namespaces, mount, bpf, keyctl, ptrace, perf_event_open,
   * kexec, modules, pivot_root, swapon, reboot, io_uring and the like fail with EPERM.
   */
  "seccomp",
  /** Node's permission model for JavaScript: fs limited to /sandbox and /tmp, no child processes or workers. */
  "node-permission",
] as const;

export type IsolationLayer = (typeof LAYERS)[number];

/** Layers without which a run is refused unless named in `allowDegraded`. */
export function requiredLayers(language: "python" | "javascript"): IsolationLayer[] {
  const base: IsolationLayer[] = [
    "pid-namespace",
    "net-namespace",
    "mount-namespace",
    "unprivileged-uid",
    "rlimits",
    "seccomp",
  ];
  // Python's memory is capped by RLIMIT_AS; V8 reserves far more address space than it uses, so for
  // JavaScript only a memory cgroup caps memory for real.
  return language === "javascript" ? [...base, "cgroup-memory"] : base;
}

/** Required layers that are unavailable and not accepted as degraded: a run must be refused when non-empty. */
export function blockingLayers(
  language: "python" | "javascript",
  available: readonly IsolationLayer[],
  allowDegraded: readonly IsolationLayer[] = [],
): IsolationLayer[] {
  return requiredLayers(language).filter((l) => !available.includes(l) && !allowDegraded.includes(l));
}
