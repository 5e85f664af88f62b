import type { Mode } from "../modes.js";
import type { AgentSpec } from "../pool/schema.js";

/** A document the search tool returned, as kept in a trajectory's state. */
export interface Document {
  id: string;
  title: string;
  text: string;
  score: number;
}

/** The output of one sandboxed program run, as kept in a trajectory's state. */
export interface CodeResult {
  language: "python" | "javascript";
  program: string;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** Why the run ended when it did not finish normally (timeout, memory, output cap...). */
  limit?: string;
}

/** What a sub-agent sees when asked to act in a mode at one step of a task. */
export interface StepRequest {
  mode: Mode;
  task: {
    /** Stable id of the task (query); replay and sim look outcomes up by it. */
    id: string;
    text: string;
    /** The task family, when known (sim and replay use it; real models never see it). */
    family?: string;
  };
  /** 0-based step index within the trajectory. */
  step: number;
  documents: Document[];
  codeResults: CodeResult[];
  /** Earlier answers that were rejected. */
  attempts: string[];
  /** Skills the orchestrator inferred for this step, heaviest first (sim agents use them; prompts may cite them). */
  skills?: { id: string; weight: number }[];
}

/** Token usage of one call. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
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
