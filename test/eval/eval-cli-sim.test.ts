// The simulated-world orchestration metrics of src/eval/sim.ts (used by bench/orchestrate.ts), on hand-made
// trajectories over a real generated world.
import { describe, expect, it } from "vitest";
import { latentSkills, regretsOf, simMetrics, type SimTrajectory } from "../../src/eval/sim.js";
import { createWorld } from "../../src/sim/index.js";

const world = createWorld({ seed: 7 });
const pool = world.agents.map((a) => a.id).sort();
const task = world.tasks(12, "test").find((t) => t.steps.length >= 2 && t.steps[0]!.mode === "search")!;

describe("sim orchestration metrics", () => {
  it("maps the n-th step taken in a mode to the plan's n-th step of that mode; off-plan steps get none", () => {
    const planSearch = task.steps.filter((s) => s.mode === "search").map((s) => s.skill);
    const planAnswer = task.steps.filter((s) => s.mode === "answer").map((s) => s.skill);
    const hasCode = task.steps.some((s) => s.mode === "code");
    const got = latentSkills(task, ["search", "search", "search", "answer", "code"]);
    expect(got[0]).toBe(planSearch[0]);
    expect(got[2]).toBe(planSearch.at(-1)); // more searches than planned: the last planned one
    expect(got[3]).toBe(planAnswer[0]);
    expect(got[4] === undefined).toBe(!hasCode);
  });

  it("regret is the best utility minus the chosen agent's at λ; per-step collapse counts each index", () => {
    const skill = task.steps[0]!.skill;
    const answerSkill = task.steps.find((s) => s.mode === "answer")!.skill;
    const standings = world.groundTruth.standings(skill, 0.2);
    const best = standings[0]!;
    const worst = standings.at(-1)!;
    const answerBest = world.groundTruth.bestAgent(answerSkill, 0.2).agent;
    const traj = (id: string, searchAgent: string, score: number): SimTrajectory => ({
      taskId: id,
      family: task.family,
      score,
      costUsd: 0.01,
      stopReason: "answered",
      steps: [
        { index: 0, mode: "search", agent: searchAgent, costUsd: 0.004, failed: false, skill },
        { index: 1, mode: "answer", agent: answerBest, costUsd: 0.006, failed: false, skill: answerSkill },
      ],
    });
    const a = traj("a", best.agent, 1);
    const b = traj("b", worst.agent, 0);
    expect(regretsOf(world, a, 0.2)).toEqual([0, 0]);
    expect(regretsOf(world, b, 0.2)[0]).toBeCloseTo(best.utility - worst.utility, 12);
    const m = simMetrics("hand", world, [a, b], 0.2, pool);
    expect(m).toMatchObject({
      tasks: 2,
      accuracy: 0.5,
      meanSteps: 2,
      callsByMode: { search: 2, answer: 2 },
      regretSteps: 4,
      offPlanSteps: 0,
    });
    expect(m.meanCostUsd).toBeCloseTo(0.01, 12);
    expect(m.meanRegret).toBeCloseTo((best.utility - worst.utility) / 4, 12);
    // Step 0: two different agents, one call each → top share 1/2, entropy ln 2 / ln |pool|.
    expect(m.byStep[0]).toMatchObject({ index: 0, calls: 2, topShare: 0.5, modes: { search: 2 } });
    expect(m.byStep[0]!.entropy).toBeCloseTo(Math.log(2) / Math.log(pool.length), 12);
    // Step 1: the same agent twice → collapsed.
    expect(m.byStep[1]).toMatchObject({ calls: 2, topAgent: answerBest, topShare: 1, entropy: 0 });
  });
});
