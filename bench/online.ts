/**
 * Online learning on recorded real behaviour (issue 17 §3). A stream of real recorded queries from the train side
 * (in a fixed seeded order: the files carry no timestamps) is routed by the published handbook with a Thompson
 * exploration share; only the chosen agent's recorded outcome is observed and folded in (handbook/online.ts);
 * every W queries a new version is gated on a held-back set (src/eval/gate.ts) and published if it passes. The
 * pool changes twice: at 1/3 of the stream the agent the initial handbook relies on most is removed; at 2/3 a
 * cheaper agent that the initial handbook never saw is added (at the prior). Per window, on a validation split
 * carved from the train side with the project's split (splitByQuery): the frozen initial handbook, the online one,
 * and an oracle re-learned offline (the learning graph) on every record up to that point, all agents' outcomes,
 * with the current pool.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { estimatorOf } from "../handbook/estimators.js";
import { skillIdentifier, type SkillIdentifier } from "../handbook/identify.js";
import { addAgent, foldObservations, type Observation } from "../handbook/online.js";
import type { Handbook } from "../handbook/schema.js";
import { selectAgent } from "../handbook/select.js";
import { rngFor, shuffled } from "../src/core/random.js";
import { costScaleOf, gate, replayRoute } from "../src/eval/gate.js";
import { learnHandbook } from "../src/eval/learned.js";
import { replayIndex, type ReplayIndex } from "../src/learning/evaluate.js";
import { LEARNING_DEFAULTS, type LearningSettings } from "../src/learning/pipeline.js";
import { formatRecordLine } from "../src/records/io.js";
import type { ExecutionRecord } from "../src/records/schema.js";
import { splitByQuery } from "../src/records/split.js";
import { llmRouter, routerBench, type Dataset } from "./datasets.js";

const args = process.argv.slice(2);
const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const datasets = (arg("--data") ?? "routerbench,llmrouter").split(",") as Dataset["name"][];
const nSeeds = Number(arg("--seeds") ?? 3);
const lambda = Number(arg("--lambda") ?? 0.1);
const explore = Number(arg("--explore") ?? 0.15);
const tolerance = Number(arg("--tolerance") ?? 0.01);
const windows = Number(arg("--windows") ?? 6);
const streamCap = Number(arg("--stream") ?? 900);
const labelledPerTask = Number(arg("--labelled") ?? 20);
const validationCap = Number(arg("--validation") ?? 500);
const trustAfter = Number(arg("--trust-after") ?? 10);
const jsonOut = arg("--json") ?? join(tmpdir(), "skillorchestra-bench-online.json");
const T0 = performance.now();
const log = (m: string) => console.error(`[${((performance.now() - T0) / 1000).toFixed(1)} s] ${m}`);
for (const [k, v] of Object.entries({ nSeeds, lambda, explore, tolerance, windows, streamCap, labelledPerTask }))
  if (!(Number.isFinite(v) && v >= 0)) {
    console.error(`bench/online.ts: --${k}: must be a number >= 0, got ${v}`);
    process.exit(2);
  }

const work = mkdtempSync(join(tmpdir(), "bench-online-"));

function queriesOf(records: readonly ExecutionRecord[]): string[] {
  return [...new Set(records.map((r) => r.queryId))];
}

/** Learn a handbook with the learning graph on these records and pool agents (no neighbours, pooling, consult). */
async function learnOn(
  data: Dataset,
  records: readonly ExecutionRecord[],
  pool: readonly string[],
  seed: number,
  name: string,
): Promise<Handbook> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const keep = new Set(pool);
  const recs = records.filter((r) => keep.has(r.agent));
  writeFileSync(join(dir, "train.jsonl"), `${recs.map(formatRecordLine).join("\n")}\n`);
  const poolJson = JSON.parse(readFileSync(data.poolFile, "utf8")) as { agents: { id: string }[] };
  poolJson.agents = poolJson.agents.filter((a) => keep.has(a.id));
  writeFileSync(join(dir, "pool.json"), JSON.stringify(poolJson));
  const settings: LearningSettings = {
    ...LEARNING_DEFAULTS,
    records: join(dir, "train.jsonl"),
    pool: join(dir, "pool.json"),
    seed,
    lambda,
    neighbours: false,
    pooled: false,
    maxCalls: 1,
  };
  const l = await learnHandbook(settings, dir);
  rmSync(dir, { recursive: true, force: true });
  return l.handbook;
}

interface Side {
  accuracy: number;
  costUsd: number;
  utility: number;
}

function evaluateOn(h: Handbook, index: ReplayIndex, pool: readonly string[]): Side {
  const { scale } = costScaleOf(index, pool);
  const r = replayRoute(h, index, { pool, lambda });
  const accuracy = r.score / r.points;
  const costUsd = r.cost / r.points;
  return { accuracy, costUsd, utility: accuracy - lambda * (scale > 0 ? costUsd / scale : 0) };
}

/** Agents with fewer than `trustAfter` observations in the mode serve only exploration steps. */
function trusted(h: Handbook, pool: readonly string[]): string[] {
  return pool.filter((a) => {
    const p = h.agents[a];
    if (!p) return false;
    let n = 0;
    for (const e of Object.values(p.competence)) n += e.successes + e.failures;
    return n >= trustAfter;
  });
}

interface WindowRow {
  window: number;
  seen: number;
  pool: string;
  gate: string;
  published: boolean;
  stream: { accuracy: number; costUsd: number };
  frozen: Side;
  online: Side;
  oracle: Side;
}

async function runSeed(data: Dataset, seed: number) {
  // Validation (fixed across seeds) carved from the train side; then a held-back gate set; then labelled + stream.
  const v = splitByQuery(data.train, { testShare: 0.25, seed: 7 });
  const valIds = new Set(shuffled(rngFor("online-validation", 7), queriesOf(v.test)).slice(0, validationCap));
  const validation = v.test.filter((r) => valIds.has(r.queryId));
  const g = splitByQuery(v.train, { testShare: 0.15, seed });
  const gateIndex = replayIndex(g.test);
  const valIndex = replayIndex(validation);
  const byQuery = new Map<string, ExecutionRecord[]>();
  for (const r of g.train) {
    const l = byQuery.get(r.queryId);
    if (l) l.push(r);
    else byQuery.set(r.queryId, [r]);
  }
  const order = shuffled(rngFor("online-stream", seed), [...byQuery.keys()]);
  const perTask = new Map<string, number>();
  const labelled: string[] = [];
  const rest: string[] = [];
  for (const id of order) {
    const task = byQuery.get(id)![0]!.task;
    const n = perTask.get(task) ?? 0;
    if (n < labelledPerTask) {
      perTask.set(task, n + 1);
      labelled.push(id);
    } else rest.push(id);
  }
  const stream = rest.slice(0, streamCap);
  const W = Math.max(1, Math.floor(stream.length / windows));
  const labelledRecords = labelled.flatMap((id) => byQuery.get(id)!);

  // The agents: the new one (held out from the start) is the most accurate agent cheaper than the median.
  const stats = new Map<string, { s: number; c: number; n: number }>();
  for (const r of labelledRecords) {
    const t = stats.get(r.agent) ?? { s: 0, c: 0, n: 0 };
    t.s += r.score;
    t.c += r.costUsd;
    t.n++;
    stats.set(r.agent, t);
  }
  const agents = [...stats.keys()].sort();
  const costs = agents.map((a) => stats.get(a)!.c / stats.get(a)!.n).sort((x, y) => x - y);
  const median = costs[Math.floor(costs.length / 2)]!;
  const added = agents
    .filter((a) => stats.get(a)!.c / stats.get(a)!.n < median)
    .sort((a, b) => stats.get(b)!.s / stats.get(b)!.n - stats.get(a)!.s / stats.get(a)!.n)[0]!;
  const pool0 = agents.filter((a) => a !== added);
  const h0 = await learnOn(data, labelledRecords, pool0, seed, `${data.name}-${seed}-initial`);
  const relied = evaluateCalls(h0, valIndex, pool0);
  const removed = relied[0]!;
  log(`${data.name} seed ${seed}: initial handbook learned; removed at 1/3: ${removed}; added at 2/3: ${added}`);

  let pool = pool0;
  let published = h0;
  let working = h0;
  const seen = new Set<string>();
  const rng = rngFor("online-explore", seed);
  const identifiers = new WeakMap<Handbook, SkillIdentifier>();
  const identifierOf = (h: Handbook) => {
    let i = identifiers.get(h);
    if (!i) identifiers.set(h, (i = skillIdentifier(h)));
    return i;
  };
  const rows: WindowRow[] = [];
  let wScore = 0;
  let wCost = 0;
  let wN = 0;
  let pending: Observation[] = [];
  for (let i = 0; i < stream.length; i++) {
    if (i === Math.floor(stream.length / 3)) pool = pool.filter((a) => a !== removed);
    if (i === Math.floor((2 * stream.length) / 3)) {
      pool = [...pool, added];
      // The new agent starts at the prior (its price known from the pool: a first cost estimate).
      const price = stats.get(added)!;
      const start = {
        cost: { answer: { promptTokens: 0, completionTokens: 0, costUsd: price.c / price.n, latencyMs: 0 } },
      };
      working = addAgent(working, added, ["answer"], start);
      published = addAgent(published, added, ["answer"], start);
    }
    const id = stream[i]!;
    const recs = byQuery.get(id)!;
    const text = recs[0]!.query;
    const skills = identifierOf(published)
      .identify(text, "answer")
      .filter((s) => published.skills[s.id]);
    const exploring = rng() < explore;
    const allow = exploring ? pool : trusted(published, pool);
    const d = selectAgent(published, {
      mode: "answer",
      skills,
      lambda,
      estimator: estimatorOf(exploring ? "thompson" : "mean", `${seed}:${id}`),
      allow,
      explain: false,
    });
    const chosen = d.chosen!;
    const r = recs.find((x) => x.agent === chosen);
    wN++;
    if (r) {
      wScore += r.score;
      wCost += r.costUsd;
      pending.push({
        key: `${id}:${chosen}`,
        agent: chosen,
        mode: "answer",
        skills,
        score: r.score,
        cost: {
          promptTokens: r.promptTokens,
          completionTokens: r.completionTokens,
          costUsd: r.costUsd,
          latencyMs: r.latencyMs,
          estimated: r.costEstimated,
        },
      });
    }
    if ((i + 1) % W === 0 || i === stream.length - 1) {
      const folded = foldObservations(working, pending, { seen });
      for (const k of folded.folded) seen.add(k);
      working = folded.handbook;
      pending = [];
      const servable = trusted(working, pool);
      const verdict = gate({
        current: published,
        next: working,
        records: gateIndex,
        pool: servable,
        lambda,
        tolerance,
      });
      if (verdict.pass) published = working;
      const upTo = new Set(stream.slice(0, i + 1));
      const oracle = await learnOn(
        data,
        [...labelledRecords, ...g.train.filter((x) => upTo.has(x.queryId))],
        pool,
        seed,
        `${data.name}-${seed}-oracle-${rows.length}`,
      );
      const row: WindowRow = {
        window: rows.length + 1,
        seen: i + 1,
        pool: `${pool.length} agents${pool.includes(removed) ? "" : ` (−${removed})`}${pool.includes(added) ? ` (+${added})` : ""}`,
        gate: verdict.pass ? "published" : "held back",
        published: verdict.pass,
        stream: { accuracy: wScore / wN, costUsd: wCost / wN },
        frozen: evaluateOn(h0, valIndex, pool),
        online: evaluateOn(published, valIndex, trusted(published, pool)),
        oracle: evaluateOn(oracle, valIndex, pool),
      };
      rows.push(row);
      log(
        `${data.name} seed ${seed} window ${row.window} (${row.seen} seen): ${row.gate}; frozen ${row.frozen.utility.toFixed(3)} online ${row.online.utility.toFixed(3)} oracle ${row.oracle.utility.toFixed(3)}`,
      );
      wScore = 0;
      wCost = 0;
      wN = 0;
    }
  }
  const recovery = (at: number, key: "online" | "frozen") => {
    const r = rows.find((x) => x.seen > at && x[key].utility >= x.oracle.utility - 0.01);
    return r ? r.seen - at : null;
  };
  const removeAt = Math.floor(stream.length / 3);
  const addAt = Math.floor((2 * stream.length) / 3);
  return {
    seed,
    removed,
    added,
    window: W,
    stream: stream.length,
    labelled: labelled.length,
    gateQueries: queriesOf(g.test).length,
    validationQueries: valIds.size,
    rows,
    recovery: {
      afterRemoval: { online: recovery(removeAt, "online"), frozen: recovery(removeAt, "frozen") },
      afterAddition: { online: recovery(addAt, "online"), frozen: recovery(addAt, "frozen") },
    },
  };
}

/** Agents by how many validation points the handbook routes to them, most first. */
function evaluateCalls(h: Handbook, index: ReplayIndex, pool: readonly string[]): string[] {
  const r = replayRoute(h, index, { pool, lambda });
  return Object.entries(r.calls)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([a]) => a);
}

const f3 = (x: number) => x.toFixed(3);
const usd = (x: number) => `$${x.toPrecision(3)}`;
const report: Record<string, unknown> = {
  command: `npx tsx bench/online.ts${args.length ? ` ${args.join(" ")}` : ""}`,
  date: new Date().toISOString(),
  settings: { nSeeds, lambda, explore, tolerance, windows, streamCap, labelledPerTask, validationCap, trustAfter },
};
try {
  for (const name of datasets) {
    const data = name === "llmrouter" ? await llmRouter() : await routerBench(0.3);
    const runs: Awaited<ReturnType<typeof runSeed>>[] = [];
    for (let s = 1; s <= nSeeds; s++) runs.push(await runSeed(data, s));
    report[name] = { title: data.title, costEstimated: data.costEstimated, runs };
    console.log(`\n## ${data.title}\n`);
    console.log(
      `stream ${runs[0]!.stream} queries in windows of ${runs[0]!.window}; ${runs[0]!.labelled} labelled to start; gate ${runs[0]!.gateQueries} held-back queries; validation ${runs[0]!.validationQueries} queries; USD ${data.costEstimated ? "ESTIMATED" : "real"}\n`,
    );
    console.log(
      "| window (queries seen) | pool | published | stream accuracy / USD | frozen acc / USD / utility | online acc / USD / utility | oracle acc / USD / utility |",
    );
    console.log("|---|---|---|---|---|---|---|");
    const nW = runs[0]!.rows.length;
    const mean = (f: (r: WindowRow) => number, w: number) => runs.reduce((a, r) => a + f(r.rows[w]!), 0) / runs.length;
    for (let w = 0; w < nW; w++) {
      const side = (k: "frozen" | "online" | "oracle") =>
        `${f3(mean((r) => r[k].accuracy, w))} / ${usd(mean((r) => r[k].costUsd, w))} / ${f3(mean((r) => r[k].utility, w))}`;
      console.log(
        `| ${w + 1} (${runs[0]!.rows[w]!.seen}) | ${runs.map((r) => r.rows[w]!.pool).join("; ")} | ${runs.filter((r) => r.rows[w]!.published).length}/${runs.length} | ${f3(mean((r) => r.stream.accuracy, w))} / ${usd(mean((r) => r.stream.costUsd, w))} | ${side("frozen")} | ${side("online")} | ${side("oracle")} |`,
      );
    }
    console.log(
      `\nrecovery (queries after the change until within 0.01 of the oracle's validation utility, window granularity; null: not within the stream): ${runs.map((r) => `seed ${r.seed}: removal online ${r.recovery.afterRemoval.online} frozen ${r.recovery.afterRemoval.frozen}, addition online ${r.recovery.afterAddition.online} frozen ${r.recovery.afterAddition.frozen}`).join("; ")}`,
    );
  }
  writeFileSync(jsonOut, JSON.stringify(report, null, 1));
  log(`wrote ${jsonOut}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
