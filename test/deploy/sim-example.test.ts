/**
 * The committed simulated example (examples/sim/, the zero-setup default langgraph.json names): valid files, a
 * handbook that routes only to the pool's agents, all of them simulated, labelled as such, and small.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadHandbook } from "../../handbook/index.js";
import { EXAMPLE_NOTE, SIM_EXAMPLE, SIM_EXAMPLE_DIR } from "../../src/demo/sim-example.js";
import { loadPool } from "../../src/pool/load.js";
import { ROOT } from "../support/cli.js";

const files = {
  handbook: join(ROOT, SIM_EXAMPLE_DIR, "handbook.json"),
  pool: join(ROOT, SIM_EXAMPLE_DIR, "pool.json"),
};

describe("examples/sim", () => {
  it("holds a valid handbook and pool; the handbook routes only to the pool's agents, every one a sim agent", () => {
    const handbook = loadHandbook(files.handbook);
    const pool = loadPool(files.pool);
    expect(pool.agents.length).toBeGreaterThan(1);
    for (const a of pool.agents) {
      expect(a.provider, a.id).toBe("sim");
      expect(a.sim?.seed, a.id).toBe(SIM_EXAMPLE.seed);
    }
    const routed = Object.keys(handbook.agents).sort();
    expect(routed).toEqual(pool.agents.map((a) => a.id).sort());
    expect(Object.keys(handbook.skills).length).toBeGreaterThan(0);
  });

  it("says it is simulated, and how it was made", () => {
    const { learning } = loadHandbook(files.handbook).metadata;
    expect(learning.example).toEqual({ simulated: true, note: EXAMPLE_NOTE, ...SIM_EXAMPLE });
    expect(learning.cost).toMatchObject({ llmCalls: 0, costUsd: 0 });
    // The selection it was chosen from is not shipped, and not named.
    expect(learning.selection).toMatchObject({ lambda: SIM_EXAMPLE.lambda });
    expect(learning.selection).not.toHaveProperty("file");
  });

  it("is small: kilobytes, not the learning's megabytes", () => {
    expect(statSync(files.handbook).size).toBeLessThan(100_000);
    expect(statSync(files.pool).size).toBeLessThan(10_000);
  });
});
