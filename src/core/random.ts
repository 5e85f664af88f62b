import seedrandom from "seedrandom";

/** The seed used where none is given: of the simulated world, of splits and draws, of the CLI's `--seed`. */
export const DEFAULT_SEED = 7;

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * A generator seeded by its parts joined with "|": every draw of the simulated world is keyed by what it is about
 * (seed, split, task index, agent, step...), so no draw depends on the order in which others were made.
 */
export function rngFor(...parts: ReadonlyArray<string | number>): Rng {
  const prng = seedrandom(parts.join("|"));
  return () => prng();
}

/** One uniform draw keyed by its parts. */
export function uniform(...parts: ReadonlyArray<string | number>): number {
  return rngFor(...parts)();
}

/** A whole number in [lo, hi], both included. */
export function intBetween(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError("pick: no items");
  return items[Math.floor(rng() * items.length)]!;
}

/** A shuffled copy (Fisher–Yates). */
export function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
