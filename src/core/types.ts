/**
 * The types every layer shares: what an agent is shown of a task, and what a step of a trajectory produces (the
 * search tool's documents, the sandbox's results, a call's token usage).
 */

/** A task as agents see it. */
export interface AgentTask {
  /** Stable id of the task (query); replay and sim look outcomes up by it. */
  id: string;
  text: string;
  /** The task family, when known (sim and replay use it; real models never see it). */
  family?: string;
}

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

/** Token usage of one call. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}
