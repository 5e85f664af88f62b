/**
 * Orchestrator graph overhead per step, excluding the agent call (and the search tool's own time).
 * Run: npx tsx bench/graph.ts
 *
 * Agents are zero-latency replay agents answering from records held in memory; the handbook is profiled from those
 * records (8 task families, one skill per (mode, family)). Many tasks go through `createOrchestrator` and each task's
 * wall time, minus the time spent inside agents' `act` (and the search backend), is divided by its steps.
 * Variants: answer mode only (1 step per task); search + answer over a tiny in-memory index (2 steps); the same with
 * a MemorySaver checkpointer (a thread per task). Baseline, same process: the pure functions a step calls
 * (`openStep`, `offlineChoice`, `decideStep`) in a plain loop over the same tasks.
 */
import { MemorySaver } from "@langchain/langgraph";
import seedrandom from "seedrandom";
import type { Handbook } from "../handbook/index.js";
import { createOrchestrator } from "../graphs/orchestrator/graph.js";
import { ORCHESTRATOR_DEFAULTS } from "../graphs/orchestrator/configuration.js";
import { offlineChoice } from "../graphs/orchestrator/policy.js";
import { decideStep, openStep, type StepState, type StepWorld } from "../graphs/orchestrator/step.js";
import type { OrchestratorStateType } from "../graphs/orchestrator/state.js";
import { profileByTask } from "../src/demo/profile.js";
import type { Mode } from "../src/core/modes.js";
import type { AgentSpec, Pool } from "../src/pool/schema.js";
import { createReplayAgent } from "../src/providers/replay.js";
import type { Agent } from "../src/providers/types.js";
import type { ExecutionRecord } from "../src/records/schema.js";
import { LocalSearch, type SearchBackend } from "../tools/search/index.js";

const TASKS = Number(process.argv[2] ?? 1500);
const WARMUP = 200;
const rng = seedrandom("bench-graph");
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;

const FAMILIES: Record<string, { template: (x: string) => string; entities: string[] }> = {
  capital: {
    template: (x) => `Which city is the capital of ${x}?`,
    entities: ["Lanonia", "Vespera", "Korrin", "Dalmore", "Ostrava", "Pellin"],
  },
  founder: {
    template: (x) => `In which year was the founder of ${x} born?`,
    entities: ["Gai Textiles", "Orno Steel", "Vell Mining", "Tarn Foods"],
  },
  convert: {
    template: (x) => `How many millimetres are in ${x} centimetres?`,
    entities: ["23", "7", "410", "58", "91"],
  },
  arith: { template: (x) => `What is ${x} multiplied by 17 plus 4?`, entities: ["12", "303", "77", "5"] },
  define: {
    template: (x) => `Give a short definition of the word ${x}.`,
    entities: ["entropy", "osmosis", "tariff", "sonnet"],
  },
  stats: { template: (x) => `What is the median of the series ${x}?`, entities: ["3 9 4 1", "10 2 8", "5 5 6 7 1"] },
  river: {
    template: (x) => `Which river flows through the town of ${x}?`,
    entities: ["Brelle", "Utha", "Mossgard", "Fenwick"],
  },
  author: {
    template: (x) => `Who wrote the novel titled ${x}?`,
    entities: ["The Grey Harbour", "Salt and Iron", "Night Orchard"],
  },
};
const FAMILY_IDS = Object.keys(FAMILIES);

interface BenchTask {
  id: string;
  text: string;
  family: string;
}
const makeTasks = (n: number, split: string): BenchTask[] =>
  Array.from({ length: n }, (_, i) => {
    const family = FAMILY_IDS[i % FAMILY_IDS.length]!;
    return { id: `${split}-${i}`, text: FAMILIES[family]!.template(pick(FAMILIES[family]!.entities)), family };
  });

const AGENTS = [
  { id: "large", price: { inputPer1M: 2, outputPer1M: 8 } },
  { id: "medium", price: { inputPer1M: 0.4, outputPer1M: 1.6 } },
  { id: "small", price: { inputPer1M: 0.1, outputPer1M: 0.4 } },
  { id: "tiny", price: { inputPer1M: 0.02, outputPer1M: 0.08 } },
];

function poolFor(modes: Mode[]): Pool {
  return {
    version: 1,
    name: "bench",
    agents: AGENTS.map(
      (a) =>
        ({
          id: a.id,
          modes,
          provider: "replay",
          model: a.id,
          price: a.price,
          replay: { records: "(memory)" },
        }) as AgentSpec,
    ),
  };
}

function recordsFor(tasks: BenchTask[], modes: Mode[]): ExecutionRecord[] {
  const out: ExecutionRecord[] = [];
  for (const t of tasks)
    for (const a of AGENTS)
      for (const mode of modes) {
        const score = rng() < 0.5 + 0.1 * AGENTS.indexOf(a) * (t.family.length % 3 === 0 ? 1 : -1) ? 1 : 0;
        const promptTokens = 400 + Math.floor(rng() * 200);
        const completionTokens = 40 + Math.floor(rng() * 60);
        out.push({
          queryId: t.id,
          query: t.text,
          task: t.family,
          references: [],
          agent: a.id,
          mode,
          response: mode === "search" ? t.text : `answer to ${t.id}`,
          score,
          success: score >= 0.5,
          promptTokens,
          completionTokens,
          costUsd: (promptTokens * a.price.inputPer1M + completionTokens * a.price.outputPer1M) / 1e6,
          costEstimated: false,
          latencyMs: 0,
          provider: "replay",
          simulated: true,
          acted: true,
        });
      }
  return out;
}

/** Agents that time their own `act`, so the bench can subtract it. */
function timed(agents: Agent[], clock: { ms: number }): Map<string, Agent> {
  return new Map(
    agents.map((a) => [
      a.spec.id,
      {
        spec: a.spec,
        act: async (req, o) => {
          const t = performance.now();
          try {
            return await a.act(req, o);
          } finally {
            clock.ms += performance.now() - t;
          }
        },
      } satisfies Agent,
    ]),
  );
}

function timedSearch(index: LocalSearch, clock: { ms: number }): SearchBackend {
  return {
    search(q, k) {
      const t = performance.now();
      try {
        return index.search(q, k);
      } finally {
        clock.ms += performance.now() - t;
      }
    },
  };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const fmt = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(3)} ms`);

interface Result {
  name: string;
  stepsPerTask: number;
  median: number;
  p99: number;
  mean: number;
}

async function runVariant(
  name: string,
  modes: Mode[],
  train: BenchTask[],
  test: BenchTask[],
  checkpointer: boolean,
): Promise<Result & { handbook: Handbook }> {
  const records = recordsFor([...train, ...test], modes);
  const pool = poolFor(modes);
  const handbook = profileByTask(
    records.filter((r) => train.some((t) => t.id === r.queryId)),
    pool,
    "2025-01-01T00:00:00.000Z",
  );
  const replay = await Promise.all(pool.agents.map((spec) => createReplayAgent(spec, records)));
  const clock = { ms: 0 };
  const corpus = FAMILY_IDS.flatMap((f) =>
    FAMILIES[f]!.entities.map((e, i) => ({
      id: `${f}-${i}`,
      title: `${e} (${f})`,
      text: `${FAMILIES[f]!.template(e)} Notes about ${e} and ${f}.`,
    })),
  );
  const graph = await createOrchestrator({
    handbook,
    agents: timed(replay, clock),
    ...(modes.includes("search") ? { search: timedSearch(LocalSearch.fromDocuments(corpus), clock) } : {}),
    defaults: { lambda: 0.2, maxSteps: 8 },
    ...(checkpointer ? { checkpointer: new MemorySaver() } : {}),
  });
  const perStep: number[] = [];
  let steps = 0;
  for (let i = 0; i < WARMUP + test.length; i++) {
    const t = test[i % test.length]!;
    clock.ms = 0;
    const t0 = performance.now();
    const state = (await graph.invoke(
      { task: { id: t.id, text: t.text, family: t.family } },
      checkpointer ? { configurable: { thread_id: `${name}-${i}` } } : {},
    )) as OrchestratorStateType;
    const wall = performance.now() - t0;
    if (state.stopReason !== "answered") throw new Error(`${name}: task ${t.id} stopped with ${state.stopReason}`);
    if (i < WARMUP) continue;
    steps += state.steps.length;
    perStep.push((wall - clock.ms) / state.steps.length);
  }
  return {
    name,
    handbook,
    stepsPerTask: steps / test.length,
    median: quantile(perStep, 0.5),
    p99: quantile(perStep, 0.99),
    mean: perStep.reduce((a, b) => a + b, 0) / perStep.length,
  };
}

/** The pure work of one step, the functions the orchestrator node calls: openStep, the offline policy, decideStep. */
function baseline(handbook: Handbook, test: BenchTask[], modes: Mode[]): { median: number; p99: number } {
  const world: StepWorld = {
    handbook,
    agents: AGENTS.map((a) => ({ id: a.id, modes })),
    settings: { ...ORCHESTRATOR_DEFAULTS, lambda: 0.2 },
  };
  const times: number[] = [];
  for (let i = 0; i < WARMUP * 5 + test.length * 3; i++) {
    const t = test[i % test.length]!;
    const state: StepState = {
      task: { id: t.id, text: t.text },
      steps: [],
      documents: [],
      codeResults: [],
      attempts: [],
      failures: [],
      consulting: null,
      costUsd: 0,
      dispatch: null,
    };
    const t0 = performance.now();
    const open = openStep(world, state, modes, 0, Number.POSITIVE_INFINITY);
    if (open.kind !== "ask") throw new Error(`baseline: step opened as ${open.kind}`);
    const out = decideStep(
      world,
      state,
      { ...offlineChoice(open.input, handbook), policy: "offline", costUsd: 0 },
      modes,
    );
    const dt = performance.now() - t0;
    if (out.kind !== "dispatch") throw new Error("baseline: no agent chosen");
    if (i >= WARMUP * 5) times.push(dt);
  }
  return { median: quantile(times, 0.5), p99: quantile(times, 0.99) };
}

const train = makeTasks(160, "train");
const test = makeTasks(TASKS, "test");

console.log(
  `graph overhead per step (wall − agents' act − search tool), ${TASKS} tasks after ${WARMUP} warm-up, zero-latency replay agents`,
);
const results: (Result & { handbook: Handbook })[] = [];
results.push(await runVariant("answer only", ["answer"], train, test, false));
results.push(await runVariant("search + answer", ["search", "answer"], train, test, false));
results.push(await runVariant("search + answer, MemorySaver", ["search", "answer"], train, test, true));
const base = baseline(results[0]!.handbook, test, ["answer"]);
const baseSearch = baseline(results[1]!.handbook, test, ["search", "answer"]);

for (const r of results) {
  const b = r.name === "answer only" ? base : baseSearch;
  console.log(
    `${r.name.padEnd(30)} steps/task ${r.stepsPerTask.toFixed(2)}  median ${fmt(r.median).padStart(9)}  p99 ${fmt(r.p99).padStart(9)}  mean ${fmt(r.mean).padStart(9)}  ` +
      `× baseline median ${(r.median / b.median).toFixed(1)}`,
  );
}
console.log(
  `baseline (openStep + offlineChoice + decideStep, answer)   median ${fmt(base.median)}  p99 ${fmt(base.p99)}`,
);
console.log(
  `baseline (openStep + offlineChoice + decideStep, s + a)   median ${fmt(baseSearch.median)}  p99 ${fmt(baseSearch.p99)}`,
);
const worst = Math.max(...results.map((r) => r.p99));
console.log(
  `target ≤ 5 ms per step: ${results.every((r) => r.median <= 5) ? "met" : "NOT met"} at the median; worst p99 ${fmt(worst)}`,
);
