import type { Mode } from "../core/modes.js";
import type { World } from "./world.js";

export interface SkillCalibration {
  skill: string;
  mode: Mode;
  best: { agent: string; probability: number };
  /** The cheapest agent (expected cost per call) whose probability is within `tolerance` of the best. */
  cheapestNearBest: { agent: string; probability: number; cost: number };
  /** The most expensive agent serving the mode, and its probability here. */
  mostExpensive: { agent: string; probability: number };
}

export interface CalibrationReport {
  tolerance: number;
  skills: SkillCalibration[];
  /** An agent that is best (or tied best) on every skill of every mode, or null. */
  dominant: string | null;
  /** The agent with the highest expected cost summed over the modes, and the skills it is best on. */
  mostExpensive: { agent: string; bestOn: string[] };
  /** Agents that another agent beats or ties on every skill they serve at no greater expected cost in any mode. */
  dominated: { agent: string; by: string }[];
  /** Per agent: the skills it is best on, and those where it is the cheapest agent near the best. */
  niches: Record<string, { bestOn: string[]; cheapestNearBestOn: string[] }>;
}

/** How the world's agents divide the skills between them: the calibration the sim pool is built to satisfy. */
export function calibrationReport(world: World, tolerance = 0.05): CalibrationReport {
  const t = world.groundTruth;
  const niches: CalibrationReport["niches"] = {};
  for (const a of world.agents) niches[a.id] = { bestOn: [], cheapestNearBestOn: [] };
  const skills = world.skills.map((s): SkillCalibration => {
    const st = t.standings(s.id, 0);
    const top = st[0]!;
    const near = st.filter((x) => x.probability >= top.probability - tolerance).sort((x, y) => x.cost - y.cost)[0]!;
    const dear = [...st].sort((x, y) => y.cost - x.cost)[0]!;
    for (const x of st) if (x.probability === top.probability) niches[x.agent]!.bestOn.push(s.id);
    niches[near.agent]!.cheapestNearBestOn.push(s.id);
    return {
      skill: s.id,
      mode: s.mode,
      best: { agent: top.agent, probability: top.probability },
      cheapestNearBest: { agent: near.agent, probability: near.probability, cost: near.cost },
      mostExpensive: { agent: dear.agent, probability: dear.probability },
    };
  });
  const dominant = world.agents.find((a) => world.skills.every((s) => niches[a.id]!.bestOn.includes(s.id)))?.id ?? null;
  const totalCost = (id: string) =>
    world.agents.find((a) => a.id === id)!.modes.reduce((c, m) => c + t.expectedCost(id, m), 0);
  const dearest = [...world.agents].sort((x, y) => totalCost(y.id) - totalCost(x.id))[0]!;
  const dominated: CalibrationReport["dominated"] = [];
  for (const b of world.agents) {
    const bSkills = world.skills.filter((s) => b.modes.includes(s.mode));
    for (const a of world.agents) {
      if (a === b || !b.modes.every((m) => a.modes.includes(m))) continue;
      const noWorse = bSkills.every((s) => a.competence[s.id]! >= b.competence[s.id]!);
      const noDearer = b.modes.every((m) => t.expectedCost(a.id, m) <= t.expectedCost(b.id, m));
      if (noWorse && noDearer) dominated.push({ agent: b.id, by: a.id });
    }
  }
  return {
    tolerance,
    skills,
    dominant,
    mostExpensive: { agent: dearest.id, bestOn: niches[dearest.id]!.bestOn },
    dominated,
    niches,
  };
}

/** The calibration as text: per skill the best agent and the cheapest near it, then the pool-level checks. */
export function formatCalibration(c: CalibrationReport): string {
  const lines = [`world calibration (simulated latent probabilities; near = within ${c.tolerance} of the best):`];
  const w = Math.max(...c.skills.map((s) => s.skill.length));
  for (const s of c.skills)
    lines.push(
      `  ${s.skill.padEnd(w)}  best ${s.best.agent} ${s.best.probability.toFixed(2)}  cheapest near best ${s.cheapestNearBest.agent} ${s.cheapestNearBest.probability.toFixed(2)}`,
    );
  lines.push(`  dominant agent: ${c.dominant ?? "none"}`);
  lines.push(
    `  most expensive agent ${c.mostExpensive.agent} is best on ${c.mostExpensive.bestOn.length} of ${c.skills.length} skills`,
  );
  lines.push(
    `  dominated agents: ${c.dominated.length ? c.dominated.map((d) => `${d.agent} (by ${d.by})`).join(", ") : "none"}`,
  );
  return lines.join("\n");
}
