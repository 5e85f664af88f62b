import { z } from "zod";
import { ModeSchema } from "../core/modes.js";

/**
 * One execution record: one agent run on one query (in one mode, at one step of a trajectory).
 * Written one JSON object per line. Every learning and evaluation stage reads these.
 */
export const ExecutionRecordSchema = z.object({
  /** Stable id of the query (task instance). */
  queryId: z.string().min(1),
  /** The query text as the agent saw it. */
  query: z.string(),
  /** The benchmark or task family the query belongs to. */
  task: z.string().min(1),
  /** Accepted reference answers (may be empty when the score came from elsewhere). */
  references: z.array(z.string()).default([]),
  /** How the score was computed (e.g. `em`, `f1`, `code_eval`, `math_equiv`). */
  metric: z.string().optional(),
  agent: z.string().min(1),
  mode: ModeSchema,
  response: z.string().default(""),
  /** Graded outcome in [0, 1]. */
  score: z.number().min(0).max(1),
  /** Whether the execution counts as a success (usually score >= 0.5). */
  success: z.boolean(),
  promptTokens: z.number().nonnegative(),
  completionTokens: z.number().nonnegative(),
  costUsd: z.number().nonnegative(),
  /** True when tokens or cost were estimated rather than reported by the provider. */
  costEstimated: z.boolean().default(false),
  latencyMs: z.number().nonnegative().default(0),
  /** Which provider produced this record: `openai`, `replay`, `sim`, or `import:<format>`. */
  provider: z.string().min(1),
  /** True when the record comes from the simulated world, not a real model. */
  simulated: z.boolean().default(false),
  /** Step index within a multi-step trajectory (absent for single-call records). */
  step: z.number().int().nonnegative().optional(),
  /** In a multi-step trajectory: whether this agent actually acted (only acting agents get credit). */
  acted: z.boolean().default(true),
  /** Free-form extra fields (e.g. split name, choices). */
  meta: z.record(z.string(), z.unknown()).optional(),
});

export type ExecutionRecord = z.output<typeof ExecutionRecordSchema>;
export type ExecutionRecordInput = z.input<typeof ExecutionRecordSchema>;

/** The key under which a record is unique: (query, agent, mode, step). */
export function recordKey(r: Pick<ExecutionRecord, "queryId" | "agent" | "mode" | "step">): string {
  return `${r.queryId}\u0000${r.agent}\u0000${r.mode}\u0000${r.step ?? ""}`;
}
