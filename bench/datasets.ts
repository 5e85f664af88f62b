/**
 * The shared real data sets as the benchmarks use them (read in place, never copied into the project), imported
 * once into a temporary cache keyed by the source files' sizes and times and by the importers' code:
 * - LLMRouter: its own train and test splits; costs ESTIMATED;
 * - RouterBench: the three train CSVs; per task a share of the queries (by a fixed SHA-256 seed) carved as test.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { recordsInPool } from "../src/eval/learned.js";
import { importRouterBench } from "../src/records/import-routerbench.js";
import { writeImport, type ImportResult } from "../src/records/import-result.js";
import { loadRecords } from "../src/records/io.js";
import type { ExecutionRecord } from "../src/records/schema.js";
import { loadPool } from "../src/pool/load.js";
import { importLlmRouterSplit, LLMROUTER_DIR } from "./llmrouter.js";

const ROUTERBENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../shared/data/routerbench");
const ROUTERBENCH_FILES = ["arc_challenge_train.csv", "winograde_train.csv", "mbpp_train.csv"];

// ---- Data, cached -----------------------------------------------------------------------------------------------

export interface Dataset {
  name: "llmrouter" | "routerbench";
  title: string;
  /** Train records file and pool file the learner reads. */
  recordsFile: string;
  poolFile: string;
  train: ExecutionRecord[];
  test: ExecutionRecord[];
  describe: string;
  costEstimated: boolean;
}

const CACHE_VERSION = "routing-bench-v1";
function cacheDir(sources: string[], extra: string): string {
  const h = createHash("sha256").update(CACHE_VERSION).update(extra);
  for (const s of sources) {
    const st = statSync(s);
    h.update(`${s}\u0000${st.size}\u0000${st.mtimeMs}\u0000`);
  }
  // The importers' own code is part of the key: a changed importer re-imports.
  for (const f of [
    "../src/records/import-routerbench.ts",
    "../src/records/import-llmrouter.ts",
    "../src/records/import-result.ts",
  ]) {
    const p = resolve(dirname(fileURLToPath(import.meta.url)), f);
    if (existsSync(p)) h.update(readFileSync(p));
  }
  const dir = join(tmpdir(), "skillorchestra-bench-cache", h.digest("hex").slice(0, 16));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The train and test records imported into a cache directory, both checked against its train pool. */
async function cachedSplits(
  dir: string,
  name: Dataset["name"],
): Promise<Pick<Dataset, "recordsFile" | "poolFile" | "train" | "test">> {
  const recordsFile = join(dir, "train.jsonl");
  const poolFile = join(dir, "train.pool.json");
  const pool = loadPool(poolFile);
  const train = recordsInPool(await loadRecords(recordsFile), pool, `${name} train`, "train pool");
  const test = recordsInPool(await loadRecords(join(dir, "test.jsonl")), pool, `${name} test`, "train pool");
  return { recordsFile, poolFile, train, test };
}

export async function llmRouter(): Promise<Dataset> {
  const sources = [
    "dcrouter_preprocessed__train.json",
    "dcrouter_preprocessed__test.json",
    "example_data__query_data__default_query_train.jsonl",
    "example_data__query_data__default_query_test.jsonl",
    "example_data__llm_candidates__default_llm.json",
  ].map((f) => join(LLMROUTER_DIR, f));
  const dir = cacheDir(sources, "llmrouter");
  const done = join(dir, "done");
  if (!existsSync(done)) {
    importLlmRouterSplit(dir, "train");
    importLlmRouterSplit(dir, "test");
    writeFileSync(done, "");
  }
  return {
    name: "llmrouter",
    title: "LLMRouter (train → its test split; every USD figure ESTIMATED)",
    ...(await cachedSplits(dir, "llmrouter")),
    describe:
      "../shared/data/llmrouter dcrouter_preprocessed__{train,test}.json + example_data__query_data__default_query_{train,test}.jsonl + example_data__llm_candidates__default_llm.json",
    costEstimated: true,
  };
}

/** Test query ids: per task, the queries ordered by SHA-256(seed, id), the first round(share·n). */
export function carveTest(records: readonly ExecutionRecord[], share: number, seed: string): Set<string> {
  const byTask = new Map<string, Set<string>>();
  for (const r of records) {
    let s = byTask.get(r.task);
    if (!s) byTask.set(r.task, (s = new Set()));
    s.add(r.queryId);
  }
  const out = new Set<string>();
  for (const ids of byTask.values()) {
    const key = (id: string) => createHash("sha256").update(`${seed}\u0000${id}`).digest("hex");
    const sorted = [...ids]
      .map((id) => [key(id), id] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [, id] of sorted.slice(0, Math.round(share * ids.size))) out.add(id);
  }
  return out;
}

export async function routerBench(testShare = 0.3): Promise<Dataset> {
  const sources = ROUTERBENCH_FILES.map((f) => join(ROUTERBENCH_DIR, f));
  const carveSeed = "routerbench-test-0";
  const dir = cacheDir(sources, `routerbench:${testShare}:${carveSeed}`);
  const done = join(dir, "done");
  if (!existsSync(done)) {
    const results: ImportResult[] = [];
    for (const csv of sources) results.push(await importRouterBench({ csv, split: "train" }));
    const all = results.flatMap((r) => r.records);
    const testIds = carveTest(all, testShare, carveSeed);
    const merged = (records: ExecutionRecord[], split: string): ImportResult => ({
      ...results[0]!,
      split,
      rows: new Set(records.map((r) => r.queryId)).size,
      records,
    });
    writeImport(
      merged(
        all.filter((r) => !testIds.has(r.queryId)),
        "learn",
      ),
      join(dir, "train.jsonl"),
      join(dir, "train.pool.json"),
    );
    writeImport(
      merged(
        all.filter((r) => testIds.has(r.queryId)),
        "test",
      ),
      join(dir, "test.jsonl"),
      join(dir, "test.pool.json"),
    );
    writeFileSync(done, "");
  }
  return {
    name: "routerbench",
    title: `RouterBench (real costs; ${Math.round(testShare * 100)}% of each task's queries carved as test, learning on the rest)`,
    ...(await cachedSplits(dir, "routerbench")),
    describe: `../shared/data/routerbench/{${ROUTERBENCH_FILES.join(",")}}; test = per task the first ${testShare} of queries by SHA-256("${carveSeed}", id)`,
    costEstimated: false,
  };
}
