import type { AgentSpec, Price } from "../../src/pool/schema.js";

/**
 * An `openai` answer agent for a loopback test server: model test-model, no retries, its key in `apiKeyEnv`;
 * `over` changes any of it.
 */
export function loopbackAgent(
  id: string,
  baseURL: string,
  apiKeyEnv: string,
  price: Price,
  over: Partial<AgentSpec> = {},
): AgentSpec {
  return {
    id,
    modes: ["answer"],
    provider: "openai",
    model: "test-model",
    price,
    maxRetries: 0,
    openai: { baseURL, apiKeyEnv },
    ...over,
  };
}
