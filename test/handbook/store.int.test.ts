import { spawn } from "node:child_process";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadHandbook } from "../../handbook/store.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");

/** Run the save loop until it has saved at least `after` more times, then SIGKILL it `delayMs` later. */
function saveThenKill(path: string, after: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(here, "fixtures", "save-loop.ts"), path], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let lastSaved = -1;
    let seen = 0;
    let stderr = "";
    let armed = false;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      for (const m of chunk.matchAll(/saved (\d+)/g)) {
        lastSaved = Number(m[1]);
        seen++;
      }
      if (seen >= after && !armed) {
        armed = true;
        setTimeout(() => child.kill("SIGKILL"), delayMs);
      }
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve(lastSaved);
      else reject(new Error(`save loop exited ${code}: ${stderr}`));
    });
  });
}

describe("store under SIGKILL", () => {
  it("a handbook file killed mid-save always loads, at the last or a later version", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "handbook-kill-")), "big.json");
    let before = 0;
    for (const delayMs of [0, 7, 23, 41]) {
      const lastReported = await saveThenKill(path, 2, delayMs);
      const h = loadHandbook(path);
      expect(h.metadata.handbookVersion).toBeGreaterThanOrEqual(lastReported);
      expect(h.metadata.handbookVersion).toBeGreaterThan(before);
      before = h.metadata.handbookVersion;
      expect(Object.keys(h.agents)).toHaveLength(40);
    }
    expect(statSync(path).size).toBeGreaterThan(1_000_000);
  }, 60_000);
});
