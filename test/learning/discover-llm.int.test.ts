import { describe, expect, it } from "vitest";
import { SkillSchema } from "../../handbook/schema.js";
import { contrastive, llmDiscoverer, llmNamer } from "../../src/learning/discover-llm.js";
import { groupRecords } from "../../src/learning/queries.js";
import { AgentSpecSchema, type AgentSpec } from "../../src/pool/schema.js";
import { createChatClient } from "../../src/providers/openai.js";
import type { RecordedRequest, ScriptStep } from "../../bench/support/openai-server.js";
import { loopbackAgent } from "../support/openai-agent.js";
import { serverPerTest } from "../support/server-per-test.js";
import { AGENTS, synthRecords } from "./helpers.js";

const KEY_ENV = "LEARN_TEST_KEY";
const env = { [KEY_ENV]: "sk-loopback" };
const serve = serverPerTest();

const spec = (url: string, over: Partial<AgentSpec> = {}): AgentSpec =>
  AgentSpecSchema.parse(loopbackAgent("learner", url, KEY_ENV, { inputPer1M: 1, outputPer1M: 2 }, over));

function prompt(req: RecordedRequest): string {
  return req.body.messages.map((m: { content: string }) => m.content).join("\n");
}

/** A scripted learning model: categories named after the call index, with skills whose ids repeat. */
function skillsReply(k: number, cats = 4, skills = 3): ScriptStep {
  const categories = Array.from({ length: cats }, (_, c) => ({
    id: `Area ${k}-${c}`,
    name: `area ${k}.${c}`,
    description: "scripted",
    skills: Array.from({ length: skills }, (_, j) => ({
      id: `skill ${j}`,
      name: `skill ${k}.${c}.${j}`,
      description: "scripted",
      indicators: [`cue${j}`],
      examples: [`example ${j}`],
    })),
  }));
  return {
    kind: "reply",
    toolCalls: [{ name: "skills", arguments: JSON.stringify({ categories }) }],
    usage: { prompt_tokens: 1000, completion_tokens: 200 },
  };
}

const items = groupRecords(synthRecords({ perType: 20 }));

describe("LLM discoverer over loopback HTTP", () => {
  it("sends contrastive evidence, parses 3–6 categories × 2–4 skills, avoids existing skills and counts its calls", async () => {
    const server = await serve((_req, i) => skillsReply(i, i === 0 ? 8 : 4, i === 0 ? 6 : 3));
    const d = llmDiscoverer({ client: createChatClient(spec(server.url), env), maxCalls: 3, queriesPerCall: 5 });
    const out = await d.discover({ mode: "answer", items, agents: [...AGENTS], existing: [], seed: 1 });
    const reqs = server.chatRequests();
    expect(reqs).toHaveLength(3);
    expect(out.calls).toHaveLength(3);
    expect(
      out.calls.every((c) => c.ok && c.mode === "answer" && c.promptTokens === 1000 && c.completionTokens === 200),
    ).toBe(true);
    expect(out.calls[0]!.costUsd).toBeCloseTo((1000 * 1 + 200 * 2) / 1e6, 12);
    // Contrastive evidence: the same query with the agents that succeeded and those that failed, and their answers.
    const first = prompt(reqs[0]!);
    expect(first).toMatch(/Succeeded: \w+: "right"/);
    expect(first).toMatch(/Failed: \w+: "wrong"/);
    expect(first.match(/### Query /g)).toHaveLength(5);
    // Structured output as a forced tool call.
    expect(reqs[0]!.body.tool_choice).toMatchObject({ function: { name: "skills" } });
    // Later prompts list what was already found, to avoid repeats.
    expect(prompt(reqs[1]!)).toContain("answer.area_0-0.skill_0");
    for (const s of out.skills) expect(() => SkillSchema.parse(s)).not.toThrow();
    const cats = out.skills.filter((s) => s.id.split(".").length === 2);
    expect(cats.length).toBe(6);
    for (const c of cats) {
      const kids = out.skills.filter((s) => s.parent === c.id);
      expect(kids.length).toBeGreaterThanOrEqual(1);
      expect(kids.length).toBeLessThanOrEqual(4);
      expect(c.provenance.discoveredFrom.length).toBeGreaterThan(0);
    }
    expect(new Set(out.skills.map((s) => s.id)).size).toBe(out.skills.length);
    const again = await d.discover({ mode: "answer", items, agents: [...AGENTS], existing: out.skills, seed: 1 });
    const before = new Set(out.skills.map((s) => s.id));
    expect(again.skills.some((s) => before.has(s.id))).toBe(false);
  });

  it("sends fewer queries when the prompt would exceed the context limit", async () => {
    const server = await serve((_req, i) => skillsReply(i));
    const d = llmDiscoverer({
      client: createChatClient(spec(server.url, { contextLimit: 2300 }), env),
      maxCalls: 2,
      queriesPerCall: 12,
      reserveTokens: 2048,
    });
    const out = await d.discover({ mode: "answer", items, agents: [...AGENTS], existing: [], seed: 1 });
    for (const req of server.chatRequests()) {
      const sent = (prompt(req).match(/### Query /g) ?? []).length;
      expect(sent).toBeGreaterThanOrEqual(1);
      expect(sent).toBeLessThan(12);
      expect(prompt(req).length / 4).toBeLessThanOrEqual(2300 - 2048 + 100);
    }
    expect(out.calls.every((c) => (c.queries ?? 0) < 12)).toBe(true);
  });

  it("halves the batch when the server rejects the prompt as too long, and logs the failed call", async () => {
    const server = await serve((_req, i) =>
      i === 0
        ? {
            kind: "error",
            status: 400,
            body: { error: { message: "This model's maximum context length is 4096 tokens" } },
          }
        : skillsReply(i),
    );
    const d = llmDiscoverer({ client: createChatClient(spec(server.url), env), maxCalls: 2, queriesPerCall: 8 });
    const out = await d.discover({ mode: "answer", items, agents: [...AGENTS], existing: [], seed: 1 });
    const sent = server.chatRequests().map((r) => (prompt(r).match(/### Query /g) ?? []).length);
    expect(sent).toEqual([8, 4]);
    expect(out.calls.map((c) => c.ok)).toEqual([false, true]);
    expect(out.calls[0]!.error).toMatch(/maximum context length/);
    expect(out.skills.length).toBeGreaterThan(0);
  });

  it("picks contested queries first, and the namer falls back to the statistical name on bad output", async () => {
    const order = contrastive(items, 1);
    expect(order.length).toBeGreaterThan(0);
    for (const it of order) {
      const wins = it.outcomes.filter((o) => o.score >= 0.5).length;
      expect(wins).toBeGreaterThan(0);
      expect(wins).toBeLessThan(it.outcomes.length);
    }
    const server = await serve([
      {
        kind: "reply",
        toolCalls: [
          {
            name: "name_skill",
            arguments: JSON.stringify({ name: "Multi-step arithmetic", description: "adds and multiplies" }),
          },
        ],
      },
      { kind: "reply", toolCalls: [{ name: "name_skill", arguments: "{not json" }] },
    ]);
    const namer = llmNamer(createChatClient(spec(server.url), env));
    const req = {
      mode: "answer" as const,
      op: "split" as const,
      proposed: {
        id: "answer.a.b",
        name: "sum, total",
        description: "stat",
        indicators: ["sum"],
        examples: ["sum 2 3"],
      },
      from: [],
      others: [],
    };
    expect(await namer.name(req)).toMatchObject({ name: "Multi-step arithmetic", description: "adds and multiplies" });
    const bad = await namer.name(req);
    expect(bad).toMatchObject({ name: "sum, total", description: "stat" });
    expect(bad.calls[0]!.ok).toBe(false);
  });
});
