import { InputError } from "../core/errors.js";
import { MODES, type Mode } from "../core/modes.js";
import type { Pool } from "../pool/schema.js";
import type { Agent } from "../providers/types.js";

/** The agent that acts in each mode of one trajectory (a mode no agent serves is absent). */
export type Assignment = Partial<Record<Mode, string>>;

/** A stable key of an assignment: `search=a,code=b,answer=c`. */
export const assignmentKey = (a: Assignment): string =>
  MODES.filter((m) => a[m] !== undefined)
    .map((m) => `${m}=${a[m]}`)
    .join(",");

/**
 * The reference agent of each mode: the one the pool names (`reference`), else the strongest by price, the agent of
 * highest output price serving the mode (ties: higher input price, then pool order). A stand-in for strength before
 * anything is measured; name the references in the pool when price is a poor guide.
 */
export function referenceAgents(pool: Pool, modes: readonly Mode[] = MODES): Assignment {
  const out: Assignment = {};
  for (const mode of modes) {
    const serving = pool.agents.filter((a) => a.modes.includes(mode));
    if (serving.length === 0) continue;
    const named = pool.reference?.[mode];
    if (named !== undefined) {
      out[mode] = named;
      continue;
    }
    out[mode] = serving.reduce((best, a) =>
      a.price.outputPer1M > best.price.outputPer1M ||
      (a.price.outputPer1M === best.price.outputPer1M && a.price.inputPer1M > best.price.inputPer1M)
        ? a
        : best,
    ).id;
  }
  return out;
}

/** One trajectory to run: the assignment, and the (agent, mode) pairs whose records it gives. */
export interface PlannedTrajectory {
  assignment: Assignment;
  /** The pairs it explores: every mode for the reference trajectory, the varied mode's agent otherwise. */
  pairs: { agent: string; mode: Mode }[];
  reference: boolean;
}

/**
 * The trajectories of one task (method §3 step 1: vary one mode's agent at a time, the others held at the
 * reference): the reference trajectory once, reused for each mode's reference agent, then per explored mode one
 * trajectory per other agent serving it.
 */
export function plannedTrajectories(
  agents: readonly Agent[],
  reference: Assignment,
  explored: readonly Mode[],
): PlannedTrajectory[] {
  const modes = MODES.filter((m) => explored.includes(m) && reference[m] !== undefined);
  const out: PlannedTrajectory[] = [
    { assignment: reference, pairs: modes.map((m) => ({ agent: reference[m]!, mode: m })), reference: true },
  ];
  for (const mode of modes)
    for (const a of agents)
      if (a.spec.modes.includes(mode) && a.spec.id !== reference[mode])
        out.push({
          assignment: { ...reference, [mode]: a.spec.id },
          pairs: [{ agent: a.spec.id, mode }],
          reference: false,
        });
  return out;
}

/**
 * The pool's agents seen through an assignment: each assigned agent serves only the modes it is assigned to, so the
 * orchestrator's selection has exactly one agent per mode.
 */
export function assignedAgents(agents: ReadonlyMap<string, Agent>, a: Assignment): Map<string, Agent> {
  const modesOf = new Map<string, Mode[]>();
  for (const m of MODES) {
    const id = a[m];
    if (id === undefined) continue;
    if (!agents.has(id)) throw new InputError(`explore: agent ${id} (assigned to ${m}) is not in the pool`);
    modesOf.set(id, [...(modesOf.get(id) ?? []), m]);
  }
  const out = new Map<string, Agent>();
  for (const [id, modes] of modesOf) {
    const agent = agents.get(id)!;
    out.set(id, { spec: { ...agent.spec, modes }, act: (req, o) => agent.act(req, o) });
  }
  return out;
}
