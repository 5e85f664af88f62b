/**
 * The agent pool as agents, the simulated world's included: `buildAgents` (src/providers) builds the agents that call
 * models or replay records, and the simulator those of provider `sim`. The simulator is loaded only for a pool that
 * has sim agents, so a pool of real agents never loads it.
 */
import { DEFAULT_SEED } from "../core/random.js";
import type { Pool } from "../pool/schema.js";
import { buildAgents, providerUnavailable, type Agent, type BuildAgentsOptions } from "../providers/index.js";
import type { SimAgentOptions } from "./provider.js";
import type { World } from "./world.js";

export interface CreateAgentsOptions extends Omit<BuildAgentsOptions, "simAgent"> {
  /** The simulated world of sim agents; default: one built from each agent's `sim.seed` (default DEFAULT_SEED). */
  world?: World;
  sim?: SimAgentOptions;
}

/** Build every agent of `pool`, keyed by agent id, in pool order. */
export async function createAgents(pool: Pool, options: CreateAgentsOptions = {}): Promise<Map<string, Agent>> {
  const { world, sim, ...rest } = options;
  const worlds = new Map<number, World>();
  return buildAgents(pool, {
    ...rest,
    simAgent: async (spec) => {
      let mod: typeof import("./provider.js");
      let worldMod: typeof import("./world.js");
      try {
        [mod, worldMod] = await Promise.all([import("./provider.js"), import("./world.js")]);
      } catch (err) {
        throw providerUnavailable(spec, err);
      }
      let w = world;
      if (!w) {
        const seed = spec.sim?.seed ?? DEFAULT_SEED;
        w = worlds.get(seed) ?? worldMod.createWorld({ seed });
        worlds.set(seed, w);
      }
      return mod.createSimAgent(spec, w, sim);
    },
  });
}
