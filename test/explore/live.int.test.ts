import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportedPromptTokens, startOpenAIServer, type OpenAIServer } from "../../bench/support/openai-server.js";
import { factQuestion, factText, skillScript, type Fact } from "../../bench/support/skill-models.js";
import { buildLearningGraph } from "../../graphs/learning/graph.js";
import { createOrchestrator } from "../../graphs/orchestrator/graph.js";
import type { OrchestratorStateType } from "../../graphs/orchestrator/state.js";
import { loadHandbook } from "../../handbook/store.js";
import { runExplore } from "../../src/cli/explore.js";
import { silentProgress } from "../../src/learning/progress.js";
import { loadPool } from "../../src/pool/load.js";
import { buildAgents } from "../../src/providers/index.js";
import { LocalSearch, readCorpus } from "../../tools/search/index.js";
import { loadRecords } from "../../src/records/io.js";
import { recordKey } from "../../src/records/schema.js";
import { startCli } from "../support/cli.js";

/**
 * Live exploration with only openai agents over real HTTP: the loopback server's scripted models differ by skill
 * (bench/support/skill-models.ts): scout searches well, coder writes good code, reader answers well from evidence,
 * guesser is poor at everything. Every trajectory runs through the orchestrator graph, the real index over the
 * corpus and the real sandbox.
 */
const KEY = "SKILLORCHESTRA_LIVE_TEST_KEY";
const facts: Fact[] = [
  { entity: "Zorbania", relation: "capital", value: "Quillton" },
  { entity: "Vexmoor", relation: "founder", value: "Ada Renn" },
  { entity: "Orrin Vale", relation: "river", value: "Tamsk" },
];
let server: OpenAIServer;
let dir: string;
let pool: string;
let tasks: string;
/** One task of each kind, for the cap and kill runs. */
let small: string;
let corpus: string;
const prices: Record<string, number> = { scout: 0.5, coder: 1, reader: 2, guesser: 0.1 };

const jsonl = (rows: object[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;
const lines = (path: string) => {
  try {
    return readFileSync(path, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "explore-live-"));
  process.env[KEY] = "test-key";
  server = await startOpenAIServer(skillScript());
  const agent = (id: string) => ({
    id,
    modes: ["search", "code", "answer"],
    provider: "openai",
    model: id,
    price: { inputPer1M: prices[id]!, outputPer1M: prices[id]! * 4 },
    openai: { baseURL: server.url, apiKeyEnv: KEY },
  });
  pool = join(dir, "pool.json");
  writeFileSync(
    pool,
    JSON.stringify({
      agents: ["scout", "coder", "reader", "guesser"].map(agent),
      reference: { search: "scout", code: "coder", answer: "reader" },
    }),
  );
  corpus = join(dir, "corpus.jsonl");
  writeFileSync(
    corpus,
    jsonl([
      ...facts.map((f, i) => ({ id: `f${i}`, title: f.entity, text: factText(f) })),
      { id: "n1", title: "tea", text: "Tea grows on terraced hills." },
      { id: "n2", title: "owls", text: "Owls hunt at night." },
    ]),
  );
  tasks = join(dir, "tasks.jsonl");
  // fact1 names no modes: it runs every tool mode on offer (search, then code), then answers. The explorations
  // below run `small` (one task of each kind, each naming its mode) to keep the sandbox runs few.
  const rows = [
    { id: "fact0", text: factQuestion(facts[0]!), references: [facts[0]!.value], modes: ["search"] },
    { id: "fact1", text: factQuestion(facts[1]!), references: [facts[1]!.value] },
    { id: "calc0", text: "Compute 37 * 41 + 5.", references: ["1522"], family: "calc", modes: ["code"] },
  ];
  writeFileSync(tasks, jsonl(rows));
  small = join(dir, "small.jsonl");
  writeFileSync(small, jsonl([rows[0]!, rows[2]!]));
});

afterAll(async () => {
  await server.close();
  delete process.env[KEY];
  rmSync(dir, { recursive: true, force: true });
});

const flags = (out: string, extra: Record<string, unknown> = {}) => ({
  pool,
  out,
  tasks,
  corpus,
  split: "train",
  concurrency: "4",
  progress: false,
  ...extra,
});

describe("explore with openai agents: whole trajectories in every mode", () => {
  const explored = () => join(dir, "records.jsonl");

  it("estimates without calling, explores all three modes, credits the right agent per mode, from reported usage", async () => {
    const out = explored();
    // The dry run of all three tasks: fact1 runs search and code, so each of its 10 trajectories makes 3 calls.
    const log: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => {
      log.push(s);
      return true;
    }) as typeof process.stdout.write;
    try {
      expect(await runExplore(flags(join(dir, "all.jsonl"), { dryRun: true }))).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(log.join("")).toMatch(/explore: 24 trajectories to run, 36 \(task, agent, mode\) pairs to write/);
    expect(log.join("")).toMatch(/estimated 58 calls, \$0\.\d+/);
    expect(server.chatRequests().length).toBe(0);

    expect(await runExplore(flags(out, { tasks: small }))).toBe(0);
    const records = await loadRecords(out);
    // 2 tasks × (1 reference trajectory giving 3 records + 3 modes × 3 other agents).
    expect(records.length).toBe(2 * 12);
    expect(new Set(records.map((r) => recordKey(r))).size).toBe(records.length);
    const mean = (mode: string, agent: string) => {
      const rs = records.filter((r) => r.mode === mode && r.agent === agent && r.acted);
      return rs.reduce((a, r) => a + r.score, 0) / rs.length;
    };
    const best = (mode: string) =>
      ["scout", "coder", "reader", "guesser"].reduce((b, a) => (mean(mode, a) > mean(mode, b) ? a : b));
    expect([best("search"), best("code"), best("answer")]).toEqual(["scout", "coder", "reader"]);
    expect(mean("search", "scout")).toBe(1);
    expect(mean("search", "guesser")).toBe(0);
    // A mode a task's plan does not run: its varied agent did not act, and gets no credit and no cost.
    const idle = records.filter((r) => r.queryId === "calc0" && r.mode === "search");
    expect(idle.map((r) => [r.agent, r.acted, r.costUsd])).toEqual([
      ["scout", false, 0],
      ["coder", false, 0],
      ["reader", false, 0],
      ["guesser", false, 0],
    ]);

    // Every call in the ledger is one request the server answered, with the usage it reported, priced by the pool.
    const spend = lines(`${out}.spend.jsonl`).map((l) => JSON.parse(l));
    const requests = server.chatRequests();
    expect(spend.length).toBe(requests.length);
    expect(spend.reduce((a, c) => a + c.promptTokens, 0)).toBe(
      requests.reduce((a, r) => a + reportedPromptTokens(r), 0),
    );
    for (const c of spend)
      expect(c.costUsd).toBeCloseTo(
        (c.promptTokens * prices[c.agent]! + c.completionTokens * prices[c.agent]! * 4) / 1e6,
        12,
      );
    // A record carries the varied agent's own calls only.
    const scout = records.find((r) => r.queryId === "fact0" && r.agent === "scout" && r.mode === "search")!;
    const own = spend.filter(
      (c) => c.trajectory === (scout.meta!.trajectory as { id: string }).id && c.agent === "scout",
    );
    expect(scout.promptTokens).toBe(own.reduce((a, c) => a + c.promptTokens, 0));
    expect(scout).toMatchObject({ provider: "openai", simulated: false, costEstimated: false, acted: true });

    // Resumed: nothing is asked again.
    const before = server.chatRequests().length;
    expect(await runExplore(flags(out, { tasks: small }))).toBe(0);
    expect(server.chatRequests().length).toBe(before);
  });

  it("learns from the explored records a handbook that picks the right agent per mode, and runs with it", async () => {
    const out = explored();
    const handbook = join(dir, "H.json");
    // The learning graph, as `learn` runs it (no learning model: statistical skills).
    await buildLearningGraph({ progress: silentProgress }).compile().invoke({ records: out, pool, out: handbook });
    const h = loadHandbook(handbook);
    const competence = (agent: string, mode: string) => {
      const e = h.agents[agent]!.competence[mode]!;
      return e.successes / (e.successes + e.failures);
    };
    expect(competence("scout", "search")).toBeGreaterThan(competence("guesser", "search"));
    expect(competence("coder", "code")).toBeGreaterThan(competence("scout", "code"));
    expect(competence("reader", "answer")).toBeGreaterThan(competence("coder", "answer"));
    // A new question, through the orchestrator graph with the learned handbook and the same pool and corpus.
    const graph = await createOrchestrator({
      handbook: h,
      agents: await buildAgents(loadPool(pool)),
      search: LocalSearch.fromDocuments((await readCorpus(corpus)).documents),
    });
    const state = (await graph.invoke({ task: { id: "new", text: factQuestion(facts[2]!) } })) as OrchestratorStateType;
    expect(state.finalAnswer).toBe("Tamsk");
    const by = Object.fromEntries(state.steps.map((s) => [s.mode, s.agent]));
    expect(by).toMatchObject({ search: "scout", answer: "reader" });
  });

  it("stops at the USD cap, says what is left, and goes on when the cap is raised", async () => {
    const out = join(dir, "capped.jsonl");
    const code = await runExplore(flags(out, { tasks: small, maxUsd: "0.0008" }));
    expect(code).toBe(1);
    const spend = lines(`${out}.spend.jsonl`).map((l) => JSON.parse(l));
    const spent = spend.reduce((a, c) => a + c.costUsd, 0);
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBeLessThanOrEqual(0.0008);
    const first = (await loadRecords(out)).length;
    expect(first).toBeLessThan(24);
    expect(await runExplore(flags(out, { tasks: small, maxUsd: "1" }))).toBe(0);
    const all = await loadRecords(out);
    expect(all.length).toBe(24);
    expect(new Set(all.map((r) => recordKey(r))).size).toBe(24);
  });

  it("resumes a kill -9 with each pair exactly once and no call counted twice", async () => {
    const slow = await startOpenAIServer(skillScript({ delayMs: 40 }));
    try {
      // Three of the four agents (the reference ones): fewer pairs to run twice over, so it holds on a busy machine.
      const slowPool = join(dir, "slow-pool.json");
      const spec = JSON.parse(readFileSync(pool, "utf8").replaceAll(server.url, slow.url)) as {
        agents: { id: string }[];
      };
      writeFileSync(slowPool, JSON.stringify({ ...spec, agents: spec.agents.filter((a) => a.id !== "guesser") }));
      const out = join(dir, "killed.jsonl");
      const args = ["explore", "--pool", slowPool, "--tasks", small, "--corpus", corpus, "--out", out];
      const first = startCli([...args, "--concurrency", "2"], { [KEY]: "test-key" });
      await new Promise<void>((res, rej) => {
        const poll = setInterval(() => {
          if (lines(out).length >= 2) {
            clearInterval(poll);
            first.child.kill("SIGKILL");
            res();
          }
        }, 20);
        first.done.then((e) => {
          clearInterval(poll);
          rej(new Error(`explore ended before it was killed: ${e.stderr}`));
        });
      });
      await first.done;
      const killedAt = lines(out).length;
      expect(killedAt).toBeLessThan(18);
      // The resume, in this process: the same command.
      expect(await runExplore({ ...flags(out, { tasks: small }), pool: slowPool })).toBe(0);
      const all = await loadRecords(out);
      expect(all.length).toBe(18);
      expect(new Set(all.map((r) => recordKey(r))).size).toBe(18);
      // A call is in the ledger once; only calls under way at the kill reached the server and not the ledger.
      const spend = lines(`${out}.spend.jsonl`);
      const requests = slow.chatRequests().length;
      expect(spend.length).toBeLessThanOrEqual(requests);
      expect(spend.length).toBeGreaterThanOrEqual(requests - 2);
    } finally {
      await slow.close();
    }
  });

  it("rejects bad input with one line naming the file and field, before any call", async () => {
    const before = server.chatRequests().length;
    const bad = (name: string, text: string) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    const noRefs = bad("norefs.jsonl", jsonl([{ id: "q1", text: "What is the capital of Zorbania?" }]));
    await expect(runExplore(flags(join(dir, "x1.jsonl"), { tasks: noRefs }))).rejects.toThrow(
      /norefs\.jsonl:1: \$\.references: task "q1" has no references/,
    );
    const metric = bad("metric.jsonl", jsonl([{ id: "q1", text: "x?", references: ["a"], metric: "bleu" }]));
    await expect(runExplore(flags(join(dir, "x2.jsonl"), { tasks: metric }))).rejects.toThrow(
      /metric\.jsonl:1: \$\.metric: unknown metric/,
    );
    const badCorpus = bad("corpus-bad.jsonl", '{"id": "a", "title": "t", "text": "ok"}\n{"id": "b", "title": 3}\n');
    await expect(runExplore(flags(join(dir, "x3.jsonl"), { corpus: badCorpus }))).rejects.toThrow(
      /corpus-bad\.jsonl:2: \$\.title/,
    );
    delete process.env[KEY];
    try {
      await expect(runExplore(flags(join(dir, "x4.jsonl")))).rejects.toThrow(
        new RegExp(`pool\\.json: \\$\\.agents\\[0\\]\\.openai\\.apiKeyEnv: environment variable ${KEY}`),
      );
    } finally {
      process.env[KEY] = "test-key";
    }
    await expect(runExplore(flags(join(dir, "x5.jsonl"), { maxUsd: "0.0000001" }))).rejects.toThrow(
      /--max-usd: \$1e-7 is below the estimated cost of one call/,
    );
    expect(server.chatRequests().length).toBe(before);
    // On the command line: one line, a non-zero exit.
    const cli = await startCli(
      ["explore", "--pool", pool, "--tasks", noRefs, "--corpus", corpus, "--out", join(dir, "x6.jsonl")],
      {
        [KEY]: "test-key",
      },
    ).done;
    expect(cli.code).not.toBe(0);
    expect(cli.stderr.trim().split("\n")).toHaveLength(1);
  });
});
