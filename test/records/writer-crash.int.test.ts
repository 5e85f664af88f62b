import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadRecords, RecordWriter } from "../../src/records/io.js";

const here = dirname(fileURLToPath(import.meta.url));
const child = join(here, "fixtures", "append-loop.ts");
const dir = mkdtempSync(join(tmpdir(), "so-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run the appending child until `until(lines)` holds, SIGKILL it, and return its stdout lines. */
function runAndKill(path: string, until: (lines: string[]) => boolean, mode = ""): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", child, path, ...(mode ? [mode] : [])], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let killed = false;
    proc.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (!killed && until(out.split("\n").filter(Boolean))) {
        killed = true;
        proc.kill("SIGKILL");
      }
    });
    proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
    proc.on("error", reject);
    proc.on("exit", (code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`child exited ${code}: ${err}`));
      else resolve(out.split("\n").filter(Boolean));
    });
  });
}

const acks = (lines: string[]): number[] => lines.filter((l) => l.startsWith("ack ")).map((l) => Number(l.slice(4)));

/** Every line of the file is complete, and the records are exactly q0..q(n-1) in order. */
function checkContiguous(path: string, n: number): void {
  const text = readFileSync(path, "utf8");
  expect(text.endsWith("\n")).toBe(true);
  const ids = text
    .trimEnd()
    .split("\n")
    .map((l) => (JSON.parse(l) as { queryId: string }).queryId);
  expect(ids).toEqual(Array.from({ length: n }, (_, i) => `q${i}`));
}

describe("RecordWriter after SIGKILL", () => {
  it("keeps every acknowledged record, no torn or duplicated line, and resumes", async () => {
    const path = join(dir, "loop.jsonl");
    const first = await runAndKill(path, (l) => acks(l).length >= 150);
    expect(first[0]).toBe("start 0");
    const acked1 = Math.max(...acks(first));

    const w = await RecordWriter.open(path);
    const size1 = w.size;
    await w.close();
    // Every acknowledged record survived; at most the in-flight one beyond it.
    expect(size1).toBeGreaterThanOrEqual(acked1 + 1);
    checkContiguous(path, size1);

    const second = await runAndKill(path, (l) => acks(l).length >= 100);
    expect(second[0]).toBe(`start ${size1}`);
    expect(acks(second)[0]).toBe(size1);
    const acked2 = Math.max(...acks(second));
    const all = await loadRecords(path);
    expect(all.length).toBeGreaterThanOrEqual(acked2 + 1);
    checkContiguous(path, all.length);
  });

  it("cuts a torn final line left by a crash mid-write, then resumes after the last complete record", async () => {
    const path = join(dir, "torn.jsonl");
    const lines = await runAndKill(path, (l) => l.includes("torn"), "torn");
    expect(acks(lines)).toEqual([0]);
    expect(readFileSync(path, "utf8").endsWith("half a li")).toBe(true);
    await expect(loadRecords(path)).rejects.toThrow(/torn\.jsonl:2: invalid JSON.*torn final line/);

    const w = await RecordWriter.open(path);
    expect(w.size).toBe(1);
    expect(w.has("q0\u0000a\u0000answer\u0000")).toBe(true);
    await w.close();
    checkContiguous(path, 1);

    const again = await runAndKill(path, (l) => acks(l).length >= 20);
    expect(again[0]).toBe("start 1");
    const all = await loadRecords(path);
    checkContiguous(path, all.length);
    expect(all.length).toBeGreaterThanOrEqual(Math.max(...acks(again)) + 1);
  });
});
