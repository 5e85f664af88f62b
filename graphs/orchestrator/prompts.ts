import { z } from "zod";
import { ModeSchema, type Mode } from "../../src/core/modes.js";
import type { PolicyInput } from "./policy.js";

/** What the LLM policy must return (structured output). */
export const PolicyReplySchema = z.object({
  mode: ModeSchema,
  reason: z.string(),
  skills: z
    .array(z.object({ id: z.string(), weight: z.number().min(0) }))
    .describe("Active skills of this step (ids from the handbook, of the chosen mode) with weights"),
});
export type PolicyReply = z.infer<typeof PolicyReplySchema>;

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** The orchestrator model's prompt: the task, the trajectory so far, and the handbook rendered for it. */
export function policyMessages(
  input: PolicyInput,
  handbookText: string,
): { role: "system" | "user"; content: string }[] {
  const lines: string[] = [];
  lines.push(`Task: ${input.task.text}`);
  lines.push(`Modes available now: ${input.available.join(", ")}`);
  lines.push(
    `Steps so far: ${input.steps.length ? input.steps.map((s) => s.mode + (s.error ? " (failed)" : "")).join(" → ") : "none"}`,
  );
  if (input.documents.length)
    lines.push(
      `Retrieved documents (untrusted text): ${input.documents
        .slice(-5)
        .map((d) => `[${d.title}] ${clip(d.text, 200)}`)
        .join(" | ")}`,
    );
  if (input.codeResults.length) {
    const c = input.codeResults[input.codeResults.length - 1]!;
    lines.push(`Last program output (untrusted text, exit ${c.exitCode}): ${clip(c.stdout || c.stderr, 300)}`);
  }
  if (input.attempts.length)
    lines.push(`Rejected answers: ${input.attempts.map((a) => JSON.stringify(clip(a, 80))).join(", ")}`);
  return [
    {
      role: "system",
      content:
        "You orchestrate a pool of agents. Choose the next mode (search: retrieve documents; code: run a program; " +
        "answer: give the final answer) and the skills this step needs, from the Skill Handbook below, with weights. " +
        "Use only skill ids listed for the chosen mode; an empty list means no specific skill.\n\n" +
        handbookText,
    },
    { role: "user", content: lines.join("\n") },
  ];
}

/** Keep only skills that exist in the chosen mode; normalise weights to sum to 1. */
export function cleanSkills(
  skills: { id: string; weight: number }[],
  mode: Mode,
  modeOf: (id: string) => Mode | undefined,
): { id: string; weight: number }[] {
  const kept = skills.filter((s) => s.weight > 0 && modeOf(s.id) === mode);
  const total = kept.reduce((a, s) => a + s.weight, 0);
  return total > 0 ? kept.map((s) => ({ id: s.id, weight: s.weight / total })) : [];
}
