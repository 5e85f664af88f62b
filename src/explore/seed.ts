import { InputError } from "../core/errors.js";
import { DEFAULT_SEED } from "../core/random.js";
import type { Pool } from "../pool/schema.js";

/**
 * The seed of the simulated world a pool's sim agents live in: `seed` when given (every sim agent that names a
 * seed must name this one), else the seed they name (they must agree), else DEFAULT_SEED.
 */
export function simSeedOf(pool: Pool, seed?: number, source = "pool"): number {
  const named = [
    ...new Set(pool.agents.filter((a) => a.provider === "sim" && a.sim?.seed !== undefined).map((a) => a.sim!.seed!)),
  ];
  if (seed !== undefined) {
    const other = pool.agents.find((a) => a.provider === "sim" && a.sim?.seed !== undefined && a.sim.seed !== seed);
    if (other)
      throw new InputError(`${source}: agent ${other.id}: sim.seed ${other.sim!.seed} differs from --seed ${seed}`);
    return seed;
  }
  if (named.length > 1)
    throw new InputError(`${source}: sim agents name different seeds (${named.join(", ")}); pass --seed`);
  return named[0] ?? DEFAULT_SEED;
}
