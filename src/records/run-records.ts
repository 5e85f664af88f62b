import { z } from "zod";
import { InputError } from "../core/errors.js";
import { ModeSchema } from "../core/modes.js";

/**
 * Run records: what orchestrated runs leave behind in production, and the outcomes that arrive for them later.
 *
 * A run-records file (JSONL) or store holds two kinds of line, each with its own schema:
 * - `step` (StepRecord): one step of one run's trajectory, as it happened: the decision's active skills and
 *   weights, the agent, mode, cost, tokens, latency, whether the agent acted, the handbook version, the task. It
 *   has no outcome field at all: a step with no outcome is never a failure, only a cost;
 * - `outcome` (OutcomeRecord): a score in [0, 1] for a whole run (no `step`) or for one step, from a source:
 *   `feedback` (a person or an SDK call), `reference` (the run's answer scored against the task's references at the
 *   end of the run), or `agreement` (the consult/accept loop's agents agreeing: a weaker signal, weighted less).
 *
 * These are not execution records (src/records/schema.ts): they lack `queryId` and `score`, so `learn --records`
 * refuses such a file at its first line instead of reading unscored steps as failures.
 */

export const RUN_STEP_KIND = "step";
export const RUN_OUTCOME_KIND = "outcome";

const skill = z.object({ id: z.string().min(1), weight: z.number().finite().nonnegative() });

export const StepRecordSchema = z.object({
  kind: z.literal(RUN_STEP_KIND),
  /** The thread (LangGraph thread id) the run belongs to. */
  thread: z.string().min(1),
  /** The run that ended the thread's trajectory (a resumed thread's last run). */
  run: z.string().min(1),
  /** Index of the step in the trajectory (0, 1, …). */
  step: z.number().int().nonnegative(),
  taskId: z.string().min(1),
  family: z.string().optional(),
  agent: z.string().min(1),
  mode: ModeSchema,
  /** The routing decision's active skills and weights (empty: mode level). */
  skills: z.array(skill),
  /** The learned selection's candidate handbook the step was routed with, when it had a selection. */
  candidate: z.string().optional(),
  /** The published handbook version that routed it (`NAME@v3`), when the handbook came from a store. */
  handbookVersion: z.string().optional(),
  /** True when the step's agent was chosen on a Thompson sample (the run's exploreRate). */
  explore: z.boolean().optional(),
  /** The decision's λ. */
  lambda: z.number().optional(),
  costUsd: z.number().nonnegative(),
  costEstimated: z.boolean(),
  promptTokens: z.number().nonnegative(),
  completionTokens: z.number().nonnegative(),
  latencyMs: z.number().nonnegative(),
  /** False when the agent's output was unusable (the step's error): its cost counts, no outcome is credited to it. */
  acted: z.boolean(),
  /** For an answer step: whether its answer is the run's final answer (a run's outcome is credited to it). */
  final: z.boolean(),
  simulated: z.boolean(),
  error: z.string().optional(),
  /** When the run ended (ISO). */
  at: z.string().min(1),
});
export type StepRecord = z.output<typeof StepRecordSchema>;

export const OUTCOME_SOURCES = ["feedback", "reference", "agreement"] as const;
export type OutcomeSource = (typeof OUTCOME_SOURCES)[number];

/** Evidence weight of each source when none is given: agreement of agents is a weaker signal than a score. */
export const SOURCE_WEIGHT: Record<OutcomeSource, number> = { feedback: 1, reference: 1, agreement: 0.25 };

export const OutcomeRecordSchema = z.object({
  kind: z.literal(RUN_OUTCOME_KIND),
  thread: z.string().min(1),
  /** The step it scores; absent: the whole run (credited to its acting tool steps and its final answer). */
  step: z.number().int().nonnegative().optional(),
  score: z.number().min(0).max(1),
  source: z.enum(OUTCOME_SOURCES),
  /** Evidence weight (SOURCE_WEIGHT by default). */
  weight: z.number().finite().nonnegative(),
  at: z.string().min(1),
  note: z.string().optional(),
});
export type OutcomeRecord = z.output<typeof OutcomeRecordSchema>;

export const RunRecordSchema = z.discriminatedUnion("kind", [StepRecordSchema, OutcomeRecordSchema]);
export type RunRecord = StepRecord | OutcomeRecord;

/** A step's identity: (thread, step). */
export const stepKey = (r: Pick<StepRecord, "thread" | "step">) => `${r.thread}\u0000${r.step}`;
/** An outcome's identity: (thread, step or the run, source). The same key twice is the same feedback. */
export const outcomeKey = (r: Pick<OutcomeRecord, "thread" | "step" | "source">) =>
  `${r.thread}\u0000${r.step ?? "run"}\u0000${r.source}`;

/** The records of a file or store: steps and outcomes, each key once (the first written wins). */
export interface RunRecords {
  steps: StepRecord[];
  outcomes: OutcomeRecord[];
  /** A last line without its newline that did not parse (a writer killed mid-line): left out. */
  torn: boolean;
  /** Lines whose key was already there (a step written again by a rerun node, a feedback raced in): left out. */
  repeated: number;
}

function issueOf(err: z.ZodError): string {
  const issue = err.issues[0]!;
  return `${issue.path.length ? `$.${issue.path.join(".")}` : "$"}: ${issue.message}`;
}

/** One line of a run-records file, validated; `source` is `path:LINE`. */
export function parseRunRecordLine(line: string, source: string): RunRecord {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch (err) {
    throw new InputError(`${source}: invalid JSON: ${(err as Error).message}`);
  }
  const r = RunRecordSchema.safeParse(data);
  if (!r.success) {
    const kind = (data as { kind?: unknown } | null)?.kind;
    if (kind !== RUN_STEP_KIND && kind !== RUN_OUTCOME_KIND)
      throw new InputError(
        `${source}: $.kind: not a run record (want "${RUN_STEP_KIND}" or "${RUN_OUTCOME_KIND}"; execution records are not run records)`,
      );
    throw new InputError(`${source}: ${issueOf(r.error)}`);
  }
  return r.data;
}

/** Validate a record before it is written (an InputError naming `where` and the field). */
export function checkRunRecord(value: unknown, where: string): RunRecord {
  const r = RunRecordSchema.safeParse(value);
  if (!r.success) throw new InputError(`${where}: ${issueOf(r.error)}`);
  return r.data;
}

/** Steps and outcomes from records in the order written, each key once (the first wins). */
export function collectRunRecords(lines: Iterable<RunRecord>, torn = false): RunRecords {
  const steps = new Map<string, StepRecord>();
  const outcomes = new Map<string, OutcomeRecord>();
  let repeated = 0;
  for (const r of lines) {
    const [map, key] = r.kind === RUN_STEP_KIND ? [steps, stepKey(r)] : [outcomes, outcomeKey(r)];
    if (map.has(key)) repeated++;
    else (map as Map<string, RunRecord>).set(key, r);
  }
  return { steps: [...steps.values()], outcomes: [...outcomes.values()], torn, repeated };
}

/**
 * The records of a run-records file's text. Blank lines are skipped; a bad complete line is an InputError naming
 * `path:LINE`; a last line without its newline that does not parse is torn, and left out.
 */
export function parseRunRecords(text: string, path: string): RunRecords {
  const lines = text.split("\n");
  const endsClean = text.length === 0 || text.endsWith("\n");
  const out: RunRecord[] = [];
  let torn = false;
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const last = i === lines.length - 1 && !endsClean;
    try {
      out.push(parseRunRecordLine(line, `${path}:${i + 1}`));
    } catch (err) {
      if (last) torn = true;
      else throw err;
    }
  });
  return collectRunRecords(out, torn);
}
