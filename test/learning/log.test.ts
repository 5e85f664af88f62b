import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatLearningCost, learningCost, LearningLog, readLog } from "../../src/learning/log.js";

describe("learning log", () => {
  it("appends phases, calls and refinements, and sums the learning cost of one run", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "learn-log-")), "sub", "log.jsonl");
    const a = new LearningLog(path, "run-a");
    await a.phase("split", async () => ({ result: 1, records: 90, queries: 10 }));
    await a.phase("discover", async () => {
      a.calls([
        {
          phase: "discover",
          mode: "answer",
          purpose: "discover",
          promptTokens: 100,
          completionTokens: 20,
          costUsd: 0.01,
          costEstimated: false,
          latencyMs: 5,
          ok: true,
        },
        {
          phase: "discover",
          mode: "code",
          purpose: "discover",
          promptTokens: 50,
          completionTokens: 0,
          costUsd: 0.002,
          costEstimated: true,
          latencyMs: 5,
          ok: false,
          error: "bad",
        },
      ]);
      return { result: 2 };
    });
    a.write({
      event: "refinement",
      op: "split",
      skills: ["answer.x"],
      kept: false,
      before: 0.5,
      after: 0.4,
      test: { g: 9, df: 2, p: 0.001 },
    });
    const b = new LearningLog(path, "run-b");
    await b.phase("split", async () => ({ result: 3, records: 5 }));
    const before = readFileSync(path, "utf8");
    const c = learningCost(readLog(path), "run-a");
    expect(c).toMatchObject({
      run: "run-a",
      records: 90,
      queries: 10,
      llmCalls: 2,
      llmCallsByMode: { answer: 1, code: 1 },
      promptTokens: 150,
      completionTokens: 20,
      costEstimated: true,
      refinements: { kept: 0, rolledBack: 1 },
    });
    expect(c.costUsd).toBeCloseTo(0.012, 12);
    expect(Object.keys(c.wallMs)).toEqual(["split", "discover"]);
    expect(formatLearningCost(c)).toMatch(/^learning cost \(run run-a\):\n {2}records used 90/);
    // Append-only: reading never rewrites, and a torn last line is skipped.
    expect(readFileSync(path, "utf8")).toBe(before);
    const lines = before
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.event)).toEqual([
      "phase_start",
      "phase_end",
      "phase_start",
      "llm_call",
      "llm_call",
      "phase_end",
      "refinement",
      "phase_start",
      "phase_end",
    ]);
  });

  it("sums the live validation runs of select into the learning cost, per run", () => {
    const path = join(mkdtempSync(join(tmpdir(), "learn-log-")), "log.jsonl");
    const a = new LearningLog(path, "run-a");
    a.write({ event: "validation", candidate: "search=0", runs: 4, costUsd: 0.002, costEstimated: false });
    a.write({ event: "validation", candidate: "search=1", runs: 4, costUsd: 0.003, costEstimated: false });
    new LearningLog(path, "run-b").write({
      event: "validation",
      candidate: "x",
      runs: 9,
      costUsd: 1,
      costEstimated: true,
    });
    const cost = learningCost(readLog(path), "run-a");
    expect(cost.validationRuns).toBe(8);
    expect(cost.validationUsd).toBeCloseTo(0.005, 12);
    expect(cost.costEstimated).toBe(false);
    expect(formatLearningCost(cost)).toContain("validation runs 8 (target orchestrator, live), $0.0050");
    expect(formatLearningCost(learningCost(readLog(path), "none"))).not.toContain("validation runs");
  });
});
