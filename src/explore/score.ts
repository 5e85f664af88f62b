import type { TextMetric } from "../../tools/answer/metrics.js";
import { InputError } from "../core/errors.js";
import type { ExploreTask } from "./types.js";

/** Scores a final answer with the task's metric (default `em`) against its references (0..1). */
export async function scoreAnswer(answer: string, task: ExploreTask, metric = task.metric ?? "em"): Promise<number> {
  if (!task.references || task.references.length === 0)
    throw new InputError(`task ${task.id}: no references to score its answer against`);
  // Loaded on first use: the scorers pull in the math library, seconds to load.
  const { score } = await import("../../tools/answer/score.js");
  return score(answer, task.references, metric as TextMetric).score;
}
