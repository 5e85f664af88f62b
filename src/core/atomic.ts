import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { open, rename, unlink } from "node:fs/promises";

/**
 * Write a whole file atomically: a temp file beside it, fsync, rename over the target, fsync the directory.
 * A crash at any point leaves either the old file or the new one, never a torn one.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, "w", 0o644);
  try {
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  const dfd = openSync(dir, "r");
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/**
 * writeFileAtomic on libuv's threads: the copy into the kernel and both fsyncs leave this thread free (on a
 * second core) while they run. Same guarantee: the old file or the new one, never a torn one. The caller keeps
 * `data` unchanged until the promise settles, and does not write one path twice at once.
 */
export async function writeFileAtomicAsync(path: string, data: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fh = await open(tmp, "w", 0o644);
  try {
    let off = 0;
    while (off < data.length) off += (await fh.write(data, off, data.length - off)).bytesWritten;
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp);
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
  const dh = await open(dir, "r");
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
