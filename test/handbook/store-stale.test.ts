import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createHandbook } from "../../handbook/build.js";
import { loadHandbook, removeStaleTemps, saveHandbook, STALE_TEMP_MS } from "../../handbook/store.js";

const dir = mkdtempSync(join(tmpdir(), "handbook-stale-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A writer that opens its temp file beside `target` the way writeFileAtomic names it (`.NAME.PID.MS.tmp`), writes
 * part of it, and waits, as a save does between writing and renaming. Resolves once the file is on disk.
 */
function startWriter(target: string): Promise<{ child: ChildProcess; temp: string }> {
  const script = `
    const { openSync, writeSync } = require("node:fs");
    const { basename, dirname, join } = require("node:path");
    const target = process.argv[1];
    const temp = join(dirname(target), "." + basename(target) + "." + process.pid + "." + Date.now() + ".tmp");
    writeSync(openSync(temp, "w"), '{"half": "a handbook');
    process.stdout.write(temp + "\\n");
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["-e", script, target], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (c: string) => {
      out += c;
      if (out.endsWith("\n")) resolve({ child, temp: out.trim() });
    });
    child.on("exit", (code) => reject(new Error(`writer exited ${code}`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners("exit");
    child.on("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

const temps = (name: string) => readdirSync(dir).filter((f) => f.startsWith(`.${name}.`) && f.endsWith(".tmp"));

describe("stale temp files of a handbook", () => {
  it("the next load removes the temp file of a save killed with SIGKILL, and keeps the handbook", async () => {
    const path = join(dir, "H.json");
    saveHandbook(path, createHandbook({}));
    const { child, temp } = await startWriter(path);
    await killed(child);
    expect(temps("H.json")).toHaveLength(1);
    expect(loadHandbook(path).metadata.handbookVersion).toBe(1);
    expect(existsSync(temp)).toBe(false);
    expect(temps("H.json")).toEqual([]);
  });

  it("a save leaves a live writer's temp file alone, and removes it once the writer is dead", async () => {
    const path = join(dir, "live.json");
    const { child, temp } = await startWriter(path);
    try {
      saveHandbook(path, createHandbook({}));
      expect(existsSync(temp)).toBe(true);
      expect(loadHandbook(path).metadata.handbookVersion).toBe(1);
      expect(existsSync(temp)).toBe(true);
    } finally {
      await killed(child);
    }
    saveHandbook(path, loadHandbook(path));
    expect(existsSync(temp)).toBe(false);
    expect(loadHandbook(path).metadata.handbookVersion).toBe(2);
  });

  it("a temp file older than STALE_TEMP_MS is stale even when its pid is alive (a reused pid)", async () => {
    const path = join(dir, "old.json");
    const started = Date.now();
    const mine = join(dir, `.old.json.${process.pid}.${started}.tmp`);
    writeFileSync(mine, "{");
    expect(removeStaleTemps(path, started + STALE_TEMP_MS)).toEqual([]);
    expect(removeStaleTemps(path, started + STALE_TEMP_MS + 1)).toEqual([mine]);
    expect(existsSync(mine)).toBe(false);
  });

  it("touches only the target's own temp files", async () => {
    const path = join(dir, "mine.json");
    const { child, temp } = await startWriter(join(dir, "other.json"));
    await killed(child);
    const lookalikes = [".mine.json.tmp", ".mine.json.x.1.tmp", "mine.json.1.2.tmp", ".mine.json.1.2.tmp.keep"];
    for (const f of lookalikes) writeFileSync(join(dir, f), "");
    saveHandbook(path, createHandbook({}));
    loadHandbook(path);
    expect(existsSync(temp)).toBe(true);
    for (const f of lookalikes) expect(existsSync(join(dir, f))).toBe(true);
  });
});
