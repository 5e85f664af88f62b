import { InputError } from "../errors.js";
import type { Pool } from "../pool/schema.js";
import { createReplayAgent } from "../providers/replay.js";
import { createSimAgent } from "../providers/sim/agent.js";
import type { Agent } from "../providers/types.js";
import { createWorld, type World } from "../sim/world.js";

/**
 * The seed of the simulated world a pool's sim agents live in: `seed` when given (every sim agent that names a
 * seed must name this one), else the seed they name (they must agree), else 7.
 */
export function simSeedOf(pool: Pool, seed?: number, source = "pool"): number {
  const named = [...new Set(pool.agents.filter((a) => a.provider === "sim" && a.sim?.seed !== undefined).map((a) => a.sim!.seed!))];
  if (seed !== undefined) {
    const other = pool.agents.find((a) => a.provider === "sim" && a.sim?.seed !== undefined && a.sim.seed !== seed);
    if (other) throw new InputError(`${source}: agent ${other.id}: sim.seed ${other.sim!.seed} differs from --seed ${seed}`);
    return seed;
  }
  if (named.length > 1) throw new InputError(`${source}: sim agents name different seeds (${named.join(", ")}); pass --seed`);
  return named[0] ?? 7;
}

/** Build the agents of a pool: sim agents in `world`, replay agents from their records, openai agents. */
export async function createPoolAgents(pool: Pool, world: World | undefined, options: { sleepScale?: number } = {}): Promise<Agent[]> {
  const out: Agent[] = [];
  for (const spec of pool.agents) {
    if (spec.provider === "sim") {
      const w = world ?? createWorld({ seed: spec.sim?.seed ?? 7 });
      out.push(createSimAgent(spec, w, options.sleepScale !== undefined ? { sleepScale: options.sleepScale } : {}));
    } else if (spec.provider === "replay") out.push(await createReplayAgent(spec));
    else {
      // Loaded only when a pool has openai agents: the model SDK is slow to import.
      const { createOpenAIAgent } = await import("../providers/openai.js");
      out.push(createOpenAIAgent(spec));
    }
  }
  return out;
}
