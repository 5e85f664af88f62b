import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createOrchestrator } from "../../graphs/orchestrator/graph.js";
import type { OrchestratorStateType } from "../../graphs/orchestrator/state.js";
import { learnHandbook } from "../../src/eval/learned.js";
import { chooseFor } from "../../handbook/serve.js";
import { stepAt } from "../../handbook/lambda-path.js";
import { LEARNING_DEFAULTS } from "../../src/learning/pipeline.js";
import { loadSelection, servingChoice } from "../../handbook/store.js";
import { loadPool } from "../../src/pool/load.js";
import { writeFixture } from "./fixtures.js";
import { synthRecords } from "./helpers.js";

/** Learn on synthetic records where each query type has its own best agent at its own price. */
async function learned(budgetUsd?: number) {
  const fx = writeFixture(synthRecords({ perType: 40, seed: "serve" }), "serve-");
  const l = await learnHandbook(
    {
      ...LEARNING_DEFAULTS,
      records: fx.records,
      pool: fx.pool,
      labelled: 30,
      seed: 3,
      minCount: 4,
      ...(budgetUsd !== undefined ? { budgetUsd } : {}),
    },
    join(fx.dir, "learn"),
  );
  return { fx, l, selectionPath: join(fx.dir, "learn", "H.selection.json") };
}

describe("a learned selection serves each λ and budget", () => {
  it("keeps every candidate with its validation curve, and a different λ can pick a different candidate", async () => {
    const { l, selectionPath } = await learned();
    const s = loadSelection(selectionPath);
    // Every candidate keeps its curve; those some λ or budget can pick are saved, and chooseFor picks among them only.
    const deployed = l.selection.candidates.filter((c) => c.deployed !== false);
    expect(s.handbooks.size).toBe(deployed.length);
    expect(deployed.length).toBeGreaterThan(0);
    // The text clusterings and the mode-level view are always candidates.
    const ids = l.selection.candidates.map((c) => c.id);
    expect(ids).toContain("answer=0");
    expect(ids.some((id) => id.startsWith("clusters-"))).toBe(true);
    for (const c of s.selection.candidates) expect(c.curve!.steps.length).toBeGreaterThan(0);
    // At λ = 0 the three types' specialists beat any single agent: a candidate with skills serves it.
    const at0 = chooseFor(s.selection, { lambda: 0 });
    expect(s.handbooks.get(at0.candidate)!.skills).not.toEqual({});
    // The choice at each λ is the best validation objective at that λ among all candidates.
    for (const lambda of [0, 0.1, 0.5, 2]) {
      const c = chooseFor(s.selection, { lambda });
      const objective = (id: string) => {
        const cand = s.selection.candidates.find((x) => x.id === id)!;
        const st = stepAt(cand.curve!, lambda);
        return st.accuracy - lambda * (st.meanCostUsd / cand.curve!.maxMeanCostUsd);
      };
      for (const other of s.selection.candidates)
        expect(objective(c.candidate)).toBeGreaterThanOrEqual(objective(other.id) - 1e-12);
    }
  }, 60_000);

  it("meets a budget on validation with the frontier's accuracy at that cost, in learn and in a run", async () => {
    const probe = await learned();
    const costs = probe.l.selection.candidates.flatMap((c) => c.curve!.steps.map((st) => st.meanCostUsd));
    const budget = (Math.min(...costs) + Math.max(...costs)) / 2;
    const { fx, l, selectionPath } = await learned(budget);
    expect(l.selection.by).toEqual({ budgetUsd: budget });
    const chosen = l.selection.candidates.find((c) => c.id === l.selection.chosen)!;
    const at = stepAt(chosen.curve!, l.selection.lambda);
    expect(at.meanCostUsd).toBeLessThanOrEqual(budget);
    // No (candidate, λ) within the budget is more accurate on validation.
    for (const c of l.selection.candidates)
      for (const st of c.curve!.steps)
        if (st.meanCostUsd <= budget) expect(st.accuracy).toBeLessThanOrEqual(at.accuracy + 1e-12);

    // A run with the same budget is routed with that candidate and the λ solved for it.
    const selection = loadSelection(selectionPath);
    const serving = servingChoice(selection, { lambda: 0, budgetUsd: budget });
    expect(serving.candidate).toBe(l.selection.chosen);
    const orchestrator = await createOrchestrator({ handbook: l.handbook, pool: loadPool(fx.pool), selection });
    const out = (await orchestrator.invoke({
      task: { id: "q-arith-0", text: "sum multiply digits total item a" },
      settings: { budgetUsd: budget },
    })) as OrchestratorStateType;
    const first = out.decisions[0]!;
    expect(first.candidate).toBe(serving.candidate);
    expect(first.record.lambda).toBeCloseTo(serving.lambda, 12);
    // With λ instead of a budget, the run is routed with the candidate chosen for that λ.
    const byLambda = (await orchestrator.invoke({
      task: { id: "q-poem-1", text: "rhyme poem verse item b" },
      settings: { lambda: 0 },
    })) as OrchestratorStateType;
    expect(byLambda.decisions[0]!.candidate).toBe(chooseFor(selection.selection, { lambda: 0 }).candidate);
    expect(byLambda.decisions[0]!.record.lambda).toBe(0);
  }, 60_000);
});
