import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { recordOutcome } from "../../handbook/build.js";
import { posteriorMean } from "../../handbook/competence.js";
import { addAgent, drift, foldObservations, onlineState, type Observation } from "../../handbook/online.js";
import type { Handbook } from "../../handbook/schema.js";
import { validateHandbook } from "../../handbook/validate.js";
import { cost, ev, handbookWith } from "./helpers.js";

const SKILLS = ["answer.a", "answer.a.x", "answer.b", "search.s"];

function base(): Handbook {
  return handbookWith(SKILLS, {
    strong: {
      modes: ["answer", "search"],
      competence: { "answer.a.x": ev(8, 2), "answer.b": ev(3, 3), "search.s": ev(5, 1) },
      costs: { answer: cost(0.01, 10), search: cost(0.002, 6) },
    },
    cheap: { modes: ["answer"], competence: { "answer.a.x": ev(2, 6) }, costs: { answer: cost(0.001, 8) } },
  });
}

const call = (usd: number) => ({ promptTokens: 100, completionTokens: 20, costUsd: usd, latencyMs: 300 });

const obs = (key: string, extra: Partial<Observation> = {}): Observation => ({
  key,
  agent: "strong",
  mode: "answer",
  skills: [{ id: "answer.a.x", weight: 1 }],
  score: 1,
  ...extra,
});

/** Every competence entry of every agent (for "never negative" and "did not move"). */
function competenceOf(h: Handbook) {
  return Object.fromEntries(Object.entries(h.agents).map(([a, p]) => [a, p.competence]));
}

describe("foldObservations", () => {
  it("folds one scored observation as recordOutcome folds one trace, and the result validates", () => {
    const h = base();
    const o = obs("t1:0:feedback", {
      skills: [
        { id: "answer.a.x", weight: 3 },
        { id: "answer.b", weight: 1 },
      ],
      score: 0.75,
      cost: call(0.02),
    });
    const r = foldObservations(h, [o]);
    const expected = recordOutcome(h, { agent: o.agent, mode: o.mode, skills: o.skills, score: 0.75, cost: o.cost });
    expect(r.applied).toBe(1);
    expect(r.costOnly).toBe(0);
    expect(r.skipped).toEqual([]);
    expect(r.folded).toEqual(["t1:0:feedback"]);
    expect(r.handbook.agents.strong!.competence).toEqual(expected.agents.strong!.competence);
    expect(r.handbook.agents.strong!.costs).toEqual(expected.agents.strong!.costs);
    expect(r.handbook.agents.strong!.skillCosts).toEqual({
      "answer.a.x": { meanCostUsd: 0.02, weight: 0.75 },
      "answer.b": { meanCostUsd: 0.02, weight: 0.25 },
    });
    expect(onlineState(r.handbook)).toMatchObject({ applied: 1, costOnly: 0 });
    expect(() => validateHandbook(r.handbook, "folded")).not.toThrow();
    // The input handbook is not changed.
    expect(h.agents.strong!.competence["answer.a.x"]).toEqual(ev(8, 2));
    expect(h.agents.strong!.costs.answer!.count).toBe(10);
  });

  it("scales by the signal's weight, and a step with no skills goes to the mode-level entry", () => {
    const r = foldObservations(base(), [
      obs("a", { score: 1, weight: 0.5 }),
      obs("b", { skills: [], score: 0, weight: 0.25 }),
    ]);
    expect(r.handbook.agents.strong!.competence["answer.a.x"]).toEqual(ev(8.5, 2));
    expect(r.handbook.agents.strong!.competence.answer).toEqual(ev(0, 0.25));
  });

  it("skips, with a reason and never a throw, what the handbook does not know and what is malformed", () => {
    const h = base();
    const bad: Observation[] = [
      obs("unknown-agent", { agent: "nobody" }),
      obs("mode", { agent: "cheap", mode: "search", skills: [{ id: "search.s", weight: 1 }] }),
      obs("skill", { skills: [{ id: "answer.zzz", weight: 1 }] }),
      obs("other-mode-skill", { skills: [{ id: "search.s", weight: 1 }] }),
      obs("score", { score: 1.5 }),
      obs("nan-score", { score: Number.NaN }),
      obs("weight", { weight: -1 }),
      obs("zero-weights", { skills: [{ id: "answer.a.x", weight: 0 }] }),
      obs("cost", { cost: { ...call(0.01), costUsd: -1 } }),
      obs("time", { at: "yesterday" }),
      obs("empty", { score: undefined }),
      obs(""),
    ];
    const r = foldObservations(h, bad);
    expect(r.applied).toBe(0);
    expect(r.handbook).toBe(h);
    expect(r.skipped.map((s) => s.key)).toEqual(bad.map((o) => o.key));
    const reasons = Object.fromEntries(r.skipped.map((s) => [s.key, s.reason]));
    expect(reasons["unknown-agent"]).toBe("agent: unknown agent nobody");
    expect(reasons.mode).toBe("mode: agent cheap does not serve mode search");
    expect(reasons.skill).toBe("skills[0].id: no skill answer.zzz in mode answer");
    expect(reasons["other-mode-skill"]).toBe("skills[0].id: no skill search.s in mode answer");
    expect(reasons.score).toBe("score: must be in [0, 1], got 1.5");
    expect(reasons["nan-score"]).toBe("score: must be in [0, 1], got NaN");
    expect(reasons.weight).toMatch(/^weight: /);
    expect(reasons["zero-weights"]).toBe("skills: weights must not all be 0");
    expect(reasons.cost).toMatch(/^cost\.costUsd: /);
    expect(reasons.time).toMatch(/^at: not an ISO time/);
    expect(reasons.empty).toBe("nothing to fold: no score and no cost");
    expect(reasons[""]).toBe("key: must be a non-empty string");
  });

  it("folds a key once: a repeat in the batch and a key already seen are skipped", () => {
    const h = base();
    const first = foldObservations(h, [obs("k1"), obs("k1", { score: 0 }), obs("k2", { score: 0 })]);
    expect(first.applied).toBe(2);
    expect(first.skipped).toEqual([{ key: "k1", reason: "already folded" }]);
    expect(first.handbook.agents.strong!.competence["answer.a.x"]).toEqual(ev(9, 3));
    const again = foldObservations(first.handbook, [obs("k1"), obs("k2")], { seen: new Set(first.folded) });
    expect(again.applied).toBe(0);
    expect(again.handbook).toBe(first.handbook);
    expect(again.skipped.map((s) => s.reason)).toEqual(["already folded", "already folded"]);
  });

  it("an observation with no score updates the cost and never the competence", () => {
    const h = base();
    const r = foldObservations(h, [obs("c1", { score: undefined, cost: call(0.03) })], {
      forget: { halfLifeRecords: 2 },
    });
    expect(r.applied).toBe(1);
    expect(r.costOnly).toBe(1);
    expect(r.handbook.agents.strong!.competence).toEqual(h.agents.strong!.competence);
    expect(r.handbook.agents.strong!.costs.answer!.count).toBe(11);
    // Decayed by one call at a half-life of 2: weight 10·2^(−1/2), then the new call at weight 1.
    const w = 10 * 2 ** -0.5;
    expect(r.handbook.agents.strong!.costs.answer!.meanCostUsd).toBeCloseTo((0.01 * w + 0.03) / (w + 1), 12);
    expect(onlineState(r.handbook).costWeight.strong?.answer).toBeCloseTo(w + 1, 12);
  });

  it("halves an agent's evidence in the mode after one half-life of its records, and leaves other agents alone", () => {
    const H = 8;
    const stream = Array.from({ length: H }, (_, i) =>
      obs(`d${i}`, { skills: [{ id: "answer.b", weight: 1 }], score: 0.5, weight: 1 }),
    );
    const r = foldObservations(base(), stream, { forget: { halfLifeRecords: H } });
    const c = r.handbook.agents.strong!.competence;
    expect(c["answer.a.x"]!.successes).toBeCloseTo(4, 10);
    expect(c["answer.a.x"]!.failures).toBeCloseTo(1, 10);
    expect(c["search.s"]).toEqual(ev(5, 1)); // another mode: not decayed
    expect(r.handbook.agents.cheap!.competence["answer.a.x"]).toEqual(ev(2, 6)); // another agent: not decayed
  });

  it("halves evidence after one half-life in days between the agent's observations", () => {
    const h = base();
    const day0 = foldObservations(h, [obs("t0", { at: "2026-01-01T00:00:00Z", weight: 0 })], {
      forget: { halfLifeDays: 7 },
    });
    // The first observation sets the clock (nothing before it to decay from).
    expect(day0.handbook.agents.strong!.competence["answer.a.x"]).toEqual(ev(8, 2));
    const week = foldObservations(day0.handbook, [obs("t1", { weight: 0 })], {
      forget: { halfLifeDays: 7, now: "2026-01-08T00:00:00Z" },
    });
    const e = week.handbook.agents.strong!.competence["answer.a.x"]!;
    expect(e.successes).toBeCloseTo(4, 12);
    expect(e.failures).toBeCloseTo(1, 12);
  });

  it("with forgetting, an agent that got worse is noticed; without, its record hides it", () => {
    const worse = Array.from({ length: 30 }, (_, i) => obs(`w${i}`, { score: 0 }));
    const h = foldObservations(
      base(),
      Array.from({ length: 60 }, (_, i) => obs(`g${i}`)),
    ).handbook;
    const kept = foldObservations(h, worse).handbook;
    const forgot = foldObservations(h, worse, { forget: { halfLifeRecords: 6 } }).handbook;
    const mean = (x: Handbook) => posteriorMean(x.agents.strong!.competence["answer.a.x"], x.metadata.prior);
    expect(mean(kept)).toBeGreaterThan(0.6);
    expect(mean(forgot)).toBeLessThan(0.35);
  });

  it("rejects forgetting options that are not positive numbers before any work", () => {
    expect(() => foldObservations(base(), [obs("a")], { forget: { halfLifeRecords: 0 } })).toThrow(
      /forget\.halfLifeRecords/,
    );
    expect(() => foldObservations(base(), [obs("a")], { forget: { halfLifeDays: -1 } })).toThrow(/halfLifeDays/);
    expect(() => foldObservations(base(), [obs("a")], { forget: { now: "soon" } })).toThrow(/forget\.now/);
  });
});

// ---- Properties -----------------------------------------------------------------------------------------------

const arbSkills = fc.oneof(
  fc.constant([] as { id: string; weight: number }[]),
  fc.uniqueArray(
    fc.record({
      id: fc.constantFrom("answer.a", "answer.a.x", "answer.b", "answer.nope"),
      weight: fc.double({ min: 0, max: 3, noNaN: true }),
    }),
    { minLength: 1, maxLength: 3, selector: (s) => s.id },
  ),
);

const arbObservation: fc.Arbitrary<Observation> = fc.record(
  {
    key: fc.constantFrom("k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11"),
    agent: fc.constantFrom("strong", "cheap", "gone"),
    mode: fc.constantFrom("answer" as const, "search" as const),
    skills: arbSkills,
    score: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
    weight: fc.option(fc.double({ min: 0, max: 2, noNaN: true }), { nil: undefined }),
    cost: fc.option(
      fc.record({
        promptTokens: fc.nat(2000),
        completionTokens: fc.nat(500),
        costUsd: fc.double({ min: 0, max: 0.1, noNaN: true }),
        latencyMs: fc.nat(5000),
      }),
      { nil: undefined },
    ),
    at: fc.option(
      fc.integer({ min: 0, max: 60 }).map((d) => new Date(Date.UTC(2026, 0, 1 + d)).toISOString()),
      { nil: undefined },
    ),
  },
  { requiredKeys: ["key", "agent", "mode", "skills"] },
);

const arbForget = fc.option(
  fc.record(
    {
      halfLifeRecords: fc.double({ min: 0.5, max: 50, noNaN: true }),
      halfLifeDays: fc.double({ min: 0.5, max: 30, noNaN: true }),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

describe("foldObservations properties", () => {
  it("without forgetting, folding in two batches equals folding in one", () => {
    fc.assert(
      fc.property(fc.array(arbObservation, { maxLength: 24 }), fc.nat(), (stream, cut) => {
        const at = stream.length === 0 ? 0 : cut % (stream.length + 1);
        const once = foldObservations(base(), stream);
        const first = foldObservations(base(), stream.slice(0, at));
        const second = foldObservations(first.handbook, stream.slice(at), { seen: new Set(first.folded) });
        expect(second.handbook).toEqual(once.handbook);
        expect(first.applied + second.applied).toBe(once.applied);
        expect([...first.folded, ...second.folded]).toEqual(once.folded);
      }),
      { numRuns: 300 },
    );
  });

  it("with forgetting too, since its state travels in the handbook", () => {
    fc.assert(
      fc.property(fc.array(arbObservation, { maxLength: 24 }), fc.nat(), arbForget, (stream, cut, forget) => {
        const at = stream.length === 0 ? 0 : cut % (stream.length + 1);
        const opts = forget ? { forget } : {};
        const once = foldObservations(base(), stream, opts);
        const first = foldObservations(base(), stream.slice(0, at), opts);
        const second = foldObservations(first.handbook, stream.slice(at), { ...opts, seen: new Set(first.folded) });
        expect(second.handbook).toEqual(once.handbook);
      }),
      { numRuns: 200 },
    );
  });

  it("a folded key never counts twice: repeats change nothing, in the batch or in a later one", () => {
    fc.assert(
      fc.property(fc.array(arbObservation, { maxLength: 24 }), arbForget, (stream, forget) => {
        const opts = forget ? { forget } : {};
        const once = foldObservations(base(), stream, opts);
        expect(new Set(once.folded).size).toBe(once.folded.length);
        // The stream followed by itself again: the repeats are all skipped.
        const doubled = foldObservations(base(), [...stream, ...stream], opts);
        expect(doubled.handbook).toEqual(once.handbook);
        const replay = foldObservations(once.handbook, stream, { ...opts, seen: new Set(once.folded) });
        expect(replay.applied).toBe(0);
        expect(replay.handbook).toBe(once.handbook);
      }),
      { numRuns: 200 },
    );
  });

  it("evidence is never negative, and every folded handbook validates", () => {
    fc.assert(
      fc.property(fc.array(arbObservation, { maxLength: 30 }), arbForget, (stream, forget) => {
        const r = foldObservations(base(), stream, forget ? { forget } : {});
        for (const p of Object.values(r.handbook.agents)) {
          for (const e of Object.values(p.competence)) {
            expect(e.successes).toBeGreaterThanOrEqual(0);
            expect(e.failures).toBeGreaterThanOrEqual(0);
          }
          for (const c of Object.values(p.costs)) expect(c!.meanCostUsd).toBeGreaterThanOrEqual(0);
        }
        expect(() => validateHandbook(r.handbook, "folded")).not.toThrow();
        expect(r.applied + r.skipped.length).toBe(stream.length);
      }),
      { numRuns: 200 },
    );
  });

  it("cost-only observations never move competence", () => {
    fc.assert(
      fc.property(fc.array(arbObservation, { maxLength: 24 }), arbForget, (stream, forget) => {
        const costOnly = stream.map((o) => ({ ...o, score: undefined, cost: o.cost ?? call(0.01) }));
        const h = base();
        const r = foldObservations(h, costOnly, forget ? { forget } : {});
        expect(competenceOf(r.handbook)).toEqual(competenceOf(h));
        expect(r.costOnly).toBe(r.applied);
      }),
      { numRuns: 200 },
    );
  });

  it("decay halves evidence after one half-life of records", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0.1, max: 2, noNaN: true }), (n, w) => {
        // n observations of weight w on another skill: n·w records, a half-life of exactly that.
        const stream = Array.from({ length: n }, (_, i) =>
          obs(`h${i}`, { skills: [{ id: "answer.b", weight: 1 }], weight: w }),
        );
        const r = foldObservations(base(), stream, { forget: { halfLifeRecords: n * w } });
        const e = r.handbook.agents.strong!.competence["answer.a.x"]!;
        expect(e.successes).toBeCloseTo(4, 9);
        expect(e.failures).toBeCloseTo(1, 9);
      }),
      { numRuns: 100 },
    );
  });
});

describe("addAgent", () => {
  it("starts a new agent at the prior: no evidence, no cost unless one is given (marked estimated)", () => {
    const h = addAgent(base(), "fresh", ["answer"], { cost: { answer: call(0.0005) } });
    expect(h.agents.fresh!.competence).toEqual({});
    expect(h.agents.fresh!.costs.answer).toMatchObject({ meanCostUsd: 0.0005, count: 1, estimated: true });
    expect(base().agents.fresh).toBeUndefined();
    expect(() => validateHandbook(h, "added")).not.toThrow();
    // It can be folded into at once.
    const r = foldObservations(h, [obs("n1", { agent: "fresh", score: 1 })]);
    expect(r.handbook.agents.fresh!.competence["answer.a.x"]).toEqual(ev(1, 0));
  });

  it("from a parent agent: each of its entries in the new agent's modes, shrunk to `strength` observations", () => {
    const h = addAgent(base(), "child", ["answer"], { from: "strong", strength: 5 });
    const c = h.agents.child!.competence;
    expect(c["answer.a.x"]).toEqual(ev(4, 1)); // 8:2 shrunk to 5 observations, rate 0.8 kept
    expect(c["answer.b"]).toEqual(ev(2.5, 2.5)); // 3:3 shrunk to 5
    expect(c["search.s"]).toBeUndefined(); // not one of the new agent's modes
  });

  it("throws for an id already there, an unknown parent, no modes or a bad strength", () => {
    expect(() => addAgent(base(), "strong", ["answer"])).toThrow(/already in the handbook/);
    expect(() => addAgent(base(), "x", ["answer"], { from: "nobody" })).toThrow(/unknown agent nobody/);
    expect(() => addAgent(base(), "x", [])).toThrow(/no modes/);
    expect(() => addAgent(base(), "x", ["answer"], { strength: 0 })).toThrow(/strength/);
  });
});

describe("drift", () => {
  it("lists the posteriors that moved most first, new agents included, unmoved pairs left out", () => {
    const before = addAgent(base(), "fresh", ["answer"]);
    const after = foldObservations(before, [
      ...Array.from({ length: 6 }, (_, i) => obs(`s${i}`, { agent: "cheap", score: 1 })),
      obs("f1", { agent: "fresh", skills: [{ id: "answer.b", weight: 1 }], score: 0 }),
      obs("s-strong", { score: 1 }),
    ]).handbook;
    const rows = drift(before, after);
    expect(rows.map((r) => `${r.agent}/${r.skill}`)).toEqual([
      "cheap/answer.a.x",
      "fresh/answer.b",
      "strong/answer.a.x",
    ]);
    expect(rows[0]).toMatchObject({ before: 3 / 10, after: 9 / 16, evidenceBefore: 8, evidenceAfter: 14 });
    expect(rows[0]!.delta).toBeCloseTo(9 / 16 - 3 / 10, 12);
    expect(rows[1]).toMatchObject({ before: 0.5, after: 1 / 3, evidenceBefore: 0, evidenceAfter: 1 });
    expect(drift(before, after, 1)).toHaveLength(1);
    expect(drift(after, after)).toEqual([]);
  });
});
