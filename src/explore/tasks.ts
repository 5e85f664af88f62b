import { z } from "zod";
import { InputError, parseOrThrow } from "../core/errors.js";
import { ToolModeSchema } from "../core/modes.js";
import { parseJsonText, readTextFile } from "../core/json-file.js";
import { TEXT_METRICS } from "../../tools/answer/metrics.js";
import type { World } from "../sim/world.js";
import type { ExploreTask } from "./types.js";

/**
 * One line of a tasks file: `{"id", "text", "family"?, "references"?, "metric"?, "modes"?}`. `modes` names the tool
 * modes a trajectory runs before it answers, in order (e.g. `["search"]`); absent, every tool mode the pool and
 * corpus offer.
 */
export const ExploreTaskSchema = z.object({
  id: z.string().min(1),
  text: z.string().min(1),
  family: z.string().min(1).optional(),
  references: z.array(z.string()).optional(),
  metric: z
    .string()
    .min(1)
    .refine((m) => (TEXT_METRICS as readonly string[]).includes(m), {
      message: `unknown metric (use ${TEXT_METRICS.join(", ")})`,
    })
    .optional(),
  modes: z.array(ToolModeSchema).optional(),
});

export interface LoadTasksOptions {
  /** Every task must carry references to score its answer against (live exploration and evaluation). */
  scored?: boolean;
}

/**
 * Read a JSONL tasks file; a bad line, a repeated id, a task without references (when `scored`) or a file without
 * tasks throws an InputError `file:LINE: $.field: message`.
 */
export function loadTasks(path: string, options: LoadTasksOptions = {}): ExploreTask[] {
  const text = readTextFile(path, "tasks file");
  const out: ExploreTask[] = [];
  const seen = new Map<string, number>();
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") return;
    const source = `${path}:${i + 1}`;
    const t = parseOrThrow(ExploreTaskSchema, parseJsonText(line, source), source);
    const first = seen.get(t.id);
    if (first !== undefined)
      throw new InputError(`${source}: $.id: duplicate task id "${t.id}" (first at line ${first})`);
    seen.set(t.id, i + 1);
    if (options.scored && (t.references ?? []).filter((r) => r.trim() !== "").length === 0)
      throw new InputError(`${source}: $.references: task "${t.id}" has no references to score its answer against`);
    out.push({
      id: t.id,
      text: t.text,
      ...(t.family !== undefined ? { family: t.family } : {}),
      ...(t.references !== undefined ? { references: t.references } : {}),
      ...(t.metric !== undefined ? { metric: t.metric } : {}),
      ...(t.modes !== undefined ? { modes: t.modes } : {}),
    });
  });
  if (out.length === 0) throw new InputError(`${path}: no tasks to explore (the --tasks file has no task lines)`);
  return out;
}

/** Tasks of the simulated world as explore tasks (with their gold answers as references). */
export function simExploreTasks(world: World, n: number, split: string): ExploreTask[] {
  return world.tasks(n, split).map((t) => ({ id: t.id, text: t.text, family: t.family, references: [t.answer] }));
}
