import { createHash } from "node:crypto";
import { z } from "zod";
import { InputError, parseOrThrow } from "../core/errors.js";
import { costOf, type Price } from "../pool/schema.js";
import { assumedCompletionTokens, estimateTokens } from "./estimate.js";
import { poolAgentId, type ImportedAgent, type ImportResult } from "./import-result.js";
import { parseJsonText, readJsonFile, readTextFile } from "../core/json-file.js";
import { ExecutionRecordSchema, type ExecutionRecord } from "./schema.js";

/**
 * Importer for the LLMRouter recorded outcomes: a scores file (JSON array of `{question, scores: {model: score}}`),
 * a query file (JSONL of `{task_name, query, ground_truth, metric, choices, task_id}`) and a candidates file
 * (`{model: {input_price, output_price, model?}}`, USD per 1M tokens). No tokens or costs are recorded there:
 * see estimate.ts for how they are estimated; every record is marked costEstimated.
 */

const ScoreRowSchema = z.looseObject({
  question: z.string(),
  scores: z.record(z.string(), z.number().min(0).max(1)),
});
const ScoresSchema = z.array(ScoreRowSchema);

const QueryRowSchema = z.looseObject({
  task_name: z.string().min(1),
  query: z.string(),
  ground_truth: z.unknown(),
  metric: z.string().min(1).nullish(),
  choices: z.unknown(),
  task_id: z.unknown(),
});
type QueryRow = z.infer<typeof QueryRowSchema>;

const CandidatesSchema = z.record(
  z.string(),
  z.looseObject({
    input_price: z.number().nonnegative(),
    output_price: z.number().nonnegative(),
    model: z.string().min(1).optional(),
  }),
);

export interface LlmRouterFiles {
  scores: string;
  queries: string;
  candidates: string;
  /** Split name stored in each record's meta and in the pool name. */
  split?: string;
}

/** Stable query id: "q" + the first 16 hex digits of SHA-256 of the exact query text. */
export function textQueryId(text: string): string {
  return `q${createHash("sha256").update(text, "utf8").digest("hex").slice(0, 16)}`;
}

function referenceOf(groundTruth: unknown): string[] {
  if (groundTruth === null || groundTruth === undefined) return [];
  return [typeof groundTruth === "string" ? groundTruth : JSON.stringify(groundTruth)];
}

/** Read a JSONL query file: each line validated; a bad line throws `file:LINE: ...`. */
function readQueryRows(path: string): { row: QueryRow; line: number }[] {
  const text = readTextFile(path, "query file");
  const out: { row: QueryRow; line: number }[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") return;
    const source = `${path}:${i + 1}`;
    out.push({ row: parseOrThrow(QueryRowSchema, parseJsonText(line, source), source), line: i + 1 });
  });
  return out;
}

/** Build records and the agent list from LLMRouter files (reads the files, writes nothing). */
export function importLlmRouter(files: LlmRouterFiles): ImportResult {
  const scores = parseOrThrow(ScoresSchema, readJsonFile(files.scores, "scores file"), files.scores);
  const queryRows = readQueryRows(files.queries);
  const candidates = parseOrThrow(
    CandidatesSchema,
    readJsonFile(files.candidates, "candidates file"),
    files.candidates,
  );

  const byText = new Map<string, { row: QueryRow; line: number }[]>();
  for (const q of queryRows) {
    const list = byText.get(q.row.query);
    if (list) list.push(q);
    else byText.set(q.row.query, [q]);
  }

  // Agents in order of first appearance; each must have a price.
  const agentNames: string[] = [];
  const prices = new Map<string, Price>();
  scores.forEach((row, i) => {
    for (const name of Object.keys(row.scores)) {
      if (prices.has(name)) continue;
      const c = candidates[name];
      if (!c)
        throw new InputError(
          `${files.candidates}: $.${name}: no entry for model "${name}" scored in ${files.scores} at $[${i}].scores`,
        );
      prices.set(name, { inputPer1M: c.input_price, outputPer1M: c.output_price });
      agentNames.push(name);
    }
  });

  const records: ExecutionRecord[] = [];
  const seen = new Set<string>();
  let unjoined = 0;
  let duplicate = 0;
  let ambiguous = 0;
  for (const row of scores) {
    const matches = byText.get(row.question);
    if (!matches) {
      unjoined++;
      continue;
    }
    const queryId = textQueryId(row.question);
    if (seen.has(queryId)) {
      duplicate++;
      continue;
    }
    seen.add(queryId);
    if (matches.length > 1) ambiguous++;
    const { row: q, line } = matches[0]!;
    const metric = q.metric ?? undefined;
    const promptTokens = estimateTokens(row.question);
    const completionTokens = assumedCompletionTokens(metric);
    const meta: Record<string, unknown> = { queryLine: line };
    if (files.split !== undefined) meta.split = files.split;
    if (q.task_id !== null && q.task_id !== undefined) meta.taskId = q.task_id;
    if (q.choices !== null && q.choices !== undefined) meta.choices = q.choices;
    if (matches.length > 1) meta.joinCandidates = matches.length;
    for (const [agent, score] of Object.entries(row.scores)) {
      records.push(
        ExecutionRecordSchema.parse({
          queryId,
          query: row.question,
          task: q.task_name,
          references: referenceOf(q.ground_truth),
          ...(metric !== undefined ? { metric } : {}),
          agent,
          mode: "answer",
          response: "",
          score,
          success: score >= 0.5,
          promptTokens,
          completionTokens,
          costUsd: costOf(prices.get(agent)!, promptTokens, completionTokens),
          costEstimated: true,
          provider: "import:llmrouter",
          meta,
        }),
      );
    }
  }

  const agents: ImportedAgent[] = agentNames.map((name) => ({
    id: poolAgentId(name),
    recordedAs: name,
    model: candidates[name]!.model ?? name,
    price: prices.get(name)!,
  }));
  const notes = [
    "costs are estimated: prompt tokens = ceil(query characters / 4), completion tokens assumed per metric " +
      "(em_mc 16, f1_score 32, commongen_coverage 48, GSM8K 256, code_eval 256, MATH 384, other 128)",
  ];
  if (ambiguous > 0)
    notes.push(
      `${ambiguous} score rows matched more than one query row with the same text; each was joined to the first in file order (meta.joinCandidates)`,
    );
  return {
    format: "llmrouter",
    ...(files.split !== undefined ? { split: files.split } : {}),
    rows: scores.length,
    records,
    agents,
    repeatedIds: 0,
    skipped: [
      { reason: "score rows with no query row of the same text", count: unjoined },
      { reason: "score rows repeating an earlier question", count: duplicate },
    ],
    notes,
  };
}
