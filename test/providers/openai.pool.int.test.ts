import { afterEach, describe, expect, it } from "vitest";
import { PoolSchema } from "../../src/pool/schema.js";
import { createAgents } from "../../src/sim/create-agents.js";
import { startOpenAIServer, type OpenAIServer } from "../../bench/support/openai-server.js";

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("createAgents", () => {
  it("builds one openai agent per pool entry, each with its own model and key", async () => {
    server = await startOpenAIServer([
      { kind: "reply", content: "1889", usage: { prompt_tokens: 10, completion_tokens: 1 } },
      { kind: "reply", content: "eiffel tower completion date", usage: { prompt_tokens: 10, completion_tokens: 4 } },
    ]);
    const pool = PoolSchema.parse({
      agents: [
        {
          id: "real",
          modes: ["answer"],
          provider: "openai",
          model: "test-model",
          price: { inputPer1M: 1, outputPer1M: 1 },
          openai: { baseURL: server.url, apiKeyEnv: "POOL_TEST_KEY" },
        },
        {
          id: "other",
          modes: ["search"],
          provider: "openai",
          model: "other-model",
          price: { inputPer1M: 2, outputPer1M: 2 },
          openai: { baseURL: server.url, apiKeyEnv: "POOL_TEST_KEY_2" },
        },
      ],
    });
    const agents = await createAgents(pool, { env: { POOL_TEST_KEY: "k1", POOL_TEST_KEY_2: "k2" } });
    expect([...agents.keys()]).toEqual(["real", "other"]);
    const step = {
      mode: "answer" as const,
      task: { id: "sim7-test-0", text: "When?" },
      step: 0,
      documents: [],
      codeResults: [],
      attempts: [],
    };
    const real = await agents.get("real")!.act(step);
    expect(real).toMatchObject({ provider: "openai", output: "1889", simulated: false, costUsd: 11 / 1e6 });
    const other = await agents.get("other")!.act({ ...step, mode: "search" });
    expect(other).toMatchObject({ agent: "other", output: "eiffel tower completion date", costUsd: 28 / 1e6 });
    const [a, b] = server.chatRequests();
    expect([a!.body.model, a!.headers.authorization]).toEqual(["test-model", "Bearer k1"]);
    expect([b!.body.model, b!.headers.authorization]).toEqual(["other-model", "Bearer k2"]);
  });

  it("fails on a missing key before any agent acts, naming the variable", async () => {
    const pool = PoolSchema.parse({
      agents: [
        {
          id: "real",
          modes: ["answer"],
          provider: "openai",
          model: "m",
          price: { inputPer1M: 1, outputPer1M: 1 },
          openai: { apiKeyEnv: "NOT_SET_ANYWHERE" },
        },
      ],
    });
    await expect(createAgents(pool, { env: {} })).rejects.toThrow("environment variable NOT_SET_ANYWHERE is not set");
  });
});
