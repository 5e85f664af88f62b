import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { afterEach, describe, expect, it } from "vitest";
import { AgentSpecSchema } from "../../src/pool/schema.js";
import { createOpenAIAgent } from "../../src/providers/openai.js";
import { startOpenAIServer, type OpenAIServer } from "../../bench/support/openai-server.js";

const env = { SKILLORCHESTRA_TEST_KEY: "sk-test-loopback" };

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function graphFor(url: string) {
  const agent = createOpenAIAgent(
    AgentSpecSchema.parse({
      id: "mini",
      modes: ["answer"],
      provider: "openai",
      model: "test-model",
      price: { inputPer1M: 1, outputPer1M: 4 },
      openai: { baseURL: url, apiKeyEnv: "SKILLORCHESTRA_TEST_KEY" },
    }),
    env,
  );
  const State = Annotation.Root({
    question: Annotation<string>(),
    answer: Annotation<string>(),
    costUsd: Annotation<number>(),
  });
  return new StateGraph(State)
    .addNode("respond", async (state) => {
      const result = await agent.act({
        mode: "answer",
        task: { id: "q", text: state.question },
        step: 0,
        documents: [],
        codeResults: [],
        attempts: [],
      });
      return { answer: result.output, costUsd: result.costUsd };
    })
    .addEdge(START, "respond")
    .addEdge("respond", END)
    .compile();
}

describe("openai agent inside a LangGraph node", () => {
  it("streams tokens to streamMode messages without being asked to stream, and still prices the call", async () => {
    server = await startOpenAIServer([
      {
        kind: "reply",
        content: "Gustave Eiffel's company built it.",
        chunks: ["Gustave ", "Eiffel's ", "company ", "built it."],
        usage: { prompt_tokens: 100, completion_tokens: 8 },
      },
    ]);
    const graph = graphFor(server.url);
    const tokens: string[] = [];
    let final: Record<string, unknown> = {};
    for await (const [mode, payload] of await graph.stream(
      { question: "Who built the Eiffel Tower?" },
      { streamMode: ["messages", "values"] },
    )) {
      if (mode === "messages") {
        const [chunk] = payload as [{ content: unknown }, unknown];
        if (typeof chunk.content === "string" && chunk.content !== "") tokens.push(chunk.content);
      } else final = payload as Record<string, unknown>;
    }
    expect(tokens).toEqual(["Gustave ", "Eiffel's ", "company ", "built it."]);
    expect(final.answer).toBe("Gustave Eiffel's company built it.");
    expect(final.costUsd).toBeCloseTo((100 * 1 + 8 * 4) / 1e6, 15);
    const body = server.chatRequests()[0]!.body;
    expect(body.stream).toBe(true);
    expect(body.stream_options).toEqual({ include_usage: true });
  });

  it("makes a plain, unstreamed request when the graph is not streamed for messages", async () => {
    server = await startOpenAIServer([{ kind: "reply", content: "1889" }]);
    const out = await graphFor(server.url).invoke({ question: "When?" });
    expect(out.answer).toBe("1889");
    expect(server.chatRequests()[0]!.body.stream).toBe(false);
  });
});
