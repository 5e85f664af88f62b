import type { Evidence, Handbook } from "./schema.js";

/**
 * The agent-pooled estimator: few labels per skill make each agent's rate noisy, but agents of similar profile
 * (similar success rates on the skills both were seen on) tend to do alike on the rest. Each (agent, skill) gets
 * `strength` pseudo-observations at the similarity-weighted mean rate of the other agents on that skill, on top of
 * its own evidence. Similarity of two agents: exp(−d²/τ²), d the evidence-weighted RMS difference of their rates
 * over shared skills (τ = 0.15). Pure: returns a new handbook whose `metadata.learning.estimator` says "pooled".
 */

export interface PoolingOptions {
  /** Pseudo-observations added per (agent, skill). Default 2. */
  strength?: number;
  /** Similarity scale τ of rate differences. Default 0.15. */
  scale?: number;
}

const rate = (e: Evidence | undefined) =>
  e && e.successes + e.failures > 0 ? e.successes / (e.successes + e.failures) : undefined;

export function poolAgents(h: Handbook, opts: PoolingOptions = {}): Handbook {
  const m = opts.strength ?? 2;
  const tau = opts.scale ?? 0.15;
  // A new handbook sharing what pooling leaves alone (handbooks are immutable): only competence entries change.
  const out: Handbook = {
    ...h,
    agents: Object.fromEntries(
      Object.entries(h.agents).map(([id, p]) => [id, { ...p, competence: { ...p.competence } }]),
    ),
  };
  const agents = Object.keys(h.agents).sort();
  const keys = new Set<string>();
  for (const a of agents) for (const k of Object.keys(h.agents[a]!.competence)) keys.add(k);
  const sim = new Map<string, number>();
  for (const a of agents)
    for (const b of agents) {
      if (a >= b) continue;
      let num = 0;
      let den = 0;
      for (const k of keys) {
        const ea = h.agents[a]!.competence[k];
        const eb = h.agents[b]!.competence[k];
        const ra = rate(ea);
        const rb = rate(eb);
        if (ra === undefined || rb === undefined) continue;
        const w = Math.min(ea!.successes + ea!.failures, eb!.successes + eb!.failures);
        num += w * (ra - rb) ** 2;
        den += w;
      }
      const s = den > 0 ? Math.exp(-num / den / (tau * tau)) : 0;
      sim.set(`${a}\u0000${b}`, s);
      sim.set(`${b}\u0000${a}`, s);
    }
  for (const a of agents) {
    const modes = new Set(h.agents[a]!.modes);
    for (const k of keys) {
      const mode = k.split(".")[0]!;
      if (!modes.has(mode as never)) continue;
      let wsum = 0;
      let rsum = 0;
      for (const b of agents) {
        if (b === a) continue;
        const rb = rate(h.agents[b]!.competence[k]);
        const s = sim.get(`${a}\u0000${b}`) ?? 0;
        if (rb === undefined || s <= 0) continue;
        wsum += s;
        rsum += s * rb;
      }
      if (wsum <= 0) continue;
      const p = rsum / wsum;
      const e = out.agents[a]!.competence[k] ?? { successes: 0, failures: 0 };
      out.agents[a]!.competence[k] = { successes: e.successes + m * p, failures: e.failures + m * (1 - p) };
    }
  }
  out.metadata = {
    ...out.metadata,
    learning: { ...out.metadata.learning, estimator: { kind: "pooled", strength: m, scale: tau } },
  };
  return out;
}

/** Whether a handbook's competence is agent-pooled (so re-profiling it must pool again). */
export function isPooled(h: Handbook): boolean {
  return (h.metadata.learning.estimator as { kind?: string } | undefined)?.kind === "pooled";
}
