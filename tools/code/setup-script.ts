/**
 * The shell script that becomes PID 1 of a sandbox's PID namespace. It runs as root inside fresh namespaces,
 * joins the run's cgroups, builds a private root (tmpfs with read-only binds of /usr and the interpreter),
 * pivots into it, then runs the program as an unprivileged uid and reports its wait status on fd 3.
 * When this script exits, the kernel kills every process left in the PID namespace.
 *
 * It is a bash script (bash closes descriptors of any number; dash only 0-9).
 *
 * Positional arguments: STAGE UID MOUNT(0|1) CGROUP_DIRS BINDS LINKS SANDBOX_SIZE TMP_SIZE HELPER -- command...
 *   CGROUP_DIRS: colon-separated cgroup directories to join (may be empty);
 *   BINDS: colon-separated host directories bound read-only at the same path;
 *   LINKS: colon-separated top-level symlinks copied as they are (merged-/usr systems: /bin, /lib...);
 *   SANDBOX_SIZE, TMP_SIZE: tmpfs sizes of /sandbox and /tmp (e.g. 64m);
 *   HELPER: the host path of sandbox-exec, copied to /run/sandbox-exec in the private root (may be empty).
 * With a private root, the command is handed over in a root-only file and PID 1 re-executes itself as a short
 * "sandbox-init" that reads it, so /proc/1/cmdline shows neither this script nor the stage's host path.
 * Every command here is a fork and exec, which is most of the start-up cost, so they are kept few.
 */
/** A literal `${` in the script below (String.raw would read it as a placeholder). */
const OPEN = "${";

export const SETUP_SCRIPT = String.raw`
set -eu
# Nothing the host had open goes past this shell: close every descriptor but 0-2 and the status pipe (3).
for fd in /proc/self/fd/*; do fd=${OPEN}fd##*/}; case $fd in 0|1|2|3) ;; *) exec {fd}>&- ;; esac; done
STAGE=$1; RUN_UID=$2; MOUNT=$3; CGROUPS=$4; BINDS=$5; LINKS=$6; SANDBOX_SIZE=$7; TMP_SIZE=$8; HELPER=$9
shift 10
PROGRAM_PATH=$PATH
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
if [ -n "$CGROUPS" ]; then
  IFS=:; for cg in $CGROUPS; do echo $$ > "$cg/cgroup.procs"; done; unset IFS
fi
[ -w /proc/sys/kernel/hostname ] && echo sandbox > /proc/sys/kernel/hostname 2>/dev/null || true
if [ "$MOUNT" = 1 ]; then
  R=$STAGE/root
  # The root stays "dev" so the device nodes copied below work; it is read-only before the program runs.
  mount -t tmpfs -o size=4m,mode=755,nosuid sandbox-root "$R"
  mkdir "$R/etc" "$R/proc" "$R/dev" "$R/tmp" "$R/sandbox" "$R/run" "$R/.oldroot"
  [ -n "$HELPER" ] && cp "$HELPER" "$R/run/sandbox-exec"
  printf '%s\0' "$@" > "$R/run/command"
  chmod 600 "$R/run/command"
  IFS=:
  [ -n "$LINKS" ] && cp -P $LINKS "$R/"
  for b in $BINDS; do unset IFS; mkdir -p "$R$b"; mount --bind -o ro,nosuid,nodev "$b" "$R$b"; IFS=:; done
  unset IFS
  echo sandbox > "$R/etc/hostname"
  echo "sandbox:x:$RUN_UID:$RUN_UID:sandbox:/sandbox:/bin/sh" > "$R/etc/passwd"
  echo "sandbox:x:$RUN_UID:" > "$R/etc/group"
  echo "127.0.0.1 localhost" > "$R/etc/hosts"
  [ -f /etc/ld.so.cache ] && cp /etc/ld.so.cache "$R/etc/ld.so.cache"
  cp -a /dev/null /dev/zero /dev/full /dev/random /dev/urandom "$R/dev/"
  ln -s /proc/self/fd "$R/dev/fd"
  mount -t tmpfs -o "size=$SANDBOX_SIZE,mode=700,nosuid,nodev" sandbox-work "$R/sandbox"
  mount -t tmpfs -o "size=$TMP_SIZE,mode=1777,nosuid,nodev" sandbox-tmp "$R/tmp"
  # The stage's files already belong to the run's uid; -a keeps that.
  cp -a "$STAGE/in/." "$R/sandbox/"
  mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
  mount -o remount,ro,nosuid "$R"
  cd "$R"
  pivot_root . .oldroot
  umount -l /.oldroot
  cd /sandbox
  export PATH="$PROGRAM_PATH"
  exec -a sandbox-init "$BASH" --norc -c 'mapfile -d "" -t CMD < /run/command; "${OPEN}CMD[@]}" 3>&-; echo "status $?" >&3'
fi
cd "$STAGE/in"
set +e
export PATH="$PROGRAM_PATH"
"$@" 3>&-
echo "status $?" >&3
`;
