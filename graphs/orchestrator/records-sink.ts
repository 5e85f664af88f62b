import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname, resolve as resolvePath } from "node:path";
import { type BaseStore, type Command, END } from "@langchain/langgraph";
import { InputError } from "../../src/core/errors.js";
import { scoreAnswer } from "../../src/explore/score.js";
import {
  RUN_OUTCOME_KIND,
  RUN_STEP_KIND,
  SOURCE_WEIGHT,
  type OutcomeRecord,
  type RunRecord,
  type StepRecord,
} from "../../src/records/run-records.js";
import { FileRunRecords, recordsStoreName, StoreRunRecords, type RunRecordsSink } from "../../src/records/run-sink.js";
import type { OrchestratorContextType } from "./configuration.js";
import type { Resolve } from "./nodes.js";
import type { OrchestratorStateType, OrchestratorUpdate, RoutingDecision } from "./state.js";

/**
 * The records sink of orchestrated runs: when a run's context names `records` (a JSONL path, or `store:NAME` for the
 * run's LangGraph store), the run's trajectory is appended there as it ends, one step record per step
 * (src/records/run-records.ts), with the outcomes known at that moment: the answer scored against the task's
 * references when it has some (source `reference`), else the consult/accept loop's agreement (source `agreement`,
 * weighted less). A run that ends without those leaves steps only: their outcome may arrive later (`feedback`).
 */

interface NodeRuntime {
  context?: Partial<OrchestratorContextType>;
  store?: BaseStore;
  writer?: (chunk: unknown) => void;
  configurable?: Record<string, unknown>;
  executionInfo?: { threadId?: string; runId?: string };
  runId?: string;
}

type Node = (state: OrchestratorStateType, runtime: NodeRuntime) => Promise<Command>;

/** The records target of a run: its context's `records`, else its resources' defaults (createOrchestrator). */
function targetOf(context: Partial<OrchestratorContextType> | undefined): string | undefined {
  const v = (context as { records?: unknown } | undefined)?.records;
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** The sink a target names; a `store:NAME` with no store is an InputError. */
export function openRunSink(target: string, store: BaseStore | undefined): RunRecordsSink {
  const name = recordsStoreName(target, "context records");
  if (name === undefined) return new FileRunRecords(resolvePath(target));
  if (!store)
    throw new InputError(
      `context records: ${target}: the run has no store to write records to: serve the graph on a LangGraph server (its store), or compile it with one`,
    );
  return new StoreRunRecords(store, name);
}

const endsRun = (c: Command) => c.goto === END || (Array.isArray(c.goto) && c.goto.includes(END));

/** The state after a node's last update (the reducers of state.ts, for the channels the records read). */
function finalState(state: OrchestratorStateType, update: OrchestratorUpdate): OrchestratorStateType {
  // The nodes' updates are plain values (no Overwrite wrappers).
  const u = update as Partial<OrchestratorStateType>;
  return {
    ...state,
    steps: state.steps.concat(u.steps ?? []),
    decisions: state.decisions.concat(u.decisions ?? []),
    ...(u.finalAnswer !== undefined ? { finalAnswer: u.finalAnswer } : {}),
    ...(u.consulting !== undefined ? { consulting: u.consulting } : {}),
    ...(u.stopReason !== undefined ? { stopReason: u.stopReason } : {}),
  };
}

/** The decision that dispatched a step: the last one for its index that chose its agent (a re-route comes later). */
function decisionOf(decisions: readonly RoutingDecision[], step: number, agent: string): RoutingDecision | undefined {
  for (let i = decisions.length - 1; i >= 0; i--) {
    const d = decisions[i]!;
    if (d.step === step && d.record.chosen === agent && d.consult?.action !== "accept") return d;
  }
  return undefined;
}

/** One step record per step of a finished trajectory. */
export function stepRecordsOf(
  s: OrchestratorStateType,
  ids: { thread: string; run: string; at: string },
): StepRecord[] {
  const final = s.finalAnswer?.trim();
  return s.steps.map((st) => {
    const d = decisionOf(s.decisions, st.index, st.agent);
    return {
      kind: RUN_STEP_KIND,
      thread: ids.thread,
      run: ids.run,
      step: st.index,
      taskId: s.task.id,
      ...(s.task.family ? { family: s.task.family } : {}),
      agent: st.agent,
      mode: st.mode,
      skills: (d?.record.skills ?? []).map((k) => ({ id: k.id, weight: k.weight })),
      ...(d?.candidate ? { candidate: d.candidate } : {}),
      ...(d?.handbookVersion ? { handbookVersion: d.handbookVersion } : {}),
      ...(d?.explore ? { explore: true } : {}),
      ...(d ? { lambda: d.record.lambda } : {}),
      costUsd: st.costUsd,
      costEstimated: st.costEstimated,
      promptTokens: st.promptTokens ?? 0,
      completionTokens: st.completionTokens ?? 0,
      latencyMs: st.latencyMs,
      acted: !st.error,
      final:
        st.mode === "answer" &&
        !st.error &&
        final !== undefined &&
        !st.observation.startsWith("rejected") &&
        st.input.trim() === final,
      simulated: st.simulated,
      ...(st.error ? { error: st.error } : {}),
      at: ids.at,
    };
  });
}

/**
 * The consult/accept loop's agreement as outcomes: when two or more answers of the consultation share one key and
 * no other key is shared as often, each of those answers scores 1 and each other readable answer 0, at the
 * agreement weight. Not a check against a reference: a weaker signal, labelled `agreement`.
 */
export function agreementOutcomes(s: OrchestratorStateType, thread: string, at: string): OutcomeRecord[] {
  const answers = (s.consulting?.answers ?? []).filter((a) => a.key !== null);
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a.key!, (counts.get(a.key!) ?? 0) + 1);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  const top = ranked[0];
  if (!top || top[1] < 2 || ranked[1]?.[1] === top[1]) return [];
  return answers.map((a) => ({
    kind: RUN_OUTCOME_KIND,
    thread,
    step: a.step,
    score: a.key === top[0] ? 1 : 0,
    source: "agreement" as const,
    weight: SOURCE_WEIGHT.agreement,
    at,
    note: `${top[1]} of ${answers.length} answers agree`,
  }));
}

/** The outcomes known when a run ends: its answer scored on the task's references, else its agents' agreement. */
export async function automaticOutcomes(
  s: OrchestratorStateType,
  thread: string,
  at: string,
): Promise<OutcomeRecord[]> {
  const refs = s.task.references ?? [];
  if (refs.length > 0) {
    const score =
      s.finalAnswer === null
        ? 0
        : await scoreAnswer(s.finalAnswer, { id: s.task.id, text: s.task.text, references: refs });
    return [
      {
        kind: RUN_OUTCOME_KIND,
        thread,
        score,
        source: "reference",
        weight: SOURCE_WEIGHT.reference,
        at,
        note:
          s.finalAnswer === null
            ? `no answer (${s.stopReason ?? "stopped"})`
            : "answer scored on the task's references",
      },
    ];
  }
  return agreementOutcomes(s, thread, at);
}

/** The thread and run of a node's execution (a run without a thread: its run id stands for the thread). */
function idsOf(runtime: NodeRuntime): { thread: string; run: string } {
  const c = runtime.configurable ?? {};
  const run = runtime.executionInfo?.runId ?? runtime.runId ?? (c.run_id as string | undefined) ?? randomUUID();
  const thread = runtime.executionInfo?.threadId ?? (c.thread_id as string | undefined) ?? run;
  return { thread, run };
}

/** Append a finished run's records to its sink; returns what was written. */
export async function writeRunRecords(
  sink: RunRecordsSink,
  s: OrchestratorStateType,
  ids: { thread: string; run: string },
  at = new Date().toISOString(),
): Promise<RunRecord[]> {
  const steps = stepRecordsOf(s, { ...ids, at });
  if (steps.length === 0) return [];
  const records: RunRecord[] = [...steps, ...(await automaticOutcomes(s, ids.thread, at))];
  if (sink instanceof FileRunRecords) mkdirSync(dirname(sink.path), { recursive: true });
  await sink.appendRun(ids.thread, records);
  return records;
}

/**
 * A node of the graph that may end the run, with the records sink: when its Command ends the run and the run names a
 * records target, the trajectory is appended there before the run ends. A target that cannot be used (`store:NAME`
 * without a store) is refused at the run's first step, before any agent call. A failed write does not undo the run:
 * it is reported on stderr and as a `custom` event `records_error`.
 */
export function withRunRecords(node: Node, resolve: Resolve): Node {
  return async (state, runtime) => {
    const first = state.steps.length === 0 && state.decisions.length === 0;
    const given = targetOf(runtime.context);
    if (first && given) openRunSink(given, runtime.store);
    const cmd = await node(state, runtime);
    if (!endsRun(cmd)) return cmd;
    const target =
      given ??
      targetOf(
        (await resolve(runtime.context, runtime.store ? { store: runtime.store } : {}).catch(() => undefined))
          ?.defaults,
      );
    if (!target) return cmd;
    const ids = idsOf(runtime);
    try {
      const sink = openRunSink(target, runtime.store);
      const written = await writeRunRecords(sink, finalState(state, (cmd.update ?? {}) as OrchestratorUpdate), ids);
      runtime.writer?.({ type: "records", where: sink.where, thread: ids.thread, records: written.length });
    } catch (err) {
      const error = `records: ${target}: ${(err as Error).message.split("\n")[0]}`;
      process.stderr.write(`${error}\n`);
      runtime.writer?.({ type: "records_error", thread: ids.thread, error });
    }
    return cmd;
  };
}
