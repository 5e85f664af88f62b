import { z } from "zod";
import { ModeSchema } from "../core/modes.js";

/** USD per one million tokens. */
export const PriceSchema = z.object({
  inputPer1M: z.number().nonnegative(),
  outputPer1M: z.number().nonnegative(),
});
export type Price = z.infer<typeof PriceSchema>;

export const OpenAISettingsSchema = z.object({
  /** Base URL of an OpenAI-compatible endpoint; else OPENAI_BASE_URL; else OpenAI. */
  baseURL: z.string().url().optional(),
  /** Name of the environment variable holding the API key (never the key itself); default OPENAI_API_KEY. */
  apiKeyEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().positive().optional(),
});

export const ReplaySettingsSchema = z.object({
  /** Execution records file (JSONL) to answer from, relative to the pool file. */
  records: z.string().min(1),
  /** The agent name in the records, when it differs from the pool id. */
  recordedAs: z.string().optional(),
});

export const SimSettingsSchema = z.object({
  /** Seed of the simulated world; default DEFAULT_SEED (src/core/random.ts). */
  seed: z.number().int().optional(),
});

export const AgentSpecSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/, "agent id: letters, digits and ._:/@- only"),
    modes: z.array(ModeSchema).min(1),
    provider: z.enum(["openai", "replay", "sim"]),
    model: z.string().min(1),
    price: PriceSchema,
    contextLimit: z.number().int().positive().optional(),
    concurrency: z.number().int().positive().optional(),
    timeoutMs: z.number().int().positive().optional(),
    maxRetries: z.number().int().nonnegative().optional(),
    openai: OpenAISettingsSchema.optional(),
    replay: ReplaySettingsSchema.optional(),
    sim: SimSettingsSchema.optional(),
  })
  .superRefine((a, ctx) => {
    if (a.provider === "replay" && !a.replay)
      ctx.addIssue({ code: "custom", path: ["replay"], message: "replay agents need replay.records" });
  });
export type AgentSpec = z.output<typeof AgentSpecSchema>;

export const PoolSchema = z
  .object({
    version: z.literal(1).default(1),
    name: z.string().optional(),
    agents: z.array(AgentSpecSchema).min(1),
    /**
     * Exploration's reference agent per mode: the agent a mode is held at while another mode's agent is varied.
     * A mode not named takes the agent of highest price serving it.
     */
    reference: z.partialRecord(ModeSchema, z.string()).optional(),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.agents.forEach((a, i) => {
      if (seen.has(a.id))
        ctx.addIssue({ code: "custom", path: ["agents", i, "id"], message: `duplicate agent id ${a.id}` });
      seen.add(a.id);
    });
    for (const [mode, id] of Object.entries(p.reference ?? {})) {
      const agent = p.agents.find((a) => a.id === id);
      if (!agent) ctx.addIssue({ code: "custom", path: ["reference", mode], message: `no agent ${id} in the pool` });
      else if (!agent.modes.includes(mode as (typeof agent.modes)[number]))
        ctx.addIssue({ code: "custom", path: ["reference", mode], message: `agent ${id} does not serve ${mode}` });
    }
  });
export type Pool = z.output<typeof PoolSchema>;

/** USD cost of a call from token counts and a price. */
export function costOf(price: Price, promptTokens: number, completionTokens: number): number {
  return (promptTokens * price.inputPer1M + completionTokens * price.outputPer1M) / 1_000_000;
}
