/**
 * Agent selection speed: 1,000 skills × 100 agents (evidence on every pair), 5 active skills per step.
 * Run: npx tsx bench/select.ts
 * Prints median and p99 per call for the tradeoff rule (mean, quantile, Thompson estimators) and, as same-process
 * baselines, the reference cascade and a naive argmax (Object.entries scan, no decision record, no index).
 * Quantiles are cached per (handbook, prior, q, skill, agent), so after the warm-up the quantile rows measure the
 * cached path; the "uncached" row asks for a new q on every call, so each of its calls computes all 500 quantiles.
 * Each estimator's median is also given as a ratio to the mean estimator's in the same process (the machine may be
 * shared: ratios move less than absolute figures).
 */
import seedrandom from "seedrandom";
import { createHandbook } from "../handbook/build.js";
import { posteriorMean } from "../handbook/competence.js";
import type { Handbook } from "../handbook/schema.js";
import { selectAgent, type ActiveSkill, type SelectOptions } from "../handbook/select.js";

const CATEGORIES = 50;
const PER_CATEGORY = 19; // 50 categories + 950 skills = 1,000 nodes
const AGENTS = 100;
const ACTIVE = 5;
const CALLS = 20_000;
const WARMUP = 3_000;

const rng = seedrandom("bench-select");

function build(): Handbook {
  const h = createHandbook({ now: "2025-01-01T00:00:00.000Z", modes: { search: { description: "retrieve" } } });
  for (let c = 0; c < CATEGORIES; c++) {
    const cat = `search.c${c}`;
    h.skills[cat] = {
      id: cat,
      name: cat,
      description: "",
      indicators: [],
      examples: [],
      mode: "search",
      provenance: { discoveredFrom: [], history: [] },
    };
    for (let s = 0; s < PER_CATEGORY; s++) {
      const id = `${cat}.s${s}`;
      h.skills[id] = {
        id,
        name: id,
        description: "",
        indicators: [],
        examples: [],
        mode: "search",
        parent: cat,
        provenance: { discoveredFrom: [], history: [] },
      };
    }
  }
  const ids = Object.keys(h.skills);
  for (let a = 0; a < AGENTS; a++) {
    const competence: Handbook["agents"][string]["competence"] = {};
    for (const id of ids) competence[id] = { successes: Math.floor(rng() * 10), failures: Math.floor(rng() * 10) };
    h.agents[`agent-${String(a).padStart(3, "0")}`] = {
      modes: ["search"],
      competence,
      costs: {
        search: {
          meanPromptTokens: 1000,
          meanCompletionTokens: 300,
          meanCostUsd: 0.0001 + rng() * 0.01,
          meanLatencyMs: 800,
          count: 20,
          estimated: false,
        },
      },
      strengths: [],
      weaknesses: [],
      routingSignals: [],
    };
  }
  return h;
}

const h = build();
const leaves = Object.keys(h.skills).filter((id) => id.split(".").length === 3);
const steps: ActiveSkill[][] = Array.from({ length: 1024 }, () => {
  const chosen = new Set<string>();
  while (chosen.size < ACTIVE) chosen.add(leaves[Math.floor(rng() * leaves.length)]!);
  return [...chosen].map((id) => ({ id, weight: 0.05 + rng() }));
});

/** A straightforward argmax of the same formula: no index, no decision record. */
function naive(hb: Handbook, skills: ActiveSkill[], lambda: number): string {
  const cands = Object.entries(hb.agents).filter(([, p]) => p.modes.includes("search"));
  const maxCost = Math.max(...cands.map(([, p]) => p.costs.search?.meanCostUsd ?? 0));
  const total = skills.reduce((a, s) => a + s.weight, 0);
  let best = "";
  let bestScore = -Infinity;
  for (const [id, p] of cands) {
    const comp =
      skills.reduce((a, s) => a + s.weight * posteriorMean(p.competence[s.id], hb.metadata.prior), 0) / total;
    const score = comp - lambda * ((p.costs.search?.meanCostUsd ?? maxCost) / maxCost);
    if (score > bestScore) {
      bestScore = score;
      best = id;
    }
  }
  return best;
}

function measure(name: string, fn: (i: number) => unknown, calls = CALLS): { median: number; p99: number } {
  for (let i = 0; i < WARMUP; i++) fn(i);
  const times = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    fn(i);
    times[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  times.sort();
  const median = times[Math.floor(calls / 2)]!;
  const p99 = times[Math.floor(calls * 0.99)]!;
  console.log(`${name.padEnd(34)} median ${median.toFixed(2).padStart(8)} µs   p99 ${p99.toFixed(2).padStart(8)} µs`);
  return { median, p99 };
}

const opts = (i: number, extra: Partial<SelectOptions> = {}): SelectOptions => ({
  mode: "search",
  skills: steps[i & 1023]!,
  lambda: 0.2,
  ...extra,
});

// Agreement check: the indexed rule under the plain posterior and the naive argmax choose the same agent.
for (let i = 0; i < 1024; i++) {
  const a = selectAgent(h, opts(i, { shrinkage: "none" })).chosen;
  const b = naive(h, steps[i]!, 0.2);
  if (a !== b) throw new Error(`disagreement at step ${i}: ${a} vs ${b}`);
}

const fresh = build();
const t0 = process.hrtime.bigint();
selectAgent(fresh, opts(0));
console.log(
  `first call on a new handbook (builds its per-mode index and the "auto" shrinkage table): ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(2)} ms`,
);
console.log(
  `handbook: ${Object.keys(h.skills).length} skills × ${AGENTS} agents, ${ACTIVE} active skills, ${CALLS} calls after ${WARMUP} warm-up`,
);
const mean = measure("tradeoff, mean, default shrinkage auto (target ≤ 50 µs)", (i) => selectAgent(h, opts(i)));
const plain = measure("tradeoff, mean, shrinkage none (plain posterior)", (i) =>
  selectAgent(h, opts(i, { shrinkage: "none" })),
);
const cascade = measure("cascade (reference rule)", (i) => selectAgent(h, opts(i, { strategy: "cascade", seed: i })));
const bare = measure("naive argmax, no record", (i) => naive(h, steps[i & 1023]!, 0.2));
const quantile10 = measure(
  "tradeoff, quantile q = 0.1",
  (i) => selectAgent(h, opts(i, { estimator: { kind: "quantile", q: 0.1 } })),
  5_000,
);
const quantile25 = measure(
  "tradeoff, quantile q = 0.25",
  (i) => selectAgent(h, opts(i, { estimator: { kind: "quantile", q: 0.25 } })),
  5_000,
);
const uncached = measure(
  "tradeoff, quantile, uncached (new q)",
  (i) => selectAgent(h, opts(i, { estimator: { kind: "quantile", q: 0.25 + (i + 1) * 1e-9 } })),
  2_000,
);
const thompson = measure(
  "tradeoff, Thompson",
  (i) => selectAgent(h, opts(i, { estimator: { kind: "thompson", seed: i } })),
  5_000,
);
measure("tradeoff, mean, no skills (mode level)", (i) => selectAgent(h, { mode: "search", lambda: 0.2, seed: i }));
console.log(`ratio shrinkage auto / none: ${(mean.median / plain.median).toFixed(2)}`);
console.log(`ratio tradeoff-mean / cascade: ${(mean.median / cascade.median).toFixed(2)}`);
console.log(`ratio tradeoff-mean / naive argmax: ${(mean.median / bare.median).toFixed(2)}`);
for (const [name, m] of [
  ["quantile q = 0.1", quantile10],
  ["quantile q = 0.25", quantile25],
  ["quantile uncached", uncached],
  ["Thompson", thompson],
] as const)
  console.log(`ratio ${name} / mean: ${(m.median / mean.median).toFixed(2)}`);
console.log(mean.median <= 50 ? "PASS: median within 50 µs" : "FAIL: median above 50 µs");
for (const [name, m] of [
  ["quantile q = 0.1", quantile10],
  ["quantile q = 0.25", quantile25],
  ["Thompson", thompson],
] as const)
  console.log(m.median <= 50 ? `PASS: ${name} median within 50 µs` : `FAIL: ${name} median above 50 µs`);
