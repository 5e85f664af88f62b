import { z } from "zod";
import { InputError } from "../../src/core/errors.js";
import { ToolModeSchema } from "../../src/core/modes.js";

/**
 * The task a run solves, as a caller gives it. Its checks are the rules checkRunInput applies, its metadata what the
 * served schema says of each field (schemas.ts derives TASK_JSON from it); its `id` names it in the served `$defs`.
 */
export const TaskSchema = z
  .object(
    {
      id: z
        .string({ error: "expected a string" })
        .min(1, "must not be empty")
        .meta({ description: "Task id (non-empty)." }),
      text: z
        .string({ error: "expected a string" })
        .min(1, "must not be empty")
        .meta({ description: "The question or instruction given to the agents (non-empty)." }),
      family: z.string().optional().meta({ description: "Task family, when known (e.g. the benchmark's category)." }),
      references: z
        .array(z.string())
        .optional()
        .meta({ description: "Reference answers: never shown to agents; they let a caller score the answer." }),
      modes: z.array(ToolModeSchema).optional().meta({
        description:
          'Tool modes the task needs, in order (e.g. ["search"]): the offline policy runs them, then answers.',
      }),
    },
    { error: 'expected an object {"id": "...", "text": "..."}' },
  )
  .meta({ id: "Task", title: "Task", description: "The task the run solves." });

/** Per-run overrides of the context, as a caller gives them (schemas.ts derives SETTINGS_JSON from it). */
export const RunOverridesSchema = z
  .object({
    lambda: z.number().nonnegative().optional().meta({ description: "Price of accuracy λ for this run (≥ 0)." }),
    budgetUsd: z.number().positive().optional().meta({ description: "Cost budget of this run in USD (> 0)." }),
    maxSteps: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .meta({ description: "Steps before the one forced answer, for this run (≥ 0)." }),
  })
  .meta({
    id: "RunOverrides",
    title: "Run overrides",
    description: "Per-run overrides of the context (λ, budget, step limit).",
  });

/** The run's input as a caller may give it: a task, and per-run overrides. Checked before any step. */
export const RunInputSchema = z.object({ task: TaskSchema, settings: RunOverridesSchema.nullish() });

/** Throws an InputError naming the first bad field of a run's input (`input: $.task.text: expected a string`). */
export function checkRunInput(value: { task?: unknown; settings?: unknown }): void {
  const r = RunInputSchema.safeParse({ task: value.task, settings: value.settings ?? undefined });
  if (r.success) return;
  const issue = r.error.issues[0]!;
  const at = issue.path.length ? `$.${issue.path.join(".")}` : "$";
  throw new InputError(`input: ${at}: ${issue.message}`);
}
