import { describe, expect, it } from "vitest";
import { foldObservations } from "../../handbook/online.js";
import type { Handbook } from "../../handbook/schema.js";
import { costScaleOf, gate } from "../../src/eval/gate.js";
import { replayIndex } from "../../src/learning/evaluate.js";
import { cost, ev, handbookWith } from "../handbook/helpers.js";
import { rec } from "./helpers.js";

/** Held-back records: four queries; B is right on three, A on all four, C on one. A costs 0.03, B 0.02, C 0.01. */
const HELD = [
  ["q1", { A: 1, B: 1, C: 0 }],
  ["q2", { A: 1, B: 1, C: 1 }],
  ["q3", { A: 1, B: 1, C: 0 }],
  ["q4", { A: 1, B: 0, C: 0 }],
] as const;
const USD = { A: 0.03, B: 0.02, C: 0.01 } as const;
const records = HELD.flatMap(([id, scores]) =>
  (["A", "B", "C"] as const).map((a) => rec(id, `question ${id}`, "t", a, scores[a], USD[a])),
);

/** A mode-level handbook (no skills) whose evidence makes `best` the choice at λ = 0.2. */
function handbook(best: "A" | "B" | "C"): Handbook {
  const strong = ev(90, 10);
  const weak = ev(10, 90);
  return handbookWith(
    [],
    {
      A: { modes: ["answer"], competence: { answer: best === "A" ? strong : weak }, costs: { answer: cost(0.03) } },
      B: { modes: ["answer"], competence: { answer: best === "B" ? strong : weak }, costs: { answer: cost(0.02) } },
      C: { modes: ["answer"], competence: { answer: best === "C" ? strong : weak }, costs: { answer: cost(0.01) } },
    },
    ["answer"],
  );
}

describe("gate", () => {
  it("routes the held-back points with each version and prices cost by the most expensive pool agent's mean", () => {
    const r = gate({ current: handbook("B"), next: handbook("A"), records, lambda: 0.2, tolerance: 0 });
    expect(r.points).toBe(4);
    expect(r.costScale).toBeCloseTo(0.03, 12);
    expect(r.current).toMatchObject({ accuracy: 0.75, missing: 0, calls: { B: 4 } });
    expect(r.current.costUsd).toBeCloseTo(0.02, 12);
    expect(r.current.utility).toBeCloseTo(0.75 - (0.2 * 0.02) / 0.03, 12);
    expect(r.next).toMatchObject({ accuracy: 1, calls: { A: 4 } });
    expect(r.next.utility).toBeCloseTo(1 - 0.2, 12);
    expect(r.pass).toBe(true);
    expect(r.reason).toMatch(/^pass: utility 0\.8000 .* against 0\.6167 .* on 4 held-back points at λ=0\.2/);
  });

  it("keeps a version that loses more utility than the tolerance unpublished, and says why", () => {
    const r = gate({ current: handbook("B"), next: handbook("C"), records, lambda: 0.2, tolerance: 0.05 });
    expect(r.next.accuracy).toBe(0.25);
    expect(r.drop).toBeCloseTo(r.current.utility - r.next.utility, 12);
    expect(r.drop).toBeGreaterThan(0.05);
    expect(r.pass).toBe(false);
    expect(r.reason).toMatch(/^kept unpublished: .*utility drops by 0\.\d{4}, more than the tolerance 0\.05$/);
  });

  it("passes a drop within the tolerance and fails the same drop under a smaller one", () => {
    // At λ = 0, B (0.75) against A (1.0): the drop of going from A to B is 0.25.
    const wide = gate({ current: handbook("A"), next: handbook("B"), records, lambda: 0, tolerance: 0.25 });
    const narrow = gate({ current: handbook("A"), next: handbook("B"), records, lambda: 0, tolerance: 0.2 });
    expect(wide.drop).toBeCloseTo(0.25, 12);
    expect(wide.pass).toBe(true);
    expect(narrow.pass).toBe(false);
  });

  it("routes among the pool's agents only, and normalises cost over them", () => {
    // A removed from the pool: the version that relied on it falls back to its next best, never to a missing agent.
    const r = gate({
      current: handbook("A"),
      next: handbook("B"),
      records,
      pool: ["B", "C"],
      lambda: 0.2,
      tolerance: 0,
    });
    expect(r.costScale).toBeCloseTo(0.02, 12);
    expect(r.current.calls.A).toBeUndefined();
    expect(r.current.missing).toBe(0);
    expect(r.next.calls).toEqual({ B: 4 });
    expect(r.next.utility).toBeCloseTo(0.75 - 0.2, 12);
    expect(costScaleOf(replayIndex(records), ["C"]).scale).toBeCloseTo(0.01, 12);
  });

  it("gates a folded version: outcomes showing the serving choice got worse make the new version pass", () => {
    const current = handbook("A");
    // A is now wrong every time (observed), so the folded version moves away from it.
    const next = foldObservations(
      current,
      Array.from({ length: 300 }, (_, i) => ({
        key: `o${i}`,
        agent: "A",
        mode: "answer" as const,
        skills: [],
        score: 0,
      })),
    ).handbook;
    const r = gate({ current, next, records, lambda: 0.2, tolerance: 0 });
    expect(r.next.calls.A).toBeUndefined();
    // On these held-back records A is still right, so the gate sees the new version as worse and holds it back.
    expect(r.pass).toBe(false);
  });

  it("rejects a bad λ, tolerance or an empty held-back set with one line naming the field", () => {
    const h = handbook("A");
    expect(() => gate({ current: h, next: h, records, lambda: -1, tolerance: 0 })).toThrow(/^gate: \$\.lambda: /);
    expect(() => gate({ current: h, next: h, records, lambda: 0, tolerance: Number.NaN })).toThrow(
      /^gate: \$\.tolerance: /,
    );
    expect(() => gate({ current: h, next: h, records, lambda: 0, tolerance: 0, queries: ["none"] })).toThrow(
      /^gate: \$\.records: no held-back replay point/,
    );
  });
});
