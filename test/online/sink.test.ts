/**
 * The records sink on the real orchestrator graph over the simulated pool: a run whose context names `records`
 * appends one step record per step (with the decision's skills, the agent, cost, tokens, handbook version, task),
 * outcomes known at the end (the answer scored on the task's references), and nothing else; the file reads back
 * with the run-records schema; an execution-records reader refuses it.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InMemoryStore, MemorySaver } from "@langchain/langgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrchestrator } from "../../graphs/orchestrator/graph.js";
import type { OrchestratorStateType } from "../../graphs/orchestrator/state.js";
import { scoreAnswer } from "../../src/explore/score.js";
import { publishHandbook } from "../../src/registry/handbooks.js";
import { loadRecords } from "../../src/records/io.js";
import { parseRunRecords } from "../../src/records/run-records.js";
import { StoreRunRecords } from "../../src/records/run-sink.js";
import { buildSimFixture, fixtureOrchestrator, inputOf, testTask, type SimFixture } from "../orchestrator/fixture.js";

let fx: SimFixture;
let dir: string;
beforeAll(async () => {
  fx = await buildSimFixture();
  dir = mkdtempSync(join(tmpdir(), "online-sink-"));
}, 60_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("records sink", () => {
  it("a run appends its steps and, for a task with references, its scored outcome", async () => {
    const file = join(dir, "runs.jsonl");
    const orchestrator = await fixtureOrchestrator(fx, { checkpointer: new MemorySaver() });
    const task = testTask(fx.world, "capital_lookup");
    const input = { task: { ...inputOf(task).task, references: [task.answer] } };
    const state = (await orchestrator.invoke(input, {
      configurable: { thread_id: "t-1" },
      context: { records: file },
    })) as OrchestratorStateType;
    const read = parseRunRecords(readFileSync(file, "utf8"), file);
    expect(read.torn).toBe(false);
    expect(read.steps.map((s) => s.step)).toEqual(state.steps.map((s) => s.index));
    for (const [i, s] of read.steps.entries()) {
      const st = state.steps[i]!;
      expect(s).toMatchObject({
        thread: "t-1",
        taskId: task.id,
        agent: st.agent,
        mode: st.mode,
        costUsd: st.costUsd,
        promptTokens: st.promptTokens,
        simulated: true,
      });
      expect(s.skills).toEqual(
        state.decisions.filter((d) => d.step === st.index && d.record.chosen === st.agent).at(-1)!.record.skills,
      );
    }
    expect(read.outcomes).toHaveLength(1);
    expect(read.outcomes[0]).toMatchObject({ thread: "t-1", source: "reference", weight: 1 });
    expect(read.outcomes[0]!.step).toBeUndefined();
    expect(read.outcomes[0]!.score).toBe(
      await scoreAnswer(state.finalAnswer ?? "", { id: task.id, text: task.text, references: [task.answer] }),
    );
    // Not execution records: the execution-records reader refuses the file at its first line.
    await expect(loadRecords(file)).rejects.toThrow(/runs\.jsonl:1: \$\.queryId/);
  });

  it("store:NAME writes to the run's store, and the version that routed each step is recorded", async () => {
    const store = new InMemoryStore();
    await publishHandbook(store, "prod", { handbook: fx.handbook, source: "test" });
    const orchestrator = await createOrchestrator({
      handbook: "store:prod",
      agents: fx.agents,
      search: fx.search,
      store,
      checkpointer: new MemorySaver(),
    });
    const task = testTask(fx.world, "capital_lookup");
    await orchestrator.invoke(inputOf(task), {
      configurable: { thread_id: "t-2" },
      context: { records: "store:runs" },
    });
    const read = await new StoreRunRecords(store, "runs").read();
    expect(read.steps.length).toBeGreaterThan(0);
    expect(new Set(read.steps.map((s) => s.handbookVersion))).toEqual(new Set(["prod@v1"]));
    expect(read.outcomes).toEqual([]);
  });

  it("store:NAME with no store is refused before any agent call", async () => {
    const orchestrator = await fixtureOrchestrator(fx);
    await expect(
      orchestrator.invoke(inputOf(testTask(fx.world, "capital_lookup")), { context: { records: "store:runs" } }),
    ).rejects.toThrow(/context records: store:runs: the run has no store/);
  });
});
