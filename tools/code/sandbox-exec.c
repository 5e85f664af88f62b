/*
 * sandbox-exec: the last step before an untrusted program runs in the sandbox (tools/code).
 *
 *   sandbox-exec -- PROGRAM [ARGS...]
 *
 * 1. Closes every file descriptor above 2, so nothing the host had open reaches the program.
 * 2. Sets no_new_privs and installs a seccomp filter (libseccomp) that makes the kernel's namespace, mount,
 *    module, tracing, keyring, BPF and reboot interfaces fail with EPERM. Everything else is allowed.
 * 3. Execs PROGRAM (looked up on PATH when it has no slash).
 *
 * `sandbox-exec --list` prints the denied system calls known on this architecture, one per line.
 * Failures print one line on stderr and exit 125 (setup) or 126/127 (exec), as shells do.
 * Built by tools/code/helper.ts with `cc -O2 sandbox-exec.c -lseccomp` (Debian: libseccomp-dev).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Denied outright with EPERM (names unknown on this architecture are skipped). */
static const char *const DENIED[] = {
    /* namespaces and mounts */
    "unshare", "setns", "mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    /* kernel programs, keyrings, tracing, other processes' memory */
    "bpf", "keyctl", "add_key", "request_key", "ptrace", "process_vm_readv", "process_vm_writev",
    "perf_event_open", "userfaultfd",
    /* the kernel and the machine */
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "swapon", "swapoff",
    "reboot", "acct", "quotactl", "quotactl_fd", "syslog", "vhangup", "iopl", "ioperm", "uselib", "nfsservctl",
    "_sysctl", "lookup_dcookie", "settimeofday", "clock_settime", "clock_adjtime", "open_by_handle_at",
    "name_to_handle_at", "fanotify_init",
    /* io_uring reaches most of the above without system calls a filter can see */
    "io_uring_setup", "io_uring_enter", "io_uring_register",
};

/* clone() with any of these flags is denied; clone3 (whose flags a filter cannot read) is ENOSYS, so libc
   falls back to clone(). */
static const unsigned long NAMESPACE_FLAGS[] = {
    CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP,
#ifdef CLONE_NEWTIME
    CLONE_NEWTIME,
#endif
};

static void fail(const char *what, int err) {
  fprintf(stderr, "sandbox-exec: %s: %s\n", what, strerror(err));
  exit(125);
}

static void close_above_stderr(void) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
#endif
  /* Kernels before 5.9: close what /proc lists, else every number up to the limit. */
  DIR *dir = opendir("/proc/self/fd");
  if (dir) {
    int self = dirfd(dir);
    int fds[4096];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL && n < sizeof fds / sizeof fds[0]) {
      int fd = atoi(e->d_name);
      if (fd > 2 && fd != self) fds[n++] = fd;
    }
    closedir(dir);
    for (size_t i = 0; i < n; i++) close(fds[i]);
    if (n < sizeof fds / sizeof fds[0]) return;
  }
  long max = sysconf(_SC_OPEN_MAX);
  for (long fd = 3; fd < (max > 0 ? max : 65536); fd++) close((int)fd);
}

static int deny(scmp_filter_ctx ctx, const char *name, int err) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return 0;
  int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), nr, 0);
  /* A pseudo-syscall that libseccomp cannot express here is absent on this architecture: skip it. */
  return rc == -EDOM ? 0 : rc;
}

static scmp_filter_ctx build_filter(void) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) fail("seccomp_init", ENOMEM);
  int rc = 0;
  for (size_t i = 0; i < sizeof DENIED / sizeof DENIED[0] && rc == 0; i++) rc = deny(ctx, DENIED[i], EPERM);
  if (rc == 0) rc = deny(ctx, "clone3", ENOSYS);
  for (size_t i = 0; i < sizeof NAMESPACE_FLAGS / sizeof NAMESPACE_FLAGS[0] && rc == 0; i++) {
    unsigned long f = NAMESPACE_FLAGS[i];
    rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, f, f));
  }
  /* Pushing input into a terminal's queue, or into the console's. */
  if (rc == 0)
    rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                          SCMP_A1(SCMP_CMP_MASKED_EQ, 0xFFFFFFFFUL, (unsigned long)TIOCSTI));
  if (rc == 0)
    rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                          SCMP_A1(SCMP_CMP_MASKED_EQ, 0xFFFFFFFFUL, (unsigned long)TIOCLINUX));
  if (rc != 0) fail("seccomp rule", -rc);
  return ctx;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--list") == 0) {
    for (size_t i = 0; i < sizeof DENIED / sizeof DENIED[0]; i++)
      if (seccomp_syscall_resolve_name(DENIED[i]) != __NR_SCMP_ERROR) printf("%s\n", DENIED[i]);
    return 0;
  }
  if (argc < 3 || strcmp(argv[1], "--") != 0) {
    fprintf(stderr, "usage: sandbox-exec -- PROGRAM [ARGS...]\n");
    return 125;
  }
  close_above_stderr();
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("no_new_privs", errno);
  scmp_filter_ctx ctx = build_filter();
  int rc = seccomp_load(ctx);
  if (rc != 0) fail("seccomp_load", -rc);
  seccomp_release(ctx);
  execvp(argv[2], argv + 2);
  int err = errno;
  fprintf(stderr, "sandbox-exec: %s: %s\n", argv[2], strerror(err));
  return err == ENOENT ? 127 : 126;
}
