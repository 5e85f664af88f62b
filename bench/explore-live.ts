/**
 * Live exploration benchmark over the loopback OpenAI-compatible server with the scripted skill models
 * (bench/support/skill-models.ts; SCRIPTED, not real models): the dry run's estimate against the real run's cost
 * (from the usage the server reports), calls, wall time, and which agent the records favour per mode.
 *
 * Run: npx tsx bench/explore-live.ts [--tasks N] [--concurrency C]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runExplore } from "../src/cli/explore.js";
import { loadRecords } from "../src/records/io.js";
import { startOpenAIServer } from "./support/openai-server.js";
import { factQuestion, factText, skillScript, type Fact } from "./support/skill-models.js";

const args = process.argv.slice(2);
const arg = (name: string, d: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const n = arg("--tasks", 8);
const concurrency = String(arg("--concurrency", 4));
const KEY = "BENCH_EXPLORE_LIVE_KEY";
process.env[KEY] = "bench";

const names = ["Zorbania", "Vexmoor", "Orrin Vale", "Pellucid", "Quarrow", "Tamsin Reach", "Ulmark", "Brenholt"];
const relations = ["capital", "founder", "river", "mountain"];
const facts: Fact[] = names.map((entity, i) => ({
  entity,
  relation: relations[i % relations.length]!,
  value: `Value${i}`,
}));
const dir = mkdtempSync(join(tmpdir(), "bench-explore-live-"));
const server = await startOpenAIServer(skillScript());
try {
  const prices: Record<string, number> = { scout: 0.5, coder: 1, reader: 2, guesser: 0.1 };
  const pool = join(dir, "pool.json");
  writeFileSync(
    pool,
    JSON.stringify({
      agents: Object.entries(prices).map(([id, p]) => ({
        id,
        modes: ["search", "code", "answer"],
        provider: "openai",
        model: id,
        price: { inputPer1M: p, outputPer1M: 4 * p },
        openai: { baseURL: server.url, apiKeyEnv: KEY },
      })),
      reference: { search: "scout", code: "coder", answer: "reader" },
    }),
  );
  const corpus = join(dir, "corpus.jsonl");
  writeFileSync(
    corpus,
    facts.map((f, i) => JSON.stringify({ id: `f${i}`, title: f.entity, text: factText(f) })).join("\n"),
  );
  const tasks = join(dir, "tasks.jsonl");
  const rows = Array.from({ length: n }, (_, i) =>
    i % 2 === 0
      ? { id: `fact${i}`, text: factQuestion(facts[i % facts.length]!), references: [facts[i % facts.length]!.value] }
      : { id: `calc${i}`, text: `Compute ${i + 3} * ${i + 11} + ${i}.`, references: [String((i + 3) * (i + 11) + i)] },
  );
  writeFileSync(tasks, rows.map((r) => JSON.stringify(r)).join("\n"));
  const out = join(dir, "records.jsonl");
  const flags = { pool, tasks, corpus, out, split: "train", concurrency, progress: false };
  let dry = "";
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => {
    dry += s;
    return true;
  }) as typeof process.stdout.write;
  await runExplore({ ...flags, dryRun: true });
  process.stdout.write = write;
  const estimate = Number(/estimated \d+ calls, \$([0-9.]+)/.exec(dry)?.[1]);
  const calls = Number(/estimated (\d+) calls/.exec(dry)?.[1]);
  const t0 = performance.now();
  await runExplore(flags);
  const wall = (performance.now() - t0) / 1000;
  const spend = readFileSync(`${out}.spend.jsonl`, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { costUsd: number });
  const real = spend.reduce((a, c) => a + c.costUsd, 0);
  const records = await loadRecords(out);
  const best: Record<string, string> = {};
  for (const mode of ["search", "code", "answer"]) {
    const mean = (agent: string) => {
      const rs = records.filter((r) => r.mode === mode && r.agent === agent && r.acted);
      return rs.reduce((a, r) => a + r.score, 0) / Math.max(1, rs.length);
    };
    best[mode] = Object.keys(prices).reduce((b, a) => (mean(a) > mean(b) ? a : b));
  }
  console.log(`date ${new Date().toISOString()}; command: npx tsx bench/explore-live.ts ${args.join(" ")}`);
  console.log(
    `tasks ${n} (half fact questions needing search, half calculations needing code; no task names its modes)`,
  );
  console.log(`dry run: ${calls} calls, $${estimate.toFixed(6)}; real: ${spend.length} calls, $${real.toFixed(6)}`);
  console.log(`estimate / real = ${(estimate / real).toFixed(2)} (calls ${(calls / spend.length).toFixed(2)})`);
  console.log(`wall ${wall.toFixed(1)} s at concurrency ${concurrency}; records ${records.length}`);
  console.log(`best per mode by the records: ${JSON.stringify(best)}`);
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
