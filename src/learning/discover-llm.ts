import seedrandom from "seedrandom";
import { z } from "zod";
import type { Skill } from "../../handbook/schema.js";
import type { AgentSpec } from "../pool/schema.js";
import type { ChatClient } from "../providers/openai.js";
import { AgentCallError, isStructuredOutputError } from "../providers/runtime.js";
import type { Mode } from "../core/modes.js";
import { CHARS_PER_TOKEN } from "../core/tokens.js";
import { excerpt } from "./describe.js";
import type { DiscoverInput, DiscoverOutput, Discoverer } from "./discover.js";
import type { LlmCall } from "./log.js";
import type { QueryItem } from "./queries.js";
import type { NameRequest, Namer } from "./refine.js";

/**
 * The LLM discoverer: shows the learning model contrastive evidence (the same query; the agents that succeeded and
 * those that failed; their answers) and asks, by structured output, for 3–6 categories × 2–4 skills for the mode,
 * each with id, description, indicators and examples, not repeating existing skills. A prompt over the context limit
 * is sent with fewer queries; a server that still rejects it for length gets half the queries.
 */

export const DiscoveredSkillSchema = z.object({
  id: z.string().describe("short snake_case id, unique within its category"),
  name: z.string(),
  description: z.string().describe("the capability, specific and measurable"),
  indicators: z.array(z.string()).describe("cues in a query that signal the skill is needed"),
  examples: z.array(z.string()).describe("example queries needing the skill"),
});

export const DiscoveryResponseSchema = z.object({
  categories: z
    .array(
      z.object({
        id: z.string().describe("short snake_case id"),
        name: z.string(),
        description: z.string(),
        skills: z.array(DiscoveredSkillSchema),
      }),
    )
    .describe("3 to 6 categories, each with 2 to 4 skills"),
});
export type DiscoveryResponse = z.infer<typeof DiscoveryResponseSchema>;

export const NameResponseSchema = z.object({ name: z.string(), description: z.string() });

export interface LlmDiscovererOptions {
  client: ChatClient;
  /** Most learning-model calls per mode. Default 6. */
  maxCalls?: number;
  /** Contrastive queries per call at most. Default 12. */
  queriesPerCall?: number;
  /** Context window in tokens; default spec.contextLimit, else 8,192. */
  contextLimit?: number;
  /** Tokens kept free for the answer. Default 2,048. */
  reserveTokens?: number;
  maxCategories?: number;
  maxSkills?: number;
}

export const DEFAULT_CONTEXT_LIMIT = 8192;

/** Slug usable as one segment of a skill id. */
export function skillIdSegment(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 40);
  return s || "skill";
}

/** Routing points where some agents succeeded and others failed, most contested first (ties in seeded order). */
export function contrastive(items: readonly QueryItem[], seed: string | number): QueryItem[] {
  const rng = seedrandom(`${seed}:contrastive`);
  const scored = items
    .map((it) => {
      const acted = it.outcomes.filter((o) => o.acted);
      const wins = acted.filter((o) => o.score >= 0.5).length;
      return { it, balance: Math.min(wins, acted.length - wins), r: rng() };
    })
    .filter((x) => x.balance > 0);
  return scored.sort((a, b) => b.balance - a.balance || a.r - b.r).map((x) => x.it);
}

function evidenceBlock(it: QueryItem, k: number): string {
  const acted = it.outcomes.filter((o) => o.acted);
  const ok = acted.filter((o) => o.score >= 0.5);
  const bad = acted.filter((o) => o.score < 0.5);
  const answer = (o: (typeof acted)[number]) => (o.response ? `: "${excerpt(o.response, 200)}"` : "");
  return [
    `### Query ${k + 1} (${it.queryId})`,
    excerpt(it.text, 1200),
    `Succeeded: ${ok.map((o) => `${o.agent}${answer(o)}`).join("; ") || "none"}`,
    `Failed: ${bad.map((o) => `${o.agent}${answer(o)}`).join("; ") || "none"}`,
  ].join("\n");
}

export function discoveryPrompt(
  mode: Mode,
  batch: readonly QueryItem[],
  existing: readonly { id: string; name: string }[],
  maxCategories: number,
  maxSkills: number,
): { system: string; user: string } {
  const system =
    `You are learning a skill handbook for routing queries among AI agents in "${mode}" mode. ` +
    `From contrastive evidence (the same query, the agents that succeeded and those that failed) name the capabilities that separate them. ` +
    `Return 3 to ${maxCategories} categories, each with 2 to ${maxSkills} skills. Each skill must be specific and measurable, with indicators ` +
    `(words or cues visible in a query that signal the skill) and example queries. Do not repeat an existing skill.`;
  const user = [
    existing.length
      ? `Existing skills (do not repeat):\n${existing.map((s) => `- ${s.id}: ${s.name}`).join("\n")}`
      : "Existing skills: none.",
    `Evidence (${batch.length} queries):`,
    ...batch.map((it, k) => evidenceBlock(it, k)),
  ].join("\n\n");
  return { system, user };
}

function callOf(
  mode: Mode,
  purpose: string,
  r: {
    usage: { promptTokens: number; completionTokens: number };
    costUsd: number;
    costEstimated: boolean;
    latencyMs: number;
  },
  queries?: number,
): LlmCall {
  return {
    phase: purpose === "discover" ? "discover" : "refine",
    mode,
    purpose,
    promptTokens: r.usage.promptTokens,
    completionTokens: r.usage.completionTokens,
    costUsd: r.costUsd,
    costEstimated: r.costEstimated,
    latencyMs: Math.round(r.latencyMs),
    ok: true,
    ...(queries !== undefined ? { queries } : {}),
  };
}

function failedCall(mode: Mode, purpose: string, err: unknown, queries?: number): LlmCall {
  const so = isStructuredOutputError(err) ? err : undefined;
  return {
    phase: purpose === "discover" ? "discover" : "refine",
    mode,
    purpose,
    promptTokens: so?.usage?.promptTokens ?? 0,
    completionTokens: so?.usage?.completionTokens ?? 0,
    costUsd: so?.costUsd ?? 0,
    costEstimated: so?.costEstimated ?? true,
    latencyMs: 0,
    ok: false,
    ...(queries !== undefined ? { queries } : {}),
    error: (err as Error).message.slice(0, 300),
  };
}

/** The server refused the prompt as too long (an HTTP 400 naming the context, or LangChain's ContextOverflowError). */
function isContextError(err: unknown): boolean {
  if (!(err instanceof AgentCallError)) return false;
  const cause = err.cause as { name?: string } | undefined;
  return (
    cause?.name === "ContextOverflowError" ||
    ((err.status === 400 || err.status === 413) && /context|too long|maximum.*tokens/i.test(err.message))
  );
}

export function llmDiscoverer(opts: LlmDiscovererOptions): Discoverer {
  const spec: AgentSpec = opts.client.spec;
  const maxCalls = opts.maxCalls ?? 6;
  const perCall = opts.queriesPerCall ?? 12;
  const limit = opts.contextLimit ?? spec.contextLimit ?? DEFAULT_CONTEXT_LIMIT;
  const reserve = opts.reserveTokens ?? 2048;
  const maxCategories = opts.maxCategories ?? 6;
  const maxSkills = opts.maxSkills ?? 4;
  return {
    kind: "llm",
    async discover(input: DiscoverInput): Promise<DiscoverOutput> {
      const { mode } = input;
      const at = new Date().toISOString();
      const pool = contrastive(input.items, input.seed);
      const calls: LlmCall[] = [];
      const taken = new Set(input.existing.map((s) => s.id));
      const categories = new Map<string, Skill>();
      const skills = new Map<string, Skill>();
      const known = () =>
        [...input.existing, ...categories.values(), ...skills.values()].map((s) => ({ id: s.id, name: s.name }));
      let cursor = 0;
      let size = perCall;
      while (calls.length < maxCalls && cursor < pool.length) {
        input.onProgress?.(calls.length, maxCalls);
        let batch = pool.slice(cursor, cursor + size);
        let prompt = discoveryPrompt(mode, batch, known(), maxCategories, maxSkills);
        // Fit the context: drop queries until the prompt (chars / 4) leaves `reserve` tokens for the answer.
        while (batch.length > 1 && (prompt.system.length + prompt.user.length) / CHARS_PER_TOKEN > limit - reserve) {
          batch = batch.slice(0, batch.length - 1);
          prompt = discoveryPrompt(mode, batch, known(), maxCategories, maxSkills);
        }
        size = Math.max(1, Math.min(size, batch.length));
        try {
          const r = await opts.client.chat(
            [
              ["system", prompt.system],
              ["human", prompt.user],
            ],
            {
              schema: DiscoveryResponseSchema,
              schemaName: "skills",
              schemaDescription: "categories and skills for the mode",
            },
          );
          calls.push(callOf(mode, "discover", r, batch.length));
          cursor += batch.length;
          const from = batch.map((b) => b.queryId);
          for (const cat of r.structured!.categories) {
            const catId = `${mode}.${skillIdSegment(cat.id || cat.name)}`;
            let category = categories.get(catId);
            if (!category) {
              if (taken.has(catId) || categories.size >= maxCategories) continue;
              category = {
                id: catId,
                name: cat.name || cat.id,
                description: cat.description,
                indicators: [],
                examples: [],
                mode,
                provenance: {
                  discoveredFrom: [],
                  history: [{ op: "discover", from: [], at, note: `learning model ${spec.id}` }],
                },
              };
              categories.set(catId, category);
              taken.add(catId);
            }
            category.provenance.discoveredFrom = [...new Set([...category.provenance.discoveredFrom, ...from])];
            for (const sk of cat.skills) {
              const id = `${catId}.${skillIdSegment(sk.id || sk.name)}`;
              const siblings = [...skills.keys()].filter((k) => k.startsWith(`${catId}.`)).length;
              if (taken.has(id) || siblings >= maxSkills) continue;
              taken.add(id);
              skills.set(id, {
                id,
                name: sk.name || sk.id,
                description: sk.description,
                indicators: sk.indicators,
                examples: sk.examples,
                mode,
                parent: catId,
                provenance: {
                  discoveredFrom: from,
                  history: [{ op: "discover", from: [], at, note: `learning model ${spec.id}` }],
                },
              });
            }
          }
        } catch (err) {
          calls.push(failedCall(mode, "discover", err, batch.length));
          if (isContextError(err)) {
            if (batch.length > 1) size = Math.max(1, Math.floor(batch.length / 2));
            else cursor += 1;
            continue;
          }
          if (isStructuredOutputError(err)) {
            cursor += batch.length;
            continue;
          }
          throw err;
        }
      }
      input.onProgress?.(maxCalls, maxCalls);
      return { skills: [...categories.values(), ...skills.values()], calls };
    },
  };
}

/** Names and describes new skills of a refinement with the learning model; the statistical name on failure. */
export function llmNamer(client: ChatClient, maxCalls = 30): Namer {
  const used = new Map<Mode, number>();
  return {
    async name(req: NameRequest) {
      const n = used.get(req.mode) ?? 0;
      if (n >= maxCalls) return { name: req.proposed.name, description: req.proposed.description, calls: [] };
      used.set(req.mode, n + 1);
      const system =
        `You name skills of a skill handbook for routing queries among AI agents in "${req.mode}" mode. ` +
        `A statistical test decided to ${req.op === "split" ? "split a skill; this is one of the new parts" : "merge two skills"}. ` +
        `Give a short specific name and a one-sentence description of the capability, different from the other skills' names.`;
      const user = [
        `From: ${req.from.map((s) => `${s.id} (${s.name}): ${s.description}`).join("; ")}`,
        `Distinctive terms: ${req.proposed.indicators.join(", ")}`,
        `Example queries:\n${req.proposed.examples
          .slice(0, 5)
          .map((e) => `- ${excerpt(e, 300)}`)
          .join("\n")}`,
        `Other skills: ${req.others.join("; ") || "none"}`,
      ].join("\n\n");
      try {
        const r = await client.chat(
          [
            ["system", system],
            ["human", user],
          ],
          { schema: NameResponseSchema, schemaName: "name_skill" },
        );
        const s = r.structured!;
        return {
          name: s.name.trim() || req.proposed.name,
          description: s.description.trim() || req.proposed.description,
          calls: [callOf(req.mode, "name", r)],
        };
      } catch (err) {
        if (isStructuredOutputError(err) || err instanceof AgentCallError)
          return {
            name: req.proposed.name,
            description: req.proposed.description,
            calls: [failedCall(req.mode, "name", err)],
          };
        throw err;
      }
    },
  };
}
