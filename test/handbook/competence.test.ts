import { describe, expect, it } from "vitest";
import {
  credibleInterval,
  evidenceViaAncestors,
  modeEvidence,
  posterior,
  posteriorMean,
  posteriorQuantile,
  rawRate,
  seededRng,
  thompsonSample,
  update,
} from "../../handbook/competence.js";
import { recordOutcome } from "../../handbook/build.js";
import { validateHandbook } from "../../handbook/validate.js";
import { ev, handbookWith } from "./helpers.js";

describe("weighted fractional updates", () => {
  it("adds weight·score successes and weight·(1 − score) failures", () => {
    expect(update(undefined, 1, 0.25)).toEqual(ev(0.25, 0));
    expect(update(ev(2, 1), 0, 0.5)).toEqual(ev(2, 1.5));
    expect(update(ev(2, 1), 0.75, 0.5)).toEqual(ev(2.375, 1.125));
    expect(update(ev(0, 0), 1)).toEqual(ev(1, 0));
  });

  it("rejects scores outside [0, 1] and negative weights", () => {
    expect(() => update(undefined, 1.5, 1)).toThrow(/score must be in \[0, 1\]/);
    expect(() => update(undefined, 0.5, -1)).toThrow(/weight/);
  });

  it("recordOutcome normalises skill weights so one trace is one observation", () => {
    const h0 = handbookWith(["search.a", "search.a.x", "search.a.y"], { ag: { modes: ["search"] } });
    const h1 = recordOutcome(h0, {
      agent: "ag",
      mode: "search",
      skills: [
        { id: "search.a.x", weight: 3 },
        { id: "search.a.y", weight: 1 },
      ],
      score: 1,
      cost: { promptTokens: 100, completionTokens: 20, costUsd: 0.002, latencyMs: 300 },
    });
    const h2 = recordOutcome(h1, {
      agent: "ag",
      mode: "search",
      skills: [],
      score: 0,
      cost: { promptTokens: 300, completionTokens: 40, costUsd: 0.004, latencyMs: 500 },
    });
    expect(h2.agents.ag!.competence).toEqual({
      "search.a.x": ev(0.75, 0),
      "search.a.y": ev(0.25, 0),
      search: ev(0, 1),
    });
    expect(modeEvidence(h2, "ag", "search")).toEqual(ev(1, 1));
    expect(h2.agents.ag!.costs.search).toEqual({
      meanPromptTokens: 200,
      meanCompletionTokens: 30,
      meanCostUsd: 0.003,
      meanLatencyMs: 400,
      count: 2,
      estimated: false,
    });
    expect(h0.agents.ag!.competence).toEqual({});
    validateHandbook(h2, "mem");
  });
});

describe("posterior", () => {
  it("an unseen pair is the prior, never 0", () => {
    expect(posteriorMean(undefined)).toBe(0.5);
    expect(posteriorMean(undefined, { alpha: 2, beta: 6 })).toBe(0.25);
    expect(posterior(undefined, { alpha: 3, beta: 4 })).toEqual({ alpha: 3, beta: 4 });
    expect(rawRate(undefined)).toBe(0);
  });

  it("mean includes the prior", () => {
    expect(posteriorMean(ev(8, 0))).toBeCloseTo(0.9, 12);
    expect(posteriorMean(ev(1.5, 0.5), { alpha: 0.5, beta: 0.5 })).toBeCloseTo(2 / 3, 12);
  });

  it("quantiles are ordered and bracket the mean", () => {
    const e = ev(7, 3);
    const qs = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99].map((q) => posteriorQuantile(e, q));
    for (let i = 1; i < qs.length; i++) expect(qs[i]!).toBeGreaterThan(qs[i - 1]!);
    const [lo, hi] = credibleInterval(e, 0.9);
    expect(lo).toBeCloseTo(qs[1]!, 12);
    expect(hi).toBeCloseTo(qs[5]!, 12);
    expect(lo).toBeLessThan(posteriorMean(e));
    expect(hi).toBeGreaterThan(posteriorMean(e));
    // Beta(1, 1) is uniform: its quantiles are the identity.
    expect(posteriorQuantile(undefined, 0.3)).toBeCloseTo(0.3, 9);
    // More evidence at the same rate narrows the interval.
    const [lo2, hi2] = credibleInterval(ev(70, 30), 0.9);
    expect(hi2 - lo2).toBeLessThan(hi - lo);
  });

  it("Thompson draws are deterministic under a seed and follow the posterior", () => {
    const draw = (seed: string) => {
      const rng = seededRng(seed);
      return Array.from({ length: 5 }, () => thompsonSample(ev(3, 1), rng));
    };
    expect(draw("s1")).toEqual(draw("s1"));
    expect(draw("s1")).not.toEqual(draw("s2"));
    const rng = seededRng(42);
    const xs = Array.from({ length: 4000 }, () => thompsonSample(ev(6, 2), rng));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean).toBeCloseTo(0.7, 1.5);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThanOrEqual(1);
  });
});

describe("competence via ancestors", () => {
  it("borrows from the nearest ancestor subtree with evidence, then the mode, else the prior", () => {
    const h = handbookWith(["search.a", "search.a.x", "search.a.y", "search.b", "search.b.z"], {
      ag: { modes: ["search"], competence: { "search.a.x": ev(2, 1), search: ev(1, 1) } },
      none: { modes: ["search"] },
    });
    expect(evidenceViaAncestors(h, "ag", "search.a.x")).toEqual({ evidence: ev(2, 1), from: "search.a.x" });
    expect(evidenceViaAncestors(h, "ag", "search.a.y")).toEqual({ evidence: ev(2, 1), from: "search.a" });
    expect(evidenceViaAncestors(h, "ag", "search.b.z")).toEqual({ evidence: ev(3, 2), from: "search" });
    expect(evidenceViaAncestors(h, "none", "search.b.z")).toEqual({ evidence: ev(0, 0) });
  });
});
