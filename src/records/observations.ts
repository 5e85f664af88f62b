import type { Mode } from "../core/modes.js";
import type { OutcomeRecord, RunRecords, StepRecord } from "./run-records.js";

/**
 * Run records as observations to fold into a handbook (handbook/online.ts's Observation, structurally; this layer
 * does not import the handbook). Pure.
 *
 * - Every step is one cost observation (key `cost/THREAD/STEP`): what the call cost, never an outcome.
 * - Every outcome is a scored observation per step it scores (key `score/THREAD/STEP/SOURCE`), without a cost: a
 *   step's own outcome (`step` given) scores that step; a run's outcome scores the run's acting tool steps and the
 *   answer step whose answer is the run's final answer (the others' outcome is unknown). A step's own outcome wins
 *   over its run's from the same source; an `agreement` signal is left out for a step that has a `feedback` or
 *   `reference` outcome.
 *
 * So a step folds its cost once and each source's score once, whenever its outcome arrives; a step with no outcome
 * updates costs and never competence.
 */
export interface RecordObservation {
  key: string;
  agent: string;
  mode: Mode;
  skills: { id: string; weight: number }[];
  score?: number;
  weight?: number;
  cost?: { promptTokens: number; completionTokens: number; costUsd: number; latencyMs: number; estimated?: boolean };
  at?: string;
  /** The candidate handbook of the learned selection the step was routed with (absent: the handbook itself). */
  candidate?: string;
}

export interface ObservationSet {
  /** In time order (a step's cost before its scores). */
  observations: RecordObservation[];
  /** Steps with no scored observation: cost only. */
  unscored: number;
  /** Outcomes whose thread or step is not in the records (left out). */
  orphans: OutcomeRecord[];
}

const base = (s: StepRecord) => ({
  agent: s.agent,
  mode: s.mode,
  skills: s.skills.map((k) => ({ id: k.id, weight: k.weight })),
  ...(s.candidate !== undefined ? { candidate: s.candidate } : {}),
});

/** The steps a run's outcome is credited to: its acting tool steps and its final answer. */
export const creditedSteps = (steps: readonly StepRecord[]) =>
  steps.filter((s) => s.acted && (s.mode !== "answer" || s.final));

export function observationsOf(records: Pick<RunRecords, "steps" | "outcomes">): ObservationSet {
  const byThread = new Map<string, StepRecord[]>();
  for (const s of records.steps) {
    let list = byThread.get(s.thread);
    if (!list) byThread.set(s.thread, (list = []));
    list.push(s);
  }
  // The outcome of each (thread, step, source): the step's own over its run's.
  const scored = new Map<string, { step: StepRecord; o: OutcomeRecord }>();
  const orphans: OutcomeRecord[] = [];
  for (const o of records.outcomes) {
    const steps = byThread.get(o.thread) ?? [];
    const targets = o.step !== undefined ? steps.filter((s) => s.step === o.step) : creditedSteps(steps);
    if (steps.length === 0 || (o.step !== undefined && targets.length === 0)) {
      orphans.push(o);
      continue;
    }
    for (const s of targets) {
      const key = `score/${s.thread}/${s.step}/${o.source}`;
      const had = scored.get(key);
      if (!had || (had.o.step === undefined && o.step !== undefined)) scored.set(key, { step: s, o });
    }
  }
  const strong = new Set<string>();
  for (const { step, o } of scored.values()) if (o.source !== "agreement") strong.add(`${step.thread}/${step.step}`);
  const rows: { at: string; order: number; obs: RecordObservation }[] = [];
  let order = 0;
  const withScore = new Set<string>();
  for (const s of records.steps)
    rows.push({
      at: s.at,
      order: order++,
      obs: {
        key: `cost/${s.thread}/${s.step}`,
        ...base(s),
        cost: {
          promptTokens: s.promptTokens,
          completionTokens: s.completionTokens,
          costUsd: s.costUsd,
          latencyMs: s.latencyMs,
          ...(s.costEstimated ? { estimated: true } : {}),
        },
        at: s.at,
      },
    });
  for (const [key, { step, o }] of scored) {
    if (o.source === "agreement" && strong.has(`${step.thread}/${step.step}`)) continue;
    withScore.add(`${step.thread}/${step.step}`);
    // The later of two ISO timestamps (strings: Math.max does not apply).
    // biome-ignore lint/complexity/useMathMinMax: strings compared in time order
    const at = o.at < step.at ? step.at : o.at;
    rows.push({ at, order: order++, obs: { key, ...base(step), score: o.score, weight: o.weight, at } });
  }
  rows.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.order - b.order));
  return {
    observations: rows.map((r) => r.obs),
    unscored: records.steps.filter((s) => !withScore.has(`${s.thread}/${s.step}`)).length,
    orphans,
  };
}
