/**
 * Many threads on one PostgresSaver, in one process, against a real PostgreSQL server: 50 sim tasks run at the same
 * time, each on a thread of its own, and every thread ends with exactly the state a run of its task alone (no
 * checkpointer) reaches: its own task, steps, documents and decisions, nothing of another's. The state read back from
 * the database by a second saver is the same.
 */
import { createHash } from "node:crypto";
import type { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createOrchestrator } from "../../graphs/orchestrator/graph.js";
import type { CodeRunner } from "../../graphs/orchestrator/resources.js";
import type { OrchestratorStateType } from "../../graphs/orchestrator/state.js";
import { checkpointTarget, openCheckpointer } from "../../src/cli/checkpoint.js";
import { describePostgres, type TestDatabase, testDatabase } from "../support/postgres.js";
import { buildSimFixture, inputOf, outcome, type SimFixture } from "./fixture.js";

const THREADS = 50;

/**
 * A code runner that answers at once, from the program alone (the sandbox is tested elsewhere; here 50 threads would
 * queue on two cores for it). Each program's output names its own hash, so a leaked result would show.
 */
const runCode: CodeRunner = async (language, program) => ({
  language,
  program,
  stdout: `ran ${createHash("sha256").update(program).digest("hex").slice(0, 12)}\n`,
  stderr: "",
  exitCode: 0,
});

describePostgres("PostgresSaver: 50 concurrent threads", () => {
  let fx: SimFixture;
  let db: TestDatabase;
  beforeAll(async () => {
    [fx, db] = await Promise.all([buildSimFixture(), testDatabase()]);
  }, 180_000);
  afterAll(async () => {
    await db?.dispose();
  });

  it("runs 50 tasks at once on one saver; each thread holds only its own task, steps and decisions", async () => {
    const tasks = fx.world.tasks(THREADS, "test");
    expect(new Set(tasks.map((t) => t.text)).size).toBe(THREADS);
    const base = { handbook: fx.handbook, agents: fx.agents, search: fx.search, runCode };

    // Each task alone, without a checkpointer: what its thread must end with.
    const alone = await createOrchestrator(base);
    const expected = new Map<string, ReturnType<typeof outcome>>();
    for (const t of tasks) expected.set(t.id, outcome((await alone.invoke(inputOf(t))) as OrchestratorStateType));

    const target = checkpointTarget({ checkpoint: db.url }, "unused.sqlite");
    const store = await openCheckpointer(target);
    try {
      const graph = await createOrchestrator({ ...base, checkpointer: store.saver });
      const finals = await Promise.all(
        tasks.map(
          async (t, i) =>
            (await graph.invoke(inputOf(t), {
              configurable: { thread_id: `leak-${i}` },
              durability: "sync",
            })) as OrchestratorStateType,
        ),
      );
      finals.forEach((s, i) => {
        expect(s.task.id).toBe(tasks[i]!.id);
        expect(outcome(s)).toEqual(expected.get(tasks[i]!.id));
      });
      const modes = new Set(finals.flatMap((s) => s.steps.map((x) => x.mode)));
      expect([...modes].sort()).toEqual(["answer", "code", "search"]);
    } finally {
      await store.close();
    }

    // Read back by another saver, as another process would: the same 50 states, each under its own thread.
    const reader = await openCheckpointer(target);
    try {
      const graph = await createOrchestrator({ ...base, checkpointer: reader.saver });
      for (const [i, t] of tasks.entries()) {
        const saved = await graph.getState({ configurable: { thread_id: `leak-${i}` } });
        expect(saved.next).toEqual([]);
        expect(outcome(saved.values as OrchestratorStateType)).toEqual(expected.get(t.id));
      }
      const threads = await (reader.saver as PostgresSaver).list({ configurable: {} });
      const seen = new Set<string>();
      for await (const c of threads) seen.add(String(c.config.configurable?.thread_id));
      expect([...seen].sort()).toEqual(tasks.map((_, i) => `leak-${i}`).sort());
    } finally {
      await reader.close();
    }
  }, 60_000);
});
