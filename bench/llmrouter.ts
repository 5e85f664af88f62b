import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { importLlmRouter } from "../src/records/import-llmrouter.js";
import { writeImport } from "../src/records/import-result.js";

/** The shared LLMRouter files (read in place, never copied into the project). */
export const LLMROUTER_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../shared/data/llmrouter");

/** Import one split of the shared LLMRouter data into `dir` as records plus a replay pool (costs estimated). */
export function importLlmRouterSplit(dir: string, split: "train" | "test") {
  const result = importLlmRouter({
    scores: join(LLMROUTER_DIR, `dcrouter_preprocessed__${split}.json`),
    queries: join(LLMROUTER_DIR, `example_data__query_data__default_query_${split}.jsonl`),
    candidates: join(LLMROUTER_DIR, "example_data__llm_candidates__default_llm.json"),
    split,
  });
  const records = join(dir, `${split}.jsonl`);
  const pool = join(dir, `${split}.pool.json`);
  writeImport(result, records, pool);
  return { records, pool, result };
}
