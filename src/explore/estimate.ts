import type { Mode } from "../core/modes.js";
import type { CodeResult, Document } from "../core/types.js";
import { tokensForChars } from "../core/tokens.js";
import { costOf, type AgentSpec } from "../pool/schema.js";
import { buildStepPrompt } from "../providers/prompts.js";
import type { Assignment } from "./assignments.js";
import type { ExploreTask } from "./types.js";

/**
 * Tokens a reply is assumed to take before any call is made, per mode: a search query, a short program, a short
 * answer. Capped by the agent's `openai.maxTokens`. Prompts are built as the provider builds them, so only the
 * replies are guessed; a resumed exploration replaces the guess with the mean of the calls it has seen.
 */
export const REPLY_TOKENS: Record<Mode, number> = { search: 10, code: 40, answer: 6 };

/** The passages a search step of a task is expected to show (the real index, queried with the task's text). */
export type ExpectedDocuments = (task: ExploreTask) => Document[];

export interface CallEstimate {
  mode: Mode;
  agent: string;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

/** Mean completion tokens per (agent, mode) seen so far, replacing REPLY_TOKENS where known. */
export type SeenReplies = ReadonlyMap<string, number>;
export const seenKey = (agent: string, mode: Mode) => `${agent}\u0000${mode}`;

/**
 * The calls of one trajectory of `task` under an assignment, each priced with its agent's price: the tool modes of
 * the plan in order, then the answer; each prompt holds what the steps before it gathered (the expected passages
 * after a search, a program's run after code).
 */
export function estimateTrajectory(
  task: ExploreTask,
  plan: readonly Mode[],
  assignment: Assignment,
  specs: ReadonlyMap<string, AgentSpec>,
  documents: ExpectedDocuments | undefined,
  seen: SeenReplies = new Map(),
): CallEstimate[] {
  const out: CallEstimate[] = [];
  let docs: Document[] = [];
  const codeResults: CodeResult[] = [];
  plan.forEach((mode, step) => {
    const id = assignment[mode];
    const spec = id === undefined ? undefined : specs.get(id);
    if (!spec) return;
    const prompt = buildStepPrompt({
      mode,
      task: { id: task.id, text: task.text },
      step,
      documents: docs,
      codeResults,
      attempts: [],
    });
    const promptTokens = tokensForChars(prompt.system.length + prompt.user.length);
    const guess = seen.get(seenKey(spec.id, mode)) ?? REPLY_TOKENS[mode];
    const completionTokens = Math.min(guess, spec.openai?.maxTokens ?? Number.POSITIVE_INFINITY);
    out.push({
      mode,
      agent: spec.id,
      promptTokens,
      completionTokens,
      costUsd: costOf(spec.price, promptTokens, completionTokens),
    });
    if (mode === "search" && documents) docs = [...docs, ...documents(task)];
    if (mode === "code")
      codeResults.push({
        language: "python",
        program: "x".repeat(completionTokens * 4),
        stdout: "0\n",
        stderr: "",
        exitCode: 0,
      });
  });
  return out;
}
