import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import type { Handbook } from "../../handbook/schema.js";
import { loadHandbook } from "../../handbook/store.js";
import { learnCommand, learnPhaseCommands } from "../../src/cli/learn.js";
import { InputError } from "../../src/core/errors.js";
import { artefactPaths } from "../../src/learning/artefacts.js";
import { readLog } from "../../src/learning/log.js";
import { synthRecords } from "./helpers.js";
import { writeFixture } from "./fixtures.js";

const fx = writeFixture(synthRecords({ perType: 30 }), "learn-cli-");
afterAll(() => rmSync(fx.dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function run(cmd: Command, args: string[]): Promise<string> {
  let out = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await cmd.exitOverride().parseAsync(args, { from: "user" });
  } finally {
    vi.restoreAllMocks();
  }
  return out;
}

function phase(name: string): Command {
  return learnPhaseCommands().find((c) => c.name() === name)!;
}

describe("learn CLI", () => {
  it("runs each phase alone over plain JSON artefacts, printing the learning cost", async () => {
    const d = (f: string) => join(fx.dir, "phases", f);
    const common = ["--records", fx.records, "--pool", fx.pool, "--no-progress", "--log", d("log.jsonl")];
    expect(
      await run(phase("split"), [...common, "--out", d("split.json"), "--labelled", "20", "--validation", "5"]),
    ).toMatch(/split: 45 training and 15 validation queries \(3 tasks\)/);
    expect(await run(phase("discover"), [...common, "--split", d("split.json"), "--out", d("skills.json")])).toMatch(
      /discover \(statistical\): \d+ categories and skills/,
    );
    expect(
      await run(phase("profile"), [
        ...common,
        "--split",
        d("split.json"),
        "--skills",
        d("skills.json"),
        "--out",
        d("profiled.json"),
      ]),
    ).toMatch(/profile: 3 agents over \d+ skills/);
    const refine = await run(phase("refine"), [
      ...common,
      "--split",
      d("split.json"),
      "--handbook",
      d("profiled.json"),
      "--out",
      d("full.json"),
      "--report",
      d("refine.json"),
    ]);
    expect(refine).toMatch(/refine: \d+ round\(s\)/);
    expect(refine).toMatch(/learning cost \(run refine-/);
    const select = await run(phase("select"), [
      ...common,
      "--split",
      d("split.json"),
      "--handbook",
      d("full.json"),
      "--out",
      d("H.json"),
      "--lambda",
      "0.1",
    ]);
    expect(select).toMatch(/answer=0 .*\n.*answer=1 .*\n.*answer=all/);
    expect(select).toMatch(/select: highest validation accuracy − λ·normalised cost \(λ=0.1\)/);
    expect(existsSync(d("H.selection.json"))).toBe(true);
    expect(JSON.parse(readFileSync(d("H.selection.json"), "utf8"))).toMatchObject({
      kind: "skillorchestra.learning.selection",
      by: { lambda: 0.1 },
      costEstimated: true,
    });
    expect(loadHandbook(d("H.json")).metadata.learning.selection).toMatchObject({ by: { lambda: 0.1 } });
    const phases = readLog(d("log.jsonl"))
      .filter((e) => e.event === "phase_end")
      .map((e) => (e as { phase: string }).phase);
    expect(phases).toEqual(["split", "discover", "profile", "refine", "select"]);
  });

  it("runs the phases alone under learn's artefact names and writes what learn writes", async () => {
    const common = ["--records", fx.records, "--pool", fx.pool, "--no-progress", "--seed", "5"];
    const p = artefactPaths(join(fx.dir, "named", "H.json"));
    await run(phase("split"), [...common, "--out", p.split, "--labelled", "20"]);
    await run(phase("discover"), [...common, "--split", p.split, "--out", p.skills]);
    await run(phase("profile"), [...common, "--split", p.split, "--skills", p.skills, "--out", p.profiled]);
    await run(phase("refine"), [...common, "--split", p.split, "--handbook", p.profiled, "--out", p.full]);
    await run(phase("select"), [...common, "--split", p.split, "--handbook", p.full, "--out", p.chosen]);
    const l = artefactPaths(join(fx.dir, "learned", "H.json"));
    await run(learnCommand(), [...common, "--out", l.chosen, "--labelled", "20"]);
    // The same files (the refine report and the log by default where learn puts them), and the same contents.
    const files = (dir: string, base: string) =>
      readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => f.startsWith(base))
        .sort();
    expect(files(join(fx.dir, "named"), "H")).toEqual(files(join(fx.dir, "learned"), "H"));
    // When each was made aside (`at` of a skill's history), the files are the same.
    const json = (path: string) => JSON.parse(readFileSync(path, "utf8"), (k, v) => (k === "at" ? undefined : v));
    for (const k of ["split", "skills", "refineReport", "selection"] as const)
      expect(json(p[k]), k).toEqual(json(l[k]));
    const learned = (path: string) => {
      const h = json(path) as Handbook;
      return {
        skills: h.skills,
        agents: h.agents,
        modes: h.modes,
        consult: h.consult,
        selection: h.metadata.learning.selection,
      };
    };
    for (const k of ["profiled", "full", "chosen"] as const) expect(learned(p[k]), k).toEqual(learned(l[k]));
    // One learning log, where learn keeps it: every phase in it.
    const phases = readLog(p.log)
      .filter((e) => e.event === "phase_end")
      .map((e) => (e as { phase: string }).phase);
    expect(phases).toEqual(["split", "discover", "profile", "refine", "select"]);
  });

  it("runs the whole graph, stops after a phase and resumes from its checkpoint", async () => {
    const out = join(fx.dir, "whole", "H.json");
    const args = [
      "--records",
      fx.records,
      "--pool",
      fx.pool,
      "--out",
      out,
      "--no-progress",
      "--checkpoint",
      join(fx.dir, "ckpt.sqlite"),
      "--labelled",
      "20",
    ];
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    expect(await run(learnCommand(), [...args, "--stop-after", "profile"])).toMatch(
      /learn: stopped after profile; next: refine/,
    );
    stderr.mockRestore();
    let err = "";
    vi.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => {
      err += String(c);
      return true;
    });
    const done = await run(learnCommand(), args);
    expect(err).toMatch(/learn: resuming thread learn-[0-9a-f]+ at refine/);
    expect(done).toMatch(/learn: wrote .*H\.json \(chosen: answer=/);
    expect(done).toMatch(/learning cost \(run learn-.*\):\n {2}records used 180 \(60 labelled queries\)/);
    const log = readLog(join(fx.dir, "whole", "H.learn", "learning.log.jsonl"));
    const starts = log.filter((e) => e.event === "phase_start").map((e) => (e as { phase: string }).phase);
    expect(starts).toEqual(["split", "discover", "profile", "refine", "select"]);
  });

  it("rejects bad input with one line naming the flag or file", async () => {
    const out = join(fx.dir, "bad", "H.json");
    await expect(
      run(learnCommand(), ["--records", fx.records, "--out", out, "--labelled", "0", "--no-progress"]),
    ).rejects.toThrow(new InputError('--labelled: must be >= 1, got "0"'));
    await expect(
      run(learnCommand(), [
        "--records",
        fx.records,
        "--out",
        out,
        "--llm",
        "nobody",
        "--pool",
        fx.pool,
        "--no-progress",
      ]),
    ).rejects.toThrow(/--llm: no agent "nobody" in the pool/);
    await expect(
      run(learnCommand(), ["--records", join(fx.dir, "missing.jsonl"), "--out", out, "--no-progress"]),
    ).rejects.toThrow(/missing\.jsonl: cannot read records file: ENOENT/);
    await expect(
      run(phase("profile"), ["--records", fx.records, "--skills", fx.pool, "--out", out, "--no-progress"]),
    ).rejects.toThrow(/pool\.json: \$\.kind: /);
  });
});
