import { describe, expect, it } from "vitest";
import { runProgram } from "../../tools/code/index.js";
import { LocalSearch } from "../../tools/search/index.js";
import { InputError } from "../../src/core/errors.js";
import { PoolSchema } from "../../src/pool/schema.js";
import { calibrationReport } from "../../src/sim/calibration.js";
import { DEFAULT_AGENTS } from "../../src/sim/agents.js";
import { FAMILY_SPECS, SKILLS } from "../../src/sim/skills.js";
import { createWorld } from "../../src/sim/world.js";
import { FAMILIES } from "../../src/sim/types.js";

const world = createWorld();

describe("createWorld", () => {
  it("is a pure function of the seed", () => {
    const again = createWorld({ seed: 7 });
    expect(again.corpus).toEqual(world.corpus);
    expect(again.tasks(30, "train")).toEqual(world.tasks(30, "train"));
    const other = createWorld({ seed: 8 });
    expect(other.corpus).not.toEqual(world.corpus);
    expect(other.tasks(6, "train").map((t) => t.text)).not.toEqual(world.tasks(6, "train").map((t) => t.text));
  });

  it("makes each task deterministic per (seed, split, index), whatever was drawn before", () => {
    const fresh = createWorld();
    const late = fresh.taskAt("test", 41);
    expect(late).toEqual(world.tasks(42, "test")[41]);
    expect(world.taskAt("train", 3)).not.toEqual(world.taskAt("test", 3));
    expect(world.task(late.id)).toEqual(late);
    expect(() => world.task("sim8-test-3")).toThrow(InputError);
    expect(() => world.task("q123")).toThrow(/not a task of the simulated world with seed 7/);
  });

  it("rotates every family through each split, each task carrying its family's latent plan", () => {
    for (const split of ["train", "test", "validation"]) {
      const tasks = world.tasks(FAMILIES.length * 4, split);
      for (let start = 0; start < tasks.length; start += FAMILIES.length)
        expect(new Set(tasks.slice(start, start + FAMILIES.length).map((t) => t.family))).toEqual(new Set(FAMILIES));
      for (const t of tasks) {
        const spec = FAMILY_SPECS.find((f) => f.name === t.family)!;
        expect(t.steps.map(({ mode, skill }) => ({ mode, skill }))).toEqual(spec.steps);
        for (const s of t.steps) expect(SKILLS.some((k) => k.id === s.skill && k.mode === s.mode)).toBe(true);
      }
    }
  });

  it("holds in its corpus the fact every search question needs, and lures beside it", () => {
    const byId = new Map(world.corpus.map((d) => [d.id, d]));
    const tasks = world.tasks(120, "train").filter((t) => t.steps.some((s) => s.mode === "search"));
    expect(tasks.length).toBeGreaterThan(30);
    for (const t of tasks) {
      const gold = t.steps.filter((s) => s.mode === "search").map((s) => byId.get(s.goldDocId!));
      expect(gold.every((d) => d !== undefined)).toBe(true);
      expect(gold[gold.length - 1]!.text).toContain(t.answer);
      // The most tempting wrong answer is in the corpus too: reading the wrong line gives a plausible value.
      expect(world.corpus.some((d) => d.text.includes(t.facts.wrongAnswers[0]!))).toBe(true);
    }
    expect(world.corpus.filter((d) => d.id.startsWith("note/")).length).toBe(40);
  });

  it("lets a good query find the gold document in the local index, and a vague or wrong one rarely", () => {
    const index = LocalSearch.fromDocuments(world.corpus);
    let steps = 0;
    let good = 0;
    let bad = 0;
    for (const t of world.tasks(120, "test"))
      t.steps.forEach((s, i) => {
        if (s.mode !== "search") return;
        const hop = t.steps.slice(0, i).filter((x) => x.mode === "search").length;
        const found = (q: string) => index.search(q, 3).some((p) => p.docId === s.goldDocId);
        steps++;
        if (found(t.facts.goodQueries[hop]!)) good++;
        if (found(t.facts.wrongQueries[hop]!)) bad++;
        if (found(t.facts.vagueQuery)) bad++;
      });
    expect(good).toBe(steps);
    expect(bad / (2 * steps)).toBeLessThan(0.05);
  });

  it("checks answers by exact match, numbers by value", () => {
    for (const t of world.tasks(60, "train")) {
      expect(world.check(t, t.answer)).toBe(1);
      expect(world.check(t.id, ` ${t.answer}.`)).toBe(1);
      for (const w of t.facts.wrongAnswers) expect(world.check(t, w)).toBe(0);
      expect(world.check(t, "I don't know.")).toBe(0);
    }
    const mean = world.tasks(60, "train").find((t) => t.numeric && t.answer.includes("."))!;
    expect(world.check(mean, mean.answer.replace(".", ""))).toBe(0);
    const big = world.tasks(60, "train").find((t) => t.numeric && Number(t.answer) >= 1000)!;
    expect(world.check(big, Number(big.answer).toLocaleString("en-US"))).toBe(1);
    expect(world.check(big, `${big.answer}.0`)).toBe(1);
    const capital = world.tasks(60, "train").find((t) => t.family === "capital_lookup")!;
    expect(world.check(capital, capital.answer.toUpperCase())).toBe(1);
  });

  it("writes programs that print what the world says they print (one sandbox run for them all)", async () => {
    const programs = world
      .tasks(48, "train")
      .filter((t) => t.facts.program)
      .flatMap((t) => [t.facts.program!, ...t.facts.buggyPrograms]);
    expect(programs.length).toBeGreaterThan(30);
    const harness = [
      "import contextlib, io, json, sys",
      "out = []",
      "for src in json.loads(sys.stdin.read()):",
      "    buf = io.StringIO()",
      "    with contextlib.redirect_stdout(buf):",
      "        exec(compile(src, 'program', 'exec'), {})",
      "    out.append(buf.getvalue())",
      "print(json.dumps(out))",
    ].join("\n");
    const run = await runProgram({
      language: "python",
      source: harness,
      stdin: JSON.stringify(programs.map((p) => p.source)),
    });
    expect(run.exitCode).toBe(0);
    const printed = JSON.parse(run.stdout) as string[];
    expect(printed).toEqual(programs.map((p) => `${p.prints}\n`));
  });

  it("gives a valid pool of sim agents with this world's seed", () => {
    const w = createWorld({ seed: 11 });
    const pool = PoolSchema.parse(w.pool());
    expect(pool.agents.map((a) => a.id)).toEqual(DEFAULT_AGENTS.map((a) => a.id));
    expect(pool.agents.every((a) => a.provider === "sim" && a.sim?.seed === 11)).toBe(true);
    expect(w.agent("sim-math-72b").modes).toEqual(["code", "answer"]);
    expect(() => w.agent("gpt-nothing")).toThrow(/no simulated agent gpt-nothing/);
  });

  it("rejects bad options with a one-line error naming the field", () => {
    expect(() => createWorld({ seed: 1.5 })).toThrow("sim world options: $.seed: must be a whole number, got 1.5");
    expect(() => createWorld({ countries: 1 })).toThrow(/\$\.countries: must be a whole number >= 3/);
    const broken = DEFAULT_AGENTS.map((a, i) =>
      i === 2 ? { ...a, competence: { ...a.competence, "answer.convert.units": 1.5 } } : a,
    );
    expect(() => createWorld({ agents: broken })).toThrow(
      "sim world options: $.agents[2].competence.answer.convert.units: must be a probability in [0, 1], got 1.5",
    );
  });
});

describe("calibration", () => {
  const report = calibrationReport(world);

  it("has no dominant agent, and the most expensive agent is best on only some skills", () => {
    expect(report.dominant).toBeNull();
    expect(report.mostExpensive.agent).toBe("sim-frontier-xl");
    expect(report.mostExpensive.bestOn.length).toBeGreaterThan(0);
    expect(report.mostExpensive.bestOn.length).toBeLessThan(SKILLS.length);
    expect(report.dominated).toEqual([]);
  });

  it("gives every agent a niche: best, or the cheapest within 0.05 of the best, on some skill", () => {
    for (const a of world.agents) {
      const n = report.niches[a.id]!;
      expect(n.bestOn.length + n.cheapestNearBestOn.length, a.id).toBeGreaterThan(0);
    }
    for (const s of report.skills) {
      const best = world.groundTruth.successProbability(s.best.agent, s.skill);
      for (const a of world.agents.filter((x) => x.modes.includes(s.mode)))
        expect(world.groundTruth.successProbability(a.id, s.skill)).toBeLessThanOrEqual(best);
      expect(s.cheapestNearBest.probability).toBeGreaterThanOrEqual(s.best.probability - 0.05);
    }
  });

  it("detects a dominant or a dominated agent when the pool has one", () => {
    const star = { ...DEFAULT_AGENTS[1]!, competence: Object.fromEntries(SKILLS.map((s) => [s.id, 1])) };
    const skewed = createWorld({ agents: DEFAULT_AGENTS.map((a) => (a.id === star.id ? star : a)) });
    const r = calibrationReport(skewed);
    expect(r.dominant).toBe("sim-general-md");
    // md is cheaper than xl and now no worse anywhere: xl is dominated.
    expect(r.dominated).toContainEqual({ agent: "sim-frontier-xl", by: "sim-general-md" });
  });

  it("moves the ground-truth best agent to cheaper ones as λ grows", () => {
    const t = world.groundTruth;
    expect(t.bestAgent("answer.extract.single_fact").agent).toBe("sim-frontier-xl");
    expect(t.bestAgent("answer.extract.single_fact", 0.5).agent).not.toBe("sim-frontier-xl");
    for (const s of SKILLS) {
      const st = t.standings(s.id, 0.3);
      expect(st[0]!.utility).toBeCloseTo(st[0]!.probability - 0.3 * st[0]!.normalisedCost, 12);
      for (let i = 1; i < st.length; i++) expect(st[i]!.utility).toBeLessThanOrEqual(st[i - 1]!.utility);
      expect(Math.max(...st.map((x) => x.normalisedCost))).toBe(1);
    }
    expect(() => t.successProbability("sim-search-8b", "answer.recall.general")).toThrow(/does not serve mode answer/);
  });
});
