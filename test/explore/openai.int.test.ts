import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runExplore } from "../../src/cli/explore.js";
import { loadRecords } from "../../src/records/io.js";
import { startOpenAIServer, type OpenAIServer } from "../../bench/support/openai-server.js";

const KEY_ENV = "SKILLORCHESTRA_EXPLORE_TEST_KEY";
let server: OpenAIServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "explore-openai-"));
  process.env[KEY_ENV] = "test-key";
  // The remote model, at the HTTP boundary: "big" knows capitals, "small" answers 4 to everything.
  server = await startOpenAIServer((req) => {
    const text = JSON.stringify(req.body.messages);
    const big = req.body.model === "big-model";
    const content = big && text.includes("France") ? "Final answer: Paris" : "Final answer: 4";
    return { kind: "reply", content, usage: { prompt_tokens: 50, completion_tokens: 5 } };
  });
});

afterAll(async () => {
  await server.close();
  delete process.env[KEY_ENV];
  rmSync(dir, { recursive: true, force: true });
});

describe("explore with openai agents in answer mode", () => {
  it("scores each agent's answer against the task's references and records real usage and cost", async () => {
    const agent = (id: string, model: string, price: number) => ({
      id,
      modes: ["search", "answer"],
      provider: "openai",
      model,
      price: { inputPer1M: price, outputPer1M: price * 4 },
      openai: { baseURL: server.url, apiKeyEnv: KEY_ENV },
    });
    const pool = join(dir, "pool.json");
    writeFileSync(pool, JSON.stringify({ agents: [agent("big", "big-model", 2), agent("small", "small-model", 0.1)] }));
    const tasks = join(dir, "tasks.jsonl");
    writeFileSync(
      tasks,
      [
        { id: "t1", text: "What is the capital of France?", family: "geo", references: ["Paris"] },
        { id: "t2", text: "What is 2 + 2?", family: "math", references: ["4", "four"] },
        { id: "t3", text: "Name the capital of France in one word.", references: ["Paris"], metric: "containment" },
      ]
        .map((t) => JSON.stringify(t))
        .join("\n"),
    );
    const out = join(dir, "records.jsonl");
    const code = await runExplore({ pool, out, tasks, split: "train", concurrency: "2", progress: false });
    expect(code).toBe(0);
    const records = await loadRecords(out);
    // Search pairs have no runner for a plain tasks file: only answers are explored.
    expect(records.map((r) => [r.queryId, r.agent, r.mode, r.score])).toEqual([
      ["t1", "big", "answer", 1],
      ["t1", "small", "answer", 0],
      ["t2", "big", "answer", 1],
      ["t2", "small", "answer", 1],
      ["t3", "big", "answer", 1],
      ["t3", "small", "answer", 0],
    ]);
    const big = records[0]!;
    expect(big).toMatchObject({
      provider: "openai",
      simulated: false,
      promptTokens: 50,
      completionTokens: 5,
      metric: "em",
      task: "geo",
    });
    expect(big.costUsd).toBeCloseTo((50 * 2 + 5 * 8) / 1e6, 15);
    expect(records[4]!.metric).toBe("containment");
    expect(server.chatRequests().length).toBe(6);
    // Resumed: nothing is asked again.
    expect(await runExplore({ pool, out, tasks, split: "train", concurrency: "2", progress: false })).toBe(0);
    expect(server.chatRequests().length).toBe(6);
  });
});
