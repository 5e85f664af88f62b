import { z } from "zod";
import { InputError } from "../../src/core/errors.js";

/** The run's input as a caller may give it: a task, and per-run overrides. Checked before any step. */
export const RunInputSchema = z.object({
  task: z.object(
    {
      id: z.string({ error: "expected a string" }).min(1, "must not be empty"),
      text: z.string({ error: "expected a string" }).min(1, "must not be empty"),
      family: z.string().optional(),
      references: z.array(z.string()).optional(),
      modes: z.array(z.enum(["search", "code"])).optional(),
    },
    { error: 'expected an object {"id": "...", "text": "..."}' },
  ),
  settings: z
    .object({
      lambda: z.number().nonnegative().optional(),
      budgetUsd: z.number().positive().optional(),
      maxSteps: z.number().int().nonnegative().optional(),
    })
    .nullish(),
});

/** Throws an InputError naming the first bad field of a run's input (`input: $.task.text: expected a string`). */
export function checkRunInput(value: { task?: unknown; settings?: unknown }): void {
  const r = RunInputSchema.safeParse({ task: value.task, settings: value.settings ?? undefined });
  if (r.success) return;
  const issue = r.error.issues[0]!;
  const at = issue.path.length ? `$.${issue.path.join(".")}` : "$";
  throw new InputError(`input: ${at}: ${issue.message}`);
}
