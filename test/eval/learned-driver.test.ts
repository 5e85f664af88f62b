import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import type { Handbook } from "../../handbook/schema.js";
import { loadHandbook, loadSelection } from "../../handbook/store.js";
import { learnCommand } from "../../src/cli/learn.js";
import { learnHandbook } from "../../src/eval/learned.js";
import { artefactPaths } from "../../src/learning/artefacts.js";
import { readLog } from "../../src/learning/log.js";
import { learningSettings } from "../../src/learning/pipeline.js";
import { writeFixture } from "../learning/fixtures.js";
import { synthRecords } from "../learning/helpers.js";

const fx = writeFixture(synthRecords({ perType: 30, seed: "eval-driver" }), "eval-driver-");
afterAll(() => rmSync(fx.dir, { recursive: true, force: true }));

/** What learning decided: the skills and every agent's competence evidence and costs (not when: no `at`). */
function learnedPart(h: Handbook) {
  return JSON.parse(
    JSON.stringify({ skills: h.skills, agents: h.agents, modes: h.modes, consult: h.consult }),
    (k, v) => (k === "at" ? undefined : v),
  );
}

async function learnCli(args: string[]): Promise<void> {
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    await learnCommand().exitOverride().parseAsync(args, { from: "user" });
  } finally {
    vi.restoreAllMocks();
  }
}

describe("eval's learning driver", () => {
  it("learns through the learning graph: the same handbooks, artefacts and learning cost as learn with the same settings", async () => {
    const settings = learningSettings({
      records: fx.records,
      pool: fx.pool,
      labelled: 20,
      seed: 3,
      minCount: 4,
      lambda: 0.05,
    });
    const l = await learnHandbook(settings, join(fx.dir, "eval"));
    const cli = join(fx.dir, "cli", "H.json");
    await learnCli([
      "--records",
      fx.records,
      "--pool",
      fx.pool,
      "--out",
      cli,
      "--labelled",
      "20",
      "--seed",
      "3",
      "--min-count",
      "4",
      "--lambda",
      "0.05",
      "--no-progress",
    ]);

    const ours = artefactPaths(join(fx.dir, "eval", "H.json"));
    const theirs = artefactPaths(cli);
    for (const f of Object.values(ours)) expect(existsSync(f), f).toBe(true);

    // The chosen handbook as eval holds it is the file learn's graph wrote, learning cost included.
    const chosen = loadHandbook(ours.chosen);
    expect(l.handbook).toEqual(chosen);
    const cost = l.handbook.metadata.learning.cost as {
      run: string;
      records: number;
      queries: number;
      llmCalls: number;
      wallMs: Record<string, number>;
      totalWallMs: number;
    };
    expect(cost).toMatchObject({ records: 180, queries: 60, llmCalls: 0 });
    expect(Object.keys(cost.wallMs)).toEqual(["split", "discover", "profile", "refine", "select"]);
    expect(loadHandbook(ours.full).metadata.learning.cost).toEqual(cost);
    expect(readLog(ours.log).filter((e) => e.run === cost.run && e.event === "phase_end")).toHaveLength(5);

    // Equal to learn's: skills and competence evidence of the chosen, the full and every deployed candidate.
    const learned = loadHandbook(theirs.chosen);
    expect(learnedPart(l.handbook)).toEqual(learnedPart(learned));
    expect(learnedPart(loadHandbook(ours.full))).toEqual(learnedPart(loadHandbook(theirs.full)));
    const { selection, handbooks } = loadSelection(theirs.selection);
    expect(l.chosen).toBe(
      learned.metadata.learning.selection && (learned.metadata.learning.selection as { chosen: string }).chosen,
    );
    expect([...l.candidates.keys()].sort()).toEqual([...handbooks.keys()].sort());
    for (const [id, h] of handbooks) expect(learnedPart(l.candidates.get(id)!), id).toEqual(learnedPart(h));
    expect(l.selection.candidates.map((c) => [c.id, c.evaluation.accuracy, c.onFrontier])).toEqual(
      (selection.candidates as unknown as typeof l.selection.candidates).map((c) => [
        c.id,
        c.evaluation.accuracy,
        c.onFrontier,
      ]),
    );
    const { run: _r, wallMs: _w, totalWallMs: _t, ...rest } = cost;
    expect(learned.metadata.learning.cost).toMatchObject(rest);
    expect(l.trainQueries + l.validationQueries).toBe(60);
    expect(l.labelledIds.size).toBe(60);
  });
});
