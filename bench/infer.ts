/**
 * Offline-policy skill inference with 1,000 skills, and the memory of a 20-step run.
 * Run: npx tsx bench/infer.ts
 *
 * 1. A handbook of 1,000 skills over the three modes, each with 8 indicators and 3 examples drawn from a
 *    4,000-word vocabulary. Times the one-time matcher build (BM25 index over names, descriptions, indicators and
 *    examples), then `offlineChoice` per step with a warm matcher, over tasks at different points of a trajectory.
 *    Baseline, same process: one `matcher.match` of the task text (a single index lookup).
 * 2. A 20-step run: `createOrchestrator` with a MemorySaver, maxSteps 20, and one agent that searches and then
 *    always answers evasively, so every answer is rejected and the loop runs to the step limit (plus the one forced
 *    answer). Reports heap and RSS growth (after GC), the peak during the run, and the checkpoints' size.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { MemorySaver } from "@langchain/langgraph";
import seedrandom from "seedrandom";
import { createHandbook, type Handbook } from "../handbook/index.js";
import { SkillMatcher } from "../handbook/matcher.js";
import { createOrchestrator } from "../graphs/orchestrator/graph.js";
import { offlineChoice, type PolicyInput } from "../graphs/orchestrator/policy.js";
import { handbookMatcher } from "../handbook/matcher.js";
import type { OrchestratorStateType } from "../graphs/orchestrator/state.js";
import { MODES } from "../src/core/modes.js";
import type { Agent, StepRequest, StepResult } from "../src/providers/types.js";
import { LocalSearch } from "../tools/search/index.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const SKILLS = 1000;
const VOCAB = 4000;
const CALLS = 5000;
const WARMUP = 500;
const rng = seedrandom("bench-infer");
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;

const SYLLABLES = "ka lo mi ne ru ta vo shi pe dra gon til mar qua zen bel cor fin hal jor".split(" ");
const vocab: string[] = [];
const seen = new Set<string>();
while (vocab.length < VOCAB) {
  const w = Array.from({ length: 2 + Math.floor(rng() * 3) }, () => pick(SYLLABLES)).join("");
  if (!seen.has(w)) {
    seen.add(w);
    vocab.push(w);
  }
}
const COMMON = "the of a which what how many find compute list given value year city number".split(" ");
const sentence = (words: readonly string[], n: number) =>
  Array.from({ length: n }, () => (rng() < 0.6 ? pick(words) : pick(COMMON))).join(" ");

function buildHandbook(): Handbook {
  const h = createHandbook({
    now: "2025-01-01T00:00:00.000Z",
    modes: {
      search: { description: "retrieve documents" },
      code: { description: "run a program" },
      answer: { description: "give the final answer" },
    },
  });
  for (let i = 0; i < SKILLS; i++) {
    const mode = MODES[i % MODES.length]!;
    const own = Array.from({ length: 12 }, () => pick(vocab));
    const id = `${mode}.skill_${i}`;
    h.skills[id] = {
      id,
      name: `${own[0]} ${own[1]}`,
      description: `${mode} steps of ${own.slice(0, 4).join(" ")} tasks`,
      indicators: own.slice(0, 8),
      examples: Array.from({ length: 3 }, () => sentence(own, 10)),
      mode,
      provenance: { discoveredFrom: [], history: [] },
    };
  }
  return h;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const fmt = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

// ---- 1. inference ----
const handbook = buildHandbook();
const skills = Object.values(handbook.skills);

let t0 = performance.now();
const cold = handbookMatcher(handbook);
const coldBuild = performance.now() - t0;
const builds: number[] = [];
for (let i = 0; i < 5; i++) {
  t0 = performance.now();
  new SkillMatcher(skills);
  builds.push(performance.now() - t0);
}
console.log(
  `${SKILLS} skills (${MODES.map((m) => `${skills.filter((s) => s.mode === m).length} ${m}`).join(", ")}), vocabulary ${VOCAB} words`,
);
console.log(
  `matcher build (one-time per handbook): first ${fmt(coldBuild)}, then median of 5 ${fmt(quantile(builds, 0.5))}`,
);

/** A task phrased from one skill's words, at a random point of a trajectory. */
function inputAt(i: number): PolicyInput {
  const skill = skills[(i * 7919) % skills.length]!;
  const words = [...skill.indicators, ...skill.examples.join(" ").split(" ")];
  const stepCount = i % 4;
  return {
    task: { text: `${sentence(words, 9)}?` },
    steps: Array.from({ length: stepCount }, (_, k) => ({ mode: MODES[k % MODES.length]! })),
    documents: Array.from({ length: stepCount * 2 }, (_, k) => ({
      id: `d${k}`,
      title: sentence(vocab, 4),
      text: "",
      score: 1,
    })),
    codeResults: [],
    attempts: stepCount > 2 ? ["I do not know"] : [],
    available: [...MODES],
  };
}
const inputs = Array.from({ length: 1024 }, (_, i) => inputAt(i));
const times: number[] = [];
const matchTimes: number[] = [];
let skillsPerStep = 0;
for (let i = 0; i < WARMUP + CALLS; i++) {
  const input = inputs[i % inputs.length]!;
  let t = performance.now();
  const choice = offlineChoice(input, handbook);
  const dt = performance.now() - t;
  t = performance.now();
  cold.match(input.task.text);
  const dm = performance.now() - t;
  if (i < WARMUP) continue;
  times.push(dt);
  matchTimes.push(dm);
  skillsPerStep += choice.skills.length;
}
console.log(
  `offlineChoice per step (warm matcher, ${CALLS} calls): median ${fmt(quantile(times, 0.5))}  p99 ${fmt(quantile(times, 0.99))}  ` +
    `(mean ${(skillsPerStep / CALLS).toFixed(2)} active skills)`,
);
console.log(
  `baseline: one matcher.match of the task text: median ${fmt(quantile(matchTimes, 0.5))}  p99 ${fmt(quantile(matchTimes, 0.99))}  ` +
    `→ offlineChoice ${(quantile(times, 0.5) / quantile(matchTimes, 0.5)).toFixed(2)}× the baseline`,
);

// ---- 2. memory of a 20-step run ----
const MAX_STEPS = 20;
const searchWords = skills.filter((s) => s.mode === "search").slice(0, 50);
const corpus = searchWords.flatMap((s, i) =>
  Array.from({ length: 4 }, (_, k) => ({
    id: `doc-${i}-${k}`,
    title: `${s.indicators[k]} ${s.indicators[k + 1]}`,
    text: `${sentence(s.indicators, 60)}.`,
  })),
);
let peakHeap = 0;
const evasive: Agent = {
  spec: {
    id: "evasive",
    modes: ["search", "answer"],
    provider: "replay",
    model: "evasive",
    price: { inputPer1M: 1, outputPer1M: 4 },
    replay: { records: "(none)" },
  },
  async act(req: StepRequest): Promise<StepResult> {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    // Each search asks about other words, so the state gathers new documents as the run goes on.
    const output =
      req.mode === "search"
        ? searchWords[(req.step * 7) % searchWords.length]!.indicators.slice(0, 3).join(" ")
        : "I don't know.";
    return {
      agent: "evasive",
      mode: req.mode,
      output,
      usage: { promptTokens: 500, completionTokens: 20 },
      costUsd: 0.00058,
      costEstimated: false,
      latencyMs: 0,
      provider: "replay",
      simulated: true,
    };
  },
};
handbook.agents.evasive = {
  modes: ["search", "answer"],
  competence: {},
  costs: {
    search: {
      meanPromptTokens: 500,
      meanCompletionTokens: 20,
      meanCostUsd: 0.00058,
      meanLatencyMs: 0,
      count: 1,
      estimated: false,
    },
    answer: {
      meanPromptTokens: 500,
      meanCompletionTokens: 20,
      meanCostUsd: 0.00058,
      meanLatencyMs: 0,
      count: 1,
      estimated: false,
    },
  },
  strengths: [],
  weaknesses: [],
  routingSignals: [],
};
const saver = new MemorySaver();
const graph = await createOrchestrator({
  handbook,
  agents: new Map([["evasive", evasive]]),
  search: LocalSearch.fromDocuments(corpus),
  defaults: { maxSteps: MAX_STEPS },
  checkpointer: saver,
});
const s0 = searchWords[0]!;
const task = { id: "long", text: `Which ${s0.indicators.slice(0, 3).join(" ")} is listed for ${s0.indicators[3]}?` };
const run = (thread: string) =>
  graph.invoke({ task }, { configurable: { thread_id: thread } }) as Promise<OrchestratorStateType>;

await run("warm-up"); // loads and compiles every code path first
gc();
const before = process.memoryUsage();
peakHeap = 0;
const state = await run("measured");
gc();
const after = process.memoryUsage();

function checkpointBytes(thread: string) {
  let bytes = 0;
  let count = 0;
  let last = 0;
  for (const ns of Object.values(saver.storage[thread] ?? {}))
    for (const [checkpoint, metadata] of Object.values(ns)) {
      count++;
      bytes += checkpoint.byteLength + metadata.byteLength;
      last = checkpoint.byteLength;
    }
  let writes = 0;
  for (const [key, w] of Object.entries(saver.writes))
    if (key.includes(thread)) for (const [, , value] of Object.values(w)) writes += value.byteLength;
  return { bytes, count, last, writes };
}
const cp = checkpointBytes("measured");
const steps = state.steps;
console.log(
  `20-step run: ${steps.length} steps (${steps.filter((s) => s.mode === "search").length} search, ${state.attempts.length} rejected answers, stop ${state.stopReason}), ` +
    `${state.documents.length} documents in state, final state ${kb(JSON.stringify(state).length)} as JSON`,
);
console.log(
  `memory: heap +${mb(after.heapUsed - before.heapUsed)} and external (checkpoint buffers) +${mb(after.external - before.external)} retained after GC; ` +
    `heap peak +${mb(Math.max(0, peakHeap - before.heapUsed))} during the run (garbage included); ` +
    `RSS ${after.rss >= before.rss ? "+" : ""}${mb(after.rss - before.rss)} (RSS now ${mb(after.rss)})`,
);
console.log(
  `checkpoints (MemorySaver): ${cp.count} checkpoints, ${kb(cp.bytes)} in all, last ${kb(cp.last)}; pending writes ${kb(cp.writes)}`,
);

const RUNS = 20;
gc();
const b2 = process.memoryUsage();
for (let i = 0; i < RUNS; i++) await run(`more-${i}`);
gc();
const a2 = process.memoryUsage();
console.log(
  `${RUNS} more 20-step runs on the same MemorySaver, retained per run: heap +${mb((a2.heapUsed - b2.heapUsed) / RUNS)}, ` +
    `external +${mb((a2.external - b2.external) / RUNS)}; RSS +${mb((a2.rss - b2.rss) / RUNS)}`,
);
