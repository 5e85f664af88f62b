import { RunnableLambda, type Runnable } from "@langchain/core/runnables";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { beforeAll, describe, expect, it } from "vitest";
import type { OrchestratorStateType, Task } from "../../graphs/orchestrator/state.js";
import { buildSimFixture, fixtureOrchestrator, inputOf, runOnFixture, testTask, type SimFixture } from "./fixture.js";

let fx: SimFixture;
/** What the orchestrator answers for the task when run on its own. */
let expected: OrchestratorStateType;
beforeAll(async () => {
  fx = await buildSimFixture();
  expected = await runOnFixture(fx, testTask(fx.world, "arithmetic"));
}, 60_000);

/** A user's own graph state: a task in, an answer out, plus a field of their own. */
const AppState = Annotation.Root({
  task: Annotation<Task>,
  finalAnswer: Annotation<string | null>,
  shout: Annotation<string>,
});

describe("embedding createOrchestrator(...)", () => {
  it("works as a Runnable: invoke, and piped between other runnables", async () => {
    const task = testTask(fx.world, "arithmetic");
    const orchestrator = await fixtureOrchestrator(fx);
    const direct = (await orchestrator.invoke(inputOf(task))) as OrchestratorStateType;
    expect(direct.finalAnswer).toBe(expected.finalAnswer);

    // A compiled graph is a Runnable; its stream() typing is wider than pipe() expects, hence the cast.
    const asRunnable = orchestrator as unknown as Runnable<{ task: Task }, OrchestratorStateType>;
    const chain = RunnableLambda.from((text: string) => ({ task: { id: task.id, text, family: task.family } }))
      .pipe(asRunnable)
      .pipe(RunnableLambda.from((s: OrchestratorStateType) => `${s.finalAnswer} (${s.stopReason})`));
    expect(await chain.invoke(task.text)).toBe(`${expected.finalAnswer} (answered)`);
    const batch = await chain.batch([task.text, task.text]);
    expect(batch).toEqual([`${expected.finalAnswer} (answered)`, `${expected.finalAnswer} (answered)`]);
  });

  it("works as a subgraph node of a user's StateGraph whose state has task and finalAnswer", async () => {
    const task = testTask(fx.world, "arithmetic");
    const orchestrator = await fixtureOrchestrator(fx);
    const app = new StateGraph(AppState)
      .addNode("solve", orchestrator)
      .addNode("announce", (s: typeof AppState.State) => ({ shout: `ANSWER: ${s.finalAnswer}` }))
      .addEdge(START, "solve")
      .addEdge("solve", "announce")
      .addEdge("announce", END)
      .compile();
    const out = await app.invoke({ task: inputOf(task).task, finalAnswer: null });
    expect(out.finalAnswer).toBe(expected.finalAnswer);
    expect(out.shout).toBe(`ANSWER: ${expected.finalAnswer}`);
    expect(out.task.id).toBe(task.id);
    // The orchestrator's own state (steps, decisions) stays inside it.
    expect(Object.keys(out).sort()).toEqual(["finalAnswer", "shout", "task"]);
  });

  it("works from a wrapper node that calls orchestrator.invoke, and streams its decisions through the parent", async () => {
    const task = testTask(fx.world, "arithmetic");
    const orchestrator = await fixtureOrchestrator(fx);
    const app = new StateGraph(AppState)
      .addNode("solve", async (s: typeof AppState.State, config) => {
        const r = (await orchestrator.invoke(
          { task: s.task },
          config as Parameters<typeof orchestrator.invoke>[1],
        )) as OrchestratorStateType;
        return { finalAnswer: r.finalAnswer };
      })
      .addEdge(START, "solve")
      .addEdge("solve", END)
      .compile();
    const custom: any[] = [];
    let final: Record<string, any> | undefined;
    for await (const [mode, chunk] of await app.stream(
      { task: inputOf(task).task, finalAnswer: null },
      { streamMode: ["custom", "values"], subgraphs: false },
    )) {
      if (mode === "custom") custom.push(chunk);
      else final = chunk as Record<string, any>;
    }
    expect(final!.finalAnswer).toBe(expected.finalAnswer);
    expect(custom.map((e) => e.type)).toEqual(expected.decisions.map(() => "decision"));
    expect(custom.map((e) => e.record.chosen)).toEqual(expected.decisions.map((d) => d.record.chosen));
  });
});
