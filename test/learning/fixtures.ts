import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatRecordLine } from "../../src/records/io.js";
import type { ExecutionRecord } from "../../src/records/schema.js";
import { PRICES } from "./helpers.js";

/** Write records and a replay pool for them into a fresh temporary directory. */
export function writeFixture(
  records: ExecutionRecord[],
  prefix = "learn-",
): { dir: string; records: string; pool: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const recordsPath = join(dir, "records.jsonl");
  writeFileSync(recordsPath, records.map(formatRecordLine).join(""));
  const agents = [...new Set(records.map((r) => r.agent))].sort();
  const pool = {
    version: 1,
    agents: agents.map((id) => ({
      id,
      modes: ["answer"],
      provider: "replay",
      model: id,
      price: { inputPer1M: (PRICES[id] ?? 0.001) * 1e3, outputPer1M: (PRICES[id] ?? 0.001) * 1e3 },
      replay: { records: "records.jsonl" },
    })),
  };
  const poolPath = join(dir, "pool.json");
  writeFileSync(poolPath, JSON.stringify(pool, null, 2));
  return { dir, records: recordsPath, pool: poolPath };
}
