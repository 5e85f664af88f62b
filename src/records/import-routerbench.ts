import { createReadStream } from "node:fs";
import { CsvError, parse } from "csv-parse";
import { InputError } from "../core/errors.js";
import type { Price } from "../pool/schema.js";
import { estimateTokens } from "./estimate.js";
import { poolAgentId, type ImportedAgent, type ImportResult } from "./import-result.js";
import { unwrapListLiteral } from "./python-literal.js";
import { ExecutionRecordSchema, type ExecutionRecord } from "./schema.js";

/**
 * Importer for RouterBench-style wide CSV: columns `sample_id`, `prompt`, `eval_name`, then per model a score
 * column named by the model, `<model>|model_response` and `<model>|total_cost`. Other columns are ignored.
 * An empty score or cost cell means the model has no record for that row: the cell is skipped and counted,
 * never read as 0. Costs are real (costEstimated false); tokens are not recorded and are stored as 0.
 *
 * `sample_id` is not unique in the real files (rows with different prompts share an id). Every row is kept: the
 * first row of an id keeps it, later ones become `id#2`, `id#3`, … in file order (skipping any suffix already
 * taken), with the original id in `meta.sampleId`; ImportResult.repeatedIds counts them.
 *
 * Prompts and responses are stored as the Python repr of a list of strings (`['…']`); they are unwrapped into
 * their text (elements joined by a newline). A cell that is not such a literal is kept as it is.
 */

export interface RouterBenchFile {
  csv: string;
  split?: string;
}

const REQUIRED = ["sample_id", "prompt", "eval_name"] as const;
const RESPONSE = "|model_response";
const COST = "|total_cost";

interface ModelColumns {
  name: string;
  score: number;
  response: number;
  cost: number;
}

function columnsOf(
  path: string,
  header: string[],
): { base: Record<(typeof REQUIRED)[number], number>; models: ModelColumns[] } {
  const index = new Map<string, number>();
  header.forEach((h, i) => {
    if (index.has(h)) throw new InputError(`${path}:1: column "${h}": appears twice in the header`);
    index.set(h, i);
  });
  const base = {} as Record<(typeof REQUIRED)[number], number>;
  for (const c of REQUIRED) {
    const i = index.get(c);
    if (i === undefined) throw new InputError(`${path}:1: column "${c}": missing from the header`);
    base[c] = i;
  }
  const names: string[] = [];
  for (const h of header) {
    for (const suffix of [RESPONSE, COST]) {
      if (h.endsWith(suffix)) {
        const name = h.slice(0, -suffix.length);
        if (name !== "" && !names.includes(name)) names.push(name);
      }
    }
  }
  if (names.length === 0) throw new InputError(`${path}:1: column "<model>${COST}": no model columns in the header`);
  const models = names.map((name) => {
    const need = (col: string): number => {
      const i = index.get(col);
      if (i === undefined) throw new InputError(`${path}:1: column "${col}": missing from the header (model ${name})`);
      return i;
    };
    return { name, score: need(name), response: need(name + RESPONSE), cost: need(name + COST) };
  });
  return { base, models };
}

function numberCell(path: string, line: number, column: string, cell: string, max: number): number {
  const v = Number(cell.trim());
  if (!Number.isFinite(v) || v < 0 || v > max)
    throw new InputError(
      `${path}:${line}: column "${column}": "${cell.slice(0, 40)}" is not a number in [0, ${max === Infinity ? "∞" : max}]`,
    );
  return v;
}

/** Build records and the agent list from a RouterBench CSV (streams the file, writes nothing). */
export async function importRouterBench(file: RouterBenchFile): Promise<ImportResult> {
  const path = file.csv;
  const input = createReadStream(path);
  const parser = input.pipe(parse({ bom: true, info: true }));
  // pipe() does not forward read errors (e.g. a missing file): hand them to the parser so iteration ends.
  input.on("error", (err) => parser.destroy(err));
  let cols: ReturnType<typeof columnsOf> | undefined;
  const records: ExecutionRecord[] = [];
  const seenIds = new Map<string, number>();
  const usedIds = new Set<string>();
  let repeatedIds = 0;
  const repeatedExamples: string[] = [];
  let rows = 0;
  let missingScore = 0;
  let missingCost = 0;
  const spent = new Map<string, { cost: number; tokens: number }>();
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record: cells, info } = item;
      if (!cols) {
        cols = columnsOf(
          path,
          cells.map((c) => c.trim()),
        );
        continue;
      }
      rows++;
      const line = info.lines;
      const sampleId = cells[cols.base.sample_id]!.trim();
      if (sampleId === "") throw new InputError(`${path}:${line}: column "sample_id": empty`);
      const task = cells[cols.base.eval_name]!.trim();
      if (task === "") throw new InputError(`${path}:${line}: column "eval_name": empty`);
      let queryId = sampleId;
      let occurrence = 1;
      if (usedIds.has(sampleId)) {
        occurrence = seenIds.get(sampleId) ?? 1;
        do queryId = `${sampleId}#${++occurrence}`;
        while (usedIds.has(queryId));
        repeatedIds++;
        if (repeatedExamples.length < 3) repeatedExamples.push(`line ${line}: ${sampleId} → ${queryId}`);
      }
      seenIds.set(sampleId, occurrence);
      usedIds.add(queryId);
      const prompt = unwrapListLiteral(cells[cols.base.prompt]!);
      for (const m of cols.models) {
        const scoreCell = cells[m.score]!;
        const costCell = cells[m.cost]!;
        if (scoreCell.trim() === "") {
          missingScore++;
          continue;
        }
        if (costCell.trim() === "") {
          missingCost++;
          continue;
        }
        const score = numberCell(path, line, m.name, scoreCell, 1);
        const costUsd = numberCell(path, line, m.name + COST, costCell, Infinity);
        const response = unwrapListLiteral(cells[m.response]!);
        const s = spent.get(m.name) ?? { cost: 0, tokens: 0 };
        s.cost += costUsd;
        s.tokens += estimateTokens(prompt) + estimateTokens(response);
        spent.set(m.name, s);
        records.push(
          ExecutionRecordSchema.parse({
            queryId,
            query: prompt,
            task,
            references: [],
            agent: m.name,
            mode: "answer",
            response,
            score,
            success: score >= 0.5,
            promptTokens: 0,
            completionTokens: 0,
            costUsd,
            costEstimated: false,
            provider: "import:routerbench",
            meta: {
              csvLine: line,
              ...(queryId !== sampleId ? { sampleId } : {}),
              ...(file.split !== undefined ? { split: file.split } : {}),
            },
          }),
        );
      }
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    if (err instanceof CsvError) {
      const lines = (err as CsvError & { lines?: number }).lines;
      throw new InputError(`${path}${lines ? `:${lines}` : ""}: invalid CSV: ${err.message}`);
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code) throw new InputError(`${path}: cannot read CSV file (${code})`);
    throw err;
  } finally {
    parser.destroy();
    input.destroy();
  }
  if (!cols) throw new InputError(`${path}:1: empty file: no header`);

  const agents: ImportedAgent[] = cols.models.map(({ name }) => {
    const s = spent.get(name);
    let price: Price = { inputPer1M: 0, outputPer1M: 0 };
    let priceNote: string;
    if (s && s.tokens > 0) {
      const blended = (s.cost / s.tokens) * 1_000_000;
      price = { inputPer1M: blended, outputPer1M: blended };
      priceNote = `estimated ${blended.toPrecision(4)} USD/1M tokens (input = output): recorded cost / (characters of prompt + response) / 4`;
    } else {
      priceNote = "0: no recorded cost with text to estimate tokens from";
    }
    return { id: poolAgentId(name), recordedAs: name, model: name, price, priceNote };
  });
  return {
    format: "routerbench",
    ...(file.split !== undefined ? { split: file.split } : {}),
    rows,
    records,
    agents,
    repeatedIds,
    skipped: [
      { reason: "(row, model) cells with an empty score: the model has no record for that row", count: missingScore },
      { reason: "(row, model) cells with a score but an empty cost", count: missingCost },
    ],
    notes: [
      "costs are as recorded; token counts are not in the source and are stored as 0 (costEstimated false)",
      ...(repeatedIds > 0
        ? [
            `${repeatedIds} rows repeat an earlier sample_id and were kept under a new id (${repeatedExamples.join("; ")}${repeatedIds > repeatedExamples.length ? "; …" : ""})`,
          ]
        : []),
    ],
  };
}
