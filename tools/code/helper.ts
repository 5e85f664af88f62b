import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { access, constants as fsConstants, mkdir, readFile, rename, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

/** The C source of the sandbox's last step before the program: close descriptors, seccomp filter, exec. */
export const HELPER_SOURCE = join(here, "sandbox-exec.c");

/**
 * Where built helpers are kept, one file per source version: SKILLORCHESTRA_SANDBOX_CACHE when set (e.g. for a
 * read-only install), else the project's node_modules/.cache/skillorchestra.
 */
export function helperCacheDir(): string {
  const fallback = join(resolve(here, "../.."), "node_modules", ".cache", "skillorchestra");
  return process.env.SKILLORCHESTRA_SANDBOX_CACHE || fallback;
}

export type HelperBuild = { ok: true; path: string } | { ok: false; detail: string };

async function build(): Promise<HelperBuild> {
  let source: Buffer;
  try {
    source = await readFile(HELPER_SOURCE);
  } catch (error) {
    return { ok: false, detail: `cannot read ${HELPER_SOURCE}: ${(error as Error).message}` };
  }
  const args = ["-O2", "-Wall", HELPER_SOURCE, "-lseccomp"];
  const hash = createHash("sha256").update(source).update(args.join(" ")).digest("hex").slice(0, 16);
  const dir = helperCacheDir();
  const path = join(dir, `sandbox-exec-${hash}`);
  try {
    await access(path, fsConstants.X_OK);
    return { ok: true, path };
  } catch {
    /* not built yet */
  }
  const temp = `${path}.${process.pid}.tmp`;
  // CC, as make has it.
  const compiler = process.env.CC || "cc";
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await run(compiler, ["-o", temp, ...args], { timeout: 60_000 });
    await rename(temp, path);
    return { ok: true, path };
  } catch (error) {
    await rm(temp, { force: true });
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT")
      return { ok: false, detail: `no C compiler (${compiler}) to build sandbox-exec: install gcc and libseccomp-dev` };
    const stderr = e.stderr ?? "";
    if (/seccomp\.h/.test(stderr) || /-lseccomp/.test(stderr))
      return { ok: false, detail: "libseccomp's headers are missing: install libseccomp-dev" };
    const line = stderr.split("\n").find((l) => /error/i.test(l)) ?? e.message.split("\n")[0];
    return { ok: false, detail: `building sandbox-exec failed: ${line?.trim()}` };
  }
}

let cached: Promise<HelperBuild> | undefined;

/** The built sandbox-exec helper (compiled once per source version, then reused), or why it is unavailable. */
export function sandboxExecHelper(): Promise<HelperBuild> {
  cached ??= build();
  return cached;
}
