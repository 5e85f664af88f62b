/**
 * src/core: leaf helpers with no project imports, which handbook/ and tools/ may use (the layering that keeps
 * them from reaching into the rest of src/).
 */
/** Is process `pid` alive on this host? (EPERM: it exists, under another user.) Used to tell stale leftovers apart. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
