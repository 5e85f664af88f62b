import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MemorySaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { buildLearningGraph, graph } from "../../graphs/learning/graph.js";
import { artefactPaths } from "../../src/learning/artefacts.js";
import { loadHandbook } from "../../handbook/store.js";
import { readLog } from "../../src/learning/log.js";
import { silentProgress } from "../../src/learning/progress.js";
import { startOpenAIServer } from "../../bench/support/openai-server.js";
import { loopbackAgent } from "../support/openai-agent.js";
import { synthRecords } from "./helpers.js";
import { writeFixture } from "./fixtures.js";

const fx = writeFixture(synthRecords({ perType: 40 }), "learn-graph-");
afterAll(() => rmSync(fx.dir, { recursive: true, force: true }));

function starts(log: string, run: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of readLog(log)) if (e.run === run && e.event === "phase_start") out[e.phase] = (out[e.phase] ?? 0) + 1;
  return out;
}

describe("learning graph", () => {
  it("is exported compiled, named learning", () => {
    expect(graph.name).toBe("learning");
    expect(Object.keys(graph.nodes)).toEqual(
      expect.arrayContaining(["split", "discover", "profile", "refine", "select", "report"]),
    );
  });

  it("runs every phase and writes the chosen, full and selection files with the learning cost", async () => {
    const out = join(fx.dir, "mem", "H.json");
    const g = buildLearningGraph({ progress: silentProgress }).compile({ checkpointer: new MemorySaver() });
    const final = await g.invoke(
      { records: fx.records, pool: fx.pool, out, seed: 3, labelled: 30, validation: 10 },
      { configurable: { thread_id: "m" } },
    );
    const p = artefactPaths(out);
    expect(final.phases.map((x) => x.phase)).toEqual(["split", "discover", "profile", "refine", "select"]);
    for (const f of [p.chosen, p.full, p.selection, p.split, p.skills, p.profiled, p.refineReport, p.log])
      expect(existsSync(f)).toBe(true);
    const h = loadHandbook(p.chosen);
    expect(h.metadata.learning.cost).toMatchObject({ run: final.run, records: 270, queries: 90, llmCalls: 0 });
    expect(final.cost!.wallMs).toHaveProperty("refine");
    // State stays small: paths and summaries only.
    expect(JSON.stringify(final).length).toBeLessThan(5000);
  });

  it("resumes from its SQLite checkpoint without redoing finished phases", async () => {
    const out = join(fx.dir, "sqlite", "H.json");
    const db = join(fx.dir, "ckpt.sqlite");
    const config = { configurable: { thread_id: "resume-1" } };
    const first = buildLearningGraph({ progress: silentProgress }).compile({
      checkpointer: SqliteSaver.fromConnString(db),
      interruptAfter: ["discover"],
    });
    const partial = await first.invoke({ records: fx.records, pool: fx.pool, out, seed: 3 }, config);
    expect(partial.phases.map((x) => x.phase)).toEqual(["split", "discover"]);
    expect(existsSync(out)).toBe(false);
    // A new process: a fresh saver on the same file, a fresh graph, the same thread.
    const second = buildLearningGraph({ progress: silentProgress }).compile({
      checkpointer: SqliteSaver.fromConnString(db),
    });
    expect((await second.getState(config)).next).toEqual(["profile"]);
    const final = await second.invoke(null, config);
    expect(final.run).toBe(partial.run);
    expect(final.phases.map((x) => x.phase)).toEqual(["split", "discover", "profile", "refine", "select"]);
    expect(starts(artefactPaths(out).log, final.run)).toEqual({
      split: 1,
      discover: 1,
      profile: 1,
      refine: 1,
      select: 1,
    });
    expect(loadHandbook(out).metadata.learning.cost).toMatchObject({ run: partial.run });
  });
});

/** A skill of the scripted discovery reply, named as its id. */
const skill = (id: string, description: string, indicators: string[], example: string) => ({
  id,
  name: id,
  description,
  indicators,
  examples: [example],
});
/** A category of the scripted discovery reply, named as its id. */
const category = (id: string, description: string, skills: ReturnType<typeof skill>[]) => ({
  id,
  name: id,
  description,
  skills,
});

describe("learning graph with a learning model", () => {
  it("discovers with the LLM over loopback HTTP and counts its calls, tokens and USD in the learning cost", async () => {
    const server = await startOpenAIServer((req) => {
      if (req.body?.tools?.[0]?.function?.name === "name_skill")
        return {
          kind: "reply",
          toolCalls: [
            {
              name: "name_skill",
              arguments: JSON.stringify({ name: "renamed", description: "named by the learning model" }),
            },
          ],
        };
      const categories = [
        category("numbers", "arithmetic", [
          skill("sums", "adds", ["sum", "plus", "total"], "sum plus total"),
          skill("products", "multiplies", ["multiply", "product", "divide"], "multiply product"),
        ]),
        category("places", "geography", [
          skill("capitals", "capitals", ["capital", "city", "nation"], "capital city"),
          skill("rivers", "rivers", ["river", "border", "map"], "river border"),
        ]),
        category("verse", "poetry", [
          skill("rhyme", "rhymes", ["rhyme", "poem", "verse"], "rhyme poem"),
          skill("forms", "forms", ["sonnet", "haiku", "stanza"], "sonnet haiku"),
        ]),
      ];
      return {
        kind: "reply",
        toolCalls: [{ name: "skills", arguments: JSON.stringify({ categories }) }],
        usage: { prompt_tokens: 900, completion_tokens: 300 },
      };
    });
    try {
      const pool = JSON.parse(readFileSync(fx.pool, "utf8"));
      pool.agents.push(loopbackAgent("learner", server.url, "LEARN_GRAPH_KEY", { inputPer1M: 1, outputPer1M: 4 }));
      const poolPath = join(fx.dir, "llm-pool.json");
      writeFileSync(poolPath, JSON.stringify(pool));
      const out = join(fx.dir, "llm", "H.json");
      const g = buildLearningGraph({ progress: silentProgress, env: { LEARN_GRAPH_KEY: "sk-loopback" } }).compile();
      const final = await g.invoke({ records: fx.records, pool: poolPath, out, seed: 2, llm: "learner" });
      const cost = final.cost!;
      const requests = server.chatRequests().length;
      expect(cost.llmCalls).toBe(requests);
      expect(cost.llmCallsByMode.answer).toBe(requests);
      expect(requests).toBeGreaterThan(0);
      expect(requests).toBeLessThanOrEqual(60);
      const discoverCalls = server.chatRequests().filter((r) => r.body.tools[0].function.name === "skills").length;
      expect(cost.promptTokens).toBeGreaterThanOrEqual(900 * discoverCalls);
      expect(cost.costUsd).toBeGreaterThan(0);
      const discovered = JSON.parse(readFileSync(artefactPaths(out).skills, "utf8")) as {
        discoverer: string;
        skills: { id: string }[];
      };
      expect(discovered.discoverer).toBe("llm");
      expect(discovered.skills.map((x) => x.id).sort()).toEqual([
        "answer.numbers",
        "answer.numbers.products",
        "answer.numbers.sums",
        "answer.places",
        "answer.places.capitals",
        "answer.places.rivers",
        "answer.verse",
        "answer.verse.forms",
        "answer.verse.rhyme",
      ]);
      const full = loadHandbook(artefactPaths(out).full);
      expect(Object.keys(full.skills)).toEqual(
        expect.arrayContaining(["answer.numbers", "answer.places", "answer.verse"]),
      );
      // Refinements were decided statistically; the learning model only named the skills they made.
      const report = JSON.parse(readFileSync(artefactPaths(out).refineReport, "utf8")) as {
        steps: { kept: boolean; into: string[] }[];
      };
      const made = report.steps.filter((x) => x.kept).flatMap((x) => x.into);
      const namings = server.chatRequests().filter((r) => r.body.tools[0].function.name === "name_skill").length;
      expect(namings).toBe(made.length);
      for (const id of made) if (id in full.skills) expect(full.skills[id]!.name).toBe("renamed");
      // The learning model is not profiled or routed to: it never acted in the records.
      expect(full.agents.learner).toBeUndefined();
      expect(readLog(artefactPaths(out).log).filter((e) => e.event === "llm_call")).toHaveLength(requests);
    } finally {
      await server.close();
    }
  });
});
