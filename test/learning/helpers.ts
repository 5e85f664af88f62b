import seedrandom from "seedrandom";
import { ExecutionRecordSchema, type ExecutionRecord } from "../../src/records/schema.js";

/**
 * Synthetic execution records for learning tests: query "types" with their own vocabulary, and agents whose
 * success probability depends on the type. Seeded, so every test sees the same data.
 */

export interface TypeSpec {
  name: string;
  task?: string;
  /** Words that make up this type's queries. */
  words: string[];
  /** Success probability per agent. */
  success: Record<string, number>;
}

export const AGENTS = ["alpha", "beta", "gamma"] as const;
export const PRICES: Record<string, number> = { alpha: 0.002, beta: 0.0005, gamma: 0.0001 };

export const TYPES: TypeSpec[] = [
  {
    name: "arith",
    task: "arith",
    words: ["sum", "multiply", "digits", "total", "plus", "product", "divide", "remainder"],
    success: { alpha: 0.95, beta: 0.2, gamma: 0.3 },
  },
  {
    name: "capital",
    task: "capital",
    words: ["capital", "country", "city", "river", "border", "nation", "province", "map"],
    success: { alpha: 0.3, beta: 0.9, gamma: 0.2 },
  },
  {
    name: "poem",
    task: "poem",
    words: ["rhyme", "poem", "verse", "stanza", "sonnet", "meter", "lyric", "haiku"],
    success: { alpha: 0.2, beta: 0.25, gamma: 0.9 },
  },
];

export interface SynthOptions {
  perType: number;
  seed?: string;
  types?: TypeSpec[];
  /** Prefix of query ids (to make disjoint sets). */
  prefix?: string;
  /** Records of agents that were in the trajectory but did not act (acted: false), per query. */
  idleAgent?: string;
}

/** A number written in letters (a, b, …, ba, bb…), so texts stay distinct without containing digits. */
function letters(n: number): string {
  let s = "";
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26);
  } while (n > 0);
  return s;
}

/** Records: every agent on every query of every type, in mode answer. */
export function synthRecords(opts: SynthOptions): ExecutionRecord[] {
  const rng = seedrandom(opts.seed ?? "synth");
  const out: ExecutionRecord[] = [];
  for (const t of opts.types ?? TYPES) {
    for (let q = 0; q < opts.perType; q++) {
      const len = 6 + Math.floor(rng() * 5);
      const words = Array.from({ length: len }, () => t.words[Math.floor(rng() * t.words.length)]!);
      const text = `${words.join(" ")} item ${letters(q)}`;
      const queryId = `${opts.prefix ?? "q"}-${t.name}-${q}`;
      for (const agent of Object.keys(t.success)) {
        const ok = rng() < t.success[agent]!;
        const promptTokens = 10 + len;
        out.push(
          ExecutionRecordSchema.parse({
            queryId,
            query: text,
            task: t.task ?? "all",
            agent,
            mode: "answer",
            score: ok ? 1 : 0,
            success: ok,
            promptTokens,
            completionTokens: 20,
            costUsd: (PRICES[agent] ?? 0.001) * (1 + promptTokens / 100),
            costEstimated: true,
            latencyMs: 100,
            provider: "sim",
            simulated: true,
            response: ok ? "right" : "wrong",
          }),
        );
      }
      if (opts.idleAgent)
        out.push(
          ExecutionRecordSchema.parse({
            queryId,
            query: text,
            task: t.task ?? "all",
            agent: opts.idleAgent,
            mode: "answer",
            score: 1,
            success: true,
            promptTokens: 999,
            completionTokens: 999,
            costUsd: 9.99,
            latencyMs: 9999,
            provider: "sim",
            acted: false,
          }),
        );
    }
  }
  return out;
}
