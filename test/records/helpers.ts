import type { ExecutionRecordInput } from "../../src/records/schema.js";

/** A valid record input with the given overrides. */
export function rec(over: Partial<ExecutionRecordInput> = {}): ExecutionRecordInput {
  return {
    queryId: "q1",
    query: "What is 2 + 2?",
    task: "arith",
    agent: "a",
    mode: "answer",
    score: 1,
    success: true,
    promptTokens: 10,
    completionTokens: 2,
    costUsd: 0.001,
    provider: "sim",
    ...over,
  };
}
