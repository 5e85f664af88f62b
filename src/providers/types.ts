import type { Mode } from "../core/modes.js";
import type { AgentTask, CodeResult, Document, Usage } from "../core/types.js";
import type { AgentSpec } from "../pool/schema.js";

/** What a sub-agent sees when asked to act in a mode at one step of a task. */
export interface StepRequest {
  mode: Mode;
  task: AgentTask;
  /** 0-based step index within the trajectory. */
  step: number;
  documents: Document[];
  codeResults: CodeResult[];
  /** Earlier answers that were rejected. */
  attempts: string[];
  /** Skills the orchestrator inferred for this step, heaviest first (sim agents use them; prompts may cite them). */
  skills?: { id: string; weight: number }[];
}

/** What a sub-agent produced for one step. */
export interface StepResult {
  agent: string;
  mode: Mode;
  /** search: the query to run; code: the program to run; answer: the final answer text. */
  output: string;
  /** For code mode: the language of `output`. */
  language?: "python" | "javascript";
  usage: Usage;
  costUsd: number;
  /** True when usage or cost was estimated (e.g. from text length), not reported by the provider. */
  costEstimated: boolean;
  latencyMs: number;
  provider: "openai" | "replay" | "sim";
  /** True for every output of the simulated world. */
  simulated: boolean;
  /** Replay only: the recorded score of this (task, agent, mode). */
  recordedScore?: number;
}

/** One agent of the pool: a spec and the ability to act. Graphs only ever see this. */
export interface Agent {
  readonly spec: AgentSpec;
  /**
   * Act for one step. `deadlineAt` (epoch ms) is the run's deadline: a provider that calls a remote model ends the
   * call by then (with an AgentCallError whose `deadline` is true).
   */
  act(request: StepRequest, options?: { signal?: AbortSignal; deadlineAt?: number }): Promise<StepResult>;
}
