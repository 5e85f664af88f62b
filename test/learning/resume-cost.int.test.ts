import { rmSync } from "node:fs";
import { join } from "node:path";
import { MemorySaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { buildLearningGraph } from "../../graphs/learning/graph.js";
import { settingsOf } from "../../graphs/learning/configuration.js";
import type { LearningStateType } from "../../graphs/learning/state.js";
import { loadHandbook } from "../../handbook/store.js";
import { artefactPaths } from "../../src/learning/artefacts.js";
import { LearningLog, readLog } from "../../src/learning/log.js";
import { readSplit, runRefine } from "../../src/learning/pipeline.js";
import { silentProgress } from "../../src/learning/progress.js";
import { writeFixture } from "./fixtures.js";
import { synthRecords } from "./helpers.js";

const fx = writeFixture(synthRecords({ perType: 40 }), "learn-resume-cost-");
afterAll(() => rmSync(fx.dir, { recursive: true, force: true }));

describe("learning cost of a resumed learn", () => {
  it("counts the refinements of the refine attempt that finished, not those of a killed one too", async () => {
    const input = { records: fx.records, pool: fx.pool, seed: 3 };
    const whole = await buildLearningGraph({ progress: silentProgress })
      .compile({ checkpointer: new MemorySaver() })
      .invoke({ ...input, out: join(fx.dir, "whole", "H.json") }, { configurable: { thread_id: "whole" } });
    const uninterrupted = whole.cost!.refinements;
    // The fixture has skills worth splitting: the comparison means something only when refinements are kept.
    expect(uninterrupted.kept).toBeGreaterThan(0);

    const out = join(fx.dir, "resumed", "H.json");
    const db = join(fx.dir, "ckpt.sqlite");
    const config = { configurable: { thread_id: "resumed" } };
    await buildLearningGraph({ progress: silentProgress })
      .compile({ checkpointer: SqliteSaver.fromConnString(db), interruptAfter: ["profile"] })
      .invoke({ ...input, out }, config);
    const resumed = buildLearningGraph({ progress: silentProgress }).compile({
      checkpointer: SqliteSaver.fromConnString(db),
    });
    const state = (await resumed.getState(config)).values as LearningStateType;
    expect((await resumed.getState(config)).next).toEqual(["refine"]);
    // A refine attempt killed after logging its refinements and before its checkpoint: the log has them, the
    // checkpoint still says refine is next. This is what the refine node runs, with the run's own log.
    const paths = artefactPaths(out);
    await runRefine(
      settingsOf(state, undefined),
      { log: new LearningLog(paths.log, state.run), progress: silentProgress },
      readSplit(paths.split),
      loadHandbook(paths.profiled),
      paths.full,
      paths.refineReport,
    );
    const final = await resumed.invoke(null, config);

    const logged = readLog(paths.log).filter((e) => e.run === state.run && e.event === "refinement").length;
    expect(logged).toBe(2 * (uninterrupted.kept + uninterrupted.rolledBack));
    expect(final.cost!.refinements).toEqual(uninterrupted);
    expect(loadHandbook(out).metadata.learning.cost).toMatchObject({ refinements: uninterrupted });
    // What both attempts really took is still summed: two refine phases of wall time.
    expect(
      readLog(paths.log).filter((e) => e.run === state.run && e.event === "phase_start" && e.phase === "refine"),
    ).toHaveLength(2);
  });
});
